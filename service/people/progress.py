"""An employee's own progress (GET /v1/employees/{id}/progress): minutes learned per week against their
weekly goal, the streak, and the skills that reached what their role asks (recommender.progress).

For the employee and the systems that show it to them (their LMS); L&D sees teams, never a person's
streak, and nothing ranks people (docs/works-council.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from models import events_repository as events
from models.tables import Employee
from recommender.progress import WEEKS_SHOWN, LearnedMinutes, Milestone, Progress, progress, week_start
from service.people.employees import aimed_role
from service.people.gaps import employee_gaps, evidence_by_skill

DEFAULT_WEEKLY_GOAL = 60  # the path's default minutes per week, when the employee stored none


def _every_skill(skill_ids: Sequence[int]) -> set[int]:
    """Milestones do not depend on content: every skill counts as covered."""
    return set(skill_ids)


def employee_progress(
    session: Session, tenant_id: int, employee: Employee, now: datetime | None = None
) -> tuple[Progress, dict[int, str]]:
    """The employee's progress now, and the labels of their milestones' skills."""
    now = now or datetime.now(UTC)
    goal = int((employee.preferences or {}).get("minutes_per_week") or DEFAULT_WEEKLY_GOAL)
    since = datetime.combine(week_start(now.date()), datetime.min.time(), UTC) - timedelta(
        weeks=WEEKS_SHOWN + 52
    )
    learned = [
        LearnedMinutes(when if when.tzinfo else when.replace(tzinfo=UTC), minutes)
        for when, minutes in events.learned_minutes_of(session, tenant_id, employee.id, since)
    ]
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
    return progress(learned, goal, now.date(), milestones), result.labels
