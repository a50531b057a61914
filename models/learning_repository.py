"""Queries behind Learning Days, progress and team challenges (service/learning): every one takes the
tenant and filters by it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.tables import (
    Assessment,
    CatalogItem,
    ChallengeParticipant,
    Employee,
    LearningChallenge,
    LearningEvent,
    LearningPath,
    MicroUnit,
    Role,
    RoleSkill,
    Skill,
)


class LearningRow(NamedTuple):
    """A learning event as progress reads it: whose, when, the verb, its duration and the minutes of
    the unit or item it names."""

    employee_id: int
    verb: str
    occurred_at: datetime
    duration_seconds: float | None
    unit_minutes: int | None
    item_minutes: int | None


def learning_between(
    session: Session,
    tenant_id: int,
    start: datetime,
    end: datetime,
    employee_ids: Collection[int] | None = None,
) -> list[LearningRow]:
    """The tenant's learning events in [start, end), of `employee_ids` when given, oldest first."""
    query = (
        select(
            LearningEvent.employee_id,
            LearningEvent.verb,
            LearningEvent.occurred_at,
            LearningEvent.duration_seconds,
            MicroUnit.minutes,
            CatalogItem.minutes,
        )
        .outerjoin(MicroUnit, MicroUnit.id == LearningEvent.unit_id)
        .outerjoin(CatalogItem, CatalogItem.id == LearningEvent.item_id)
        .where(
            LearningEvent.tenant_id == tenant_id,
            LearningEvent.occurred_at >= start,
            LearningEvent.occurred_at < end,
        )
        .order_by(LearningEvent.occurred_at, LearningEvent.id)
    )
    if employee_ids is not None:
        if not employee_ids:
            return []
        query = query.where(LearningEvent.employee_id.in_(list(employee_ids)))
    return [LearningRow(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in session.execute(query).all()]


@dataclass(frozen=True)
class PathPlan:
    """A stored path of an employee: when it was made and its answer (steps, gaps, Learning Days)."""

    employee_id: int
    created_at: datetime
    response: dict[str, Any]


def employee_paths(
    session: Session, tenant_id: int, employee_ids: Collection[int] | None = None
) -> list[PathPlan]:
    """Employees' stored paths, oldest first (of `employee_ids` when given)."""
    query = (
        select(LearningPath.employee_id, LearningPath.created_at, LearningPath.response)
        .where(LearningPath.tenant_id == tenant_id, LearningPath.employee_id.is_not(None))
        .order_by(LearningPath.created_at, LearningPath.id)
    )
    if employee_ids is not None:
        if not employee_ids:
            return []
        query = query.where(LearningPath.employee_id.in_(list(employee_ids)))
    return [
        PathPlan(int(e), created, response if isinstance(response, dict) else {})
        for e, created, response in session.execute(query).all()
    ]


def latest_path(session: Session, tenant_id: int, employee_id: int) -> PathPlan | None:
    row = session.execute(
        select(LearningPath.employee_id, LearningPath.created_at, LearningPath.response)
        .where(LearningPath.tenant_id == tenant_id, LearningPath.employee_id == employee_id)
        .order_by(LearningPath.created_at.desc(), LearningPath.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return PathPlan(int(row[0]), row[1], row[2] if isinstance(row[2], dict) else {})


class PersonRow(NamedTuple):
    id: int
    team: str | None
    role_id: int | None
    target_role_id: int | None
    preferences: dict[str, Any]


def people(session: Session, tenant_id: int) -> list[PersonRow]:
    rows = session.execute(
        select(Employee.id, Employee.team, Employee.role_id, Employee.target_role_id, Employee.preferences)
        .where(Employee.tenant_id == tenant_id)
        .order_by(Employee.key)
    ).all()
    return [
        PersonRow(int(i), team, role_id, target_id, prefs if isinstance(prefs, dict) else {})
        for i, team, role_id, target_id, prefs in rows
    ]


def role_targets(session: Session, tenant_id: int) -> dict[int, dict[int, int]]:
    """Per role, the level each of its skills needs."""
    targets: dict[int, dict[int, int]] = {}
    rows = session.execute(
        select(RoleSkill.role_id, RoleSkill.skill_id, RoleSkill.level)
        .join(Role, Role.id == RoleSkill.role_id)
        .where(Role.tenant_id == tenant_id, RoleSkill.tenant_id == tenant_id)
    ).all()
    for role_id, skill_id, level in rows:
        targets.setdefault(int(role_id), {})[int(skill_id)] = int(level)
    return targets


def skill_labels(session: Session, tenant_id: int, skill_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """(English, Dutch) label of each skill (its key when it has none)."""
    if not skill_ids:
        return {}
    rows = session.execute(
        select(Skill.id, Skill.label_en, Skill.label_nl, Skill.key).where(
            Skill.tenant_id == tenant_id, Skill.id.in_(list(skill_ids))
        )
    ).all()
    return {int(i): (en or nl or key, nl or en or key) for i, en, nl, key in rows}


def all_assessments(session: Session, tenant_id: int) -> list[Assessment]:
    return list(
        session.scalars(
            select(Assessment)
            .where(Assessment.tenant_id == tenant_id)
            .order_by(Assessment.observed_at, Assessment.id)
        ).all()
    )


# --- team challenges ------------------------------------------------------------------------------


def add_challenge(session: Session, challenge: LearningChallenge) -> LearningChallenge:
    session.add(challenge)
    session.flush()
    return challenge


def get_challenge(session: Session, tenant_id: int, challenge_id: int) -> LearningChallenge | None:
    return session.scalar(
        select(LearningChallenge).where(
            LearningChallenge.tenant_id == tenant_id, LearningChallenge.id == challenge_id
        )
    )


def list_challenges(session: Session, tenant_id: int, team: str | None = None) -> list[LearningChallenge]:
    query = select(LearningChallenge).where(LearningChallenge.tenant_id == tenant_id)
    if team is not None:
        query = query.where(LearningChallenge.team == team)
    return list(session.scalars(query.order_by(LearningChallenge.starts_on, LearningChallenge.id)).all())


def delete_challenge(session: Session, challenge: LearningChallenge) -> None:
    session.execute(
        delete(ChallengeParticipant).where(
            ChallengeParticipant.tenant_id == challenge.tenant_id,
            ChallengeParticipant.challenge_id == challenge.id,
        )
    )
    session.delete(challenge)
    session.flush()


def participant_ids(session: Session, tenant_id: int, challenge_id: int) -> set[int]:
    rows = session.scalars(
        select(ChallengeParticipant.employee_id).where(
            ChallengeParticipant.tenant_id == tenant_id, ChallengeParticipant.challenge_id == challenge_id
        )
    ).all()
    return {int(r) for r in rows}


def join_challenge(session: Session, tenant_id: int, challenge_id: int, employee_id: int) -> bool:
    """True when the employee joined now, False when they had already."""
    if employee_id in participant_ids(session, tenant_id, challenge_id):
        return False
    session.add(ChallengeParticipant(tenant_id=tenant_id, challenge_id=challenge_id, employee_id=employee_id))
    session.flush()
    return True


def leave_challenge(session: Session, tenant_id: int, challenge_id: int, employee_id: int) -> bool:
    result = session.execute(
        delete(ChallengeParticipant).where(
            ChallengeParticipant.tenant_id == tenant_id,
            ChallengeParticipant.challenge_id == challenge_id,
            ChallengeParticipant.employee_id == employee_id,
        )
    )
    session.flush()
    return bool(getattr(result, "rowcount", 0))


def challenges_joined(session: Session, tenant_id: int, employee_id: int) -> set[int]:
    rows = session.scalars(
        select(ChallengeParticipant.challenge_id).where(
            ChallengeParticipant.tenant_id == tenant_id, ChallengeParticipant.employee_id == employee_id
        )
    ).all()
    return {int(r) for r in rows}
