"""Team challenges: a goal L&D sets for a team (300 minutes of learning this month), which employees
of that team join or leave themselves. Only the team's total over those who joined is shown, and
only once MIN_GROUP_SIZE joined: one person's minutes, or an order of people, are never shown."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from models import learning_repository as learning
from models.tables import Employee, LearningChallenge
from recommender.errors import LeerpadError
from recommender.privacy import MIN_GROUP_SIZE, too_small
from service.http.errors import NotFound
from service.learning.minutes import event_minutes, midnight
from service.learning.schemas import ChallengeIn, ChallengeProgress, ChallengesPublic


class ChallengeInputError(LeerpadError):
    """A challenge request that cannot be done; the message says why."""


def _minutes(session: Session, tenant_id: int, challenge: LearningChallenge, ids: set[int]) -> float:
    rows = learning.learning_between(
        session,
        tenant_id,
        midnight(challenge.starts_on),
        midnight(challenge.ends_on + timedelta(days=1)),
        ids,
    )
    return sum(event_minutes(r) for r in rows)


def challenge_progress(
    session: Session, tenant_id: int, challenge: LearningChallenge, joined: bool | None = None
) -> ChallengeProgress:
    ids = learning.participant_ids(session, tenant_id, challenge.id)
    hidden = too_small(len(ids), MIN_GROUP_SIZE)
    total = None if hidden else round(_minutes(session, tenant_id, challenge, ids), 1)
    return ChallengeProgress(
        challenge_id=challenge.id,
        team=challenge.team,
        title=challenge.title,
        goal_minutes=challenge.goal_minutes,
        starts_on=challenge.starts_on,
        ends_on=challenge.ends_on,
        participants=len(ids),
        joined=joined,
        team_minutes=total,
        progress=None if total is None else round(min(1.0, total / challenge.goal_minutes), 4),
        suppressed=hidden,
    )


def create(session: Session, tenant_id: int, body: ChallengeIn) -> ChallengeProgress:
    challenge = learning.add_challenge(
        session,
        LearningChallenge(
            tenant_id=tenant_id,
            team=body.team,
            title=body.title,
            goal_minutes=body.goal_minutes,
            starts_on=body.starts_on,
            ends_on=body.ends_on,
        ),
    )
    return challenge_progress(session, tenant_id, challenge)


def listing(
    session: Session, tenant_id: int, team: str | None, employee: Employee | None
) -> ChallengesPublic:
    """Every challenge (of `team` when given), each with its team total; with `joined` for an employee."""
    joined = learning.challenges_joined(session, tenant_id, employee.id) if employee else None
    return ChallengesPublic(
        challenges=[
            challenge_progress(session, tenant_id, c, None if joined is None else c.id in joined)
            for c in learning.list_challenges(session, tenant_id, team)
        ],
        min_group_size=MIN_GROUP_SIZE,
    )


def _challenge(session: Session, tenant_id: int, challenge_id: int) -> LearningChallenge:
    challenge = learning.get_challenge(session, tenant_id, challenge_id)
    if challenge is None:
        raise NotFound(f"no challenge {challenge_id}")
    return challenge


def remove(session: Session, tenant_id: int, challenge_id: int) -> None:
    learning.delete_challenge(session, _challenge(session, tenant_id, challenge_id))


def join(
    session: Session, tenant_id: int, challenge_id: int, employee: Employee, now: datetime
) -> ChallengeProgress:
    """Opt in: only an employee of the challenge's team, before it ends."""
    challenge = _challenge(session, tenant_id, challenge_id)
    if employee.team != challenge.team:
        raise ChallengeInputError(
            f"the challenge is for the team {challenge.team!r}, the employee is not in it"
        )
    if now.date() > challenge.ends_on:
        raise ChallengeInputError(f"the challenge ended on {challenge.ends_on.isoformat()}")
    learning.join_challenge(session, tenant_id, challenge.id, employee.id)
    return challenge_progress(session, tenant_id, challenge, True)


def leave(session: Session, tenant_id: int, challenge_id: int, employee: Employee) -> ChallengeProgress:
    """Opt out, at any time: the employee's learning stops counting towards the team total."""
    challenge = _challenge(session, tenant_id, challenge_id)
    learning.leave_challenge(session, tenant_id, challenge.id, employee.id)
    return challenge_progress(session, tenant_id, challenge, False)
