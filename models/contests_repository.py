"""Queries about contested assessments. Always per tenant."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Assessment, AssessmentContest


def assessments_with_contests(
    session: Session, tenant_id: int, employee_id: int
) -> list[tuple[Assessment, AssessmentContest | None]]:
    """Every assessment of the employee, contested or not, oldest first."""
    rows = session.execute(
        select(Assessment, AssessmentContest)
        .outerjoin(AssessmentContest, AssessmentContest.assessment_id == Assessment.id)
        .where(Assessment.tenant_id == tenant_id, Assessment.employee_id == employee_id)
        .order_by(Assessment.observed_at, Assessment.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def get_assessment(
    session: Session, tenant_id: int, employee_id: int, assessment_id: int
) -> Assessment | None:
    return session.scalar(
        select(Assessment).where(
            Assessment.tenant_id == tenant_id,
            Assessment.employee_id == employee_id,
            Assessment.id == assessment_id,
        )
    )


def contest_of(session: Session, assessment_id: int) -> AssessmentContest | None:
    return session.scalar(select(AssessmentContest).where(AssessmentContest.assessment_id == assessment_id))


def get_contest(session: Session, tenant_id: int, contest_id: int) -> AssessmentContest | None:
    return session.scalar(
        select(AssessmentContest).where(
            AssessmentContest.tenant_id == tenant_id, AssessmentContest.id == contest_id
        )
    )


def list_contests(session: Session, tenant_id: int, status: str | None) -> Sequence[AssessmentContest]:
    query = select(AssessmentContest).where(AssessmentContest.tenant_id == tenant_id)
    if status is not None:
        query = query.where(AssessmentContest.status == status)
    return session.scalars(query.order_by(AssessmentContest.created_at, AssessmentContest.id)).all()


def add_contest(session: Session, contest: AssessmentContest) -> AssessmentContest:
    session.add(contest)
    session.flush()
    return contest
