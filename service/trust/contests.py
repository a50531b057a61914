"""Contesting an assessment, and deciding a contest: the rules the contests routes apply.

An assessment is contested at most once (a second contest is a conflict that names the first), and a
contest is decided once (upheld: the assessment counts again; corrected: it never counts again).
Whether an assessment counts while contested is `models.tables.counts_as_evidence`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import contests_repository as contests
from models import people_repository as people
from models.tables import CONTEST_OPEN, AssessmentContest, Employee, utcnow
from service.http.errors import Conflict, NotFound


def open_contest(
    session: Session, tenant_id: int, employee: Employee, assessment_id: int, reason: str
) -> AssessmentContest:
    """Object to one of the employee's assessments; it stops counting until decided."""
    assessment = contests.get_assessment(session, tenant_id, employee.id, assessment_id)
    if assessment is None:
        raise NotFound(f"no assessment {assessment_id} of employee {employee.key!r}")
    existing = contests.contest_of(session, assessment.id)
    if existing is not None:
        raise Conflict(
            f"assessment {assessment_id} was contested already (contest {existing.id}, {existing.status})"
        )
    return contests.add_contest(
        session,
        AssessmentContest(
            tenant_id=tenant_id,
            assessment_id=assessment.id,
            employee_id=employee.id,
            reason=reason.strip(),
            status=CONTEST_OPEN,
        ),
    )


def decide_contest(
    session: Session, tenant_id: int, contest_id: int, decision: str, note: str | None
) -> tuple[AssessmentContest, str]:
    """Decide an open contest; the contest and the key of the employee who raised it."""
    contest = contests.get_contest(session, tenant_id, contest_id)
    if contest is None:
        raise NotFound(f"no contest {contest_id}")
    if contest.status != CONTEST_OPEN:
        raise Conflict(f"contest {contest_id} was decided already ({contest.status})")
    contest.status, contest.decision_note, contest.decided_at = decision, note, utcnow()
    session.flush()
    employee = people.get_employee_by_id(session, tenant_id, contest.employee_id)
    return contest, employee.key if employee else ""
