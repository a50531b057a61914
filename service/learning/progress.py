"""An employee's own progress (GET /v1/employees/{id}/progress): minutes learned per week against their
weekly goal, the streak, the skills that reached what their role asks (recommender.progress), their
next Learning Day and the team challenges they joined.

For the employee and the systems that show it to them (their LMS); L&D sees teams, never a person's
streak, and nothing ranks people (docs/works-council.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from models import learning_repository as learning
from models.tables import Employee
from recommender.progress import WEEKS_SHOWN, LearnedMinutes, Milestone, Progress, progress, week_start
from service.learning.challenges import challenge_progress
from service.learning.days import next_employee_day
from service.learning.minutes import event_minutes, midnight
from service.learning.schemas import ChallengeProgress
from service.people.employees import aimed_role, weekly_goal
from service.people.gaps import employee_gaps, evidence_by_skill

STREAK_WEEKS = 52  # how far back before the weeks shown a streak is counted


@dataclass(frozen=True)
class EmployeeProgress:
    shown: Progress
    labels: dict[int, str]  # the milestones' skills
    next_learning_day: date | None
    challenges: list[ChallengeProgress]  # the team challenges the employee joined


def _every_skill(skill_ids: Sequence[int]) -> set[int]:
    """Milestones do not depend on content: every skill counts as covered."""
    return set(skill_ids)


def employee_progress(
    session: Session, tenant_id: int, employee: Employee, now: datetime
) -> EmployeeProgress:
    """The employee's progress now. Minutes count as every Learning Day and challenge figure counts
    them (service.learning.minutes); milestones are the skills the gap model (GET .../gaps) shows at
    the level the aimed role asks, with evidence."""
    since = midnight(week_start(now.date()) - timedelta(weeks=WEEKS_SHOWN + STREAK_WEEKS))
    rows = learning.learning_between(session, tenant_id, since, now + timedelta(seconds=1), [employee.id])
    learned = [LearnedMinutes(row.occurred_at, event_minutes(row)) for row in rows]
    result = employee_gaps(
        session, tenant_id, employee, aimed_role(session, tenant_id, employee), now, _every_skill, True
    )
    evidence = evidence_by_skill(session, tenant_id, employee)

    def latest(skill_id: int) -> date | None:
        seen = [e.observed_at for e in evidence.get(skill_id, [])]
        return max(seen).date() if seen else None

    milestones = [
        Milestone(
            skill_id=g.skill_id, required=g.required, level=round(g.current, 2), reached_on=latest(g.skill_id)
        )
        for g in result.gaps
        if g.gap <= 0 and g.evidence_count > 0
    ]
    joined = learning.challenges_joined(session, tenant_id, employee.id)
    challenges = [
        challenge_progress(session, tenant_id, c, True)
        for c in learning.list_challenges(session, tenant_id)
        if c.id in joined
    ]
    return EmployeeProgress(
        shown=progress(learned, weekly_goal(employee), now.date(), milestones),
        labels=result.labels,
        next_learning_day=next_employee_day(session, tenant_id, employee, now.date()),
        challenges=challenges,
    )
