"""Queries about roles, employees and assessments. Always per tenant."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from models.tables import NOT_EVIDENCE_STATUSES, Assessment, AssessmentContest, Employee, Role


def get_role(session: Session, tenant_id: int, key: str) -> Role | None:
    return session.scalar(
        select(Role).where(Role.tenant_id == tenant_id, Role.key == key).options(selectinload(Role.skills))
    )


def get_role_by_id(session: Session, tenant_id: int, role_id: int) -> Role | None:
    return session.scalar(
        select(Role).where(Role.tenant_id == tenant_id, Role.id == role_id).options(selectinload(Role.skills))
    )


def list_roles(session: Session, tenant_id: int) -> Sequence[Role]:
    return session.scalars(
        select(Role).where(Role.tenant_id == tenant_id).order_by(Role.key).options(selectinload(Role.skills))
    ).all()


def get_employee(session: Session, tenant_id: int, key: str) -> Employee | None:
    return session.scalar(select(Employee).where(Employee.tenant_id == tenant_id, Employee.key == key))


def get_employee_by_id(session: Session, tenant_id: int, employee_id: int) -> Employee | None:
    return session.scalar(select(Employee).where(Employee.tenant_id == tenant_id, Employee.id == employee_id))


def _counts_as_evidence() -> ColumnElement[bool]:
    """An assessment under an open contest, or one a contest showed wrong, is not evidence."""
    return ~(
        select(AssessmentContest.id)
        .where(
            AssessmentContest.assessment_id == Assessment.id,
            AssessmentContest.status.in_(NOT_EVIDENCE_STATUSES),
        )
        .exists()
    )


def assessments_of(session: Session, tenant_id: int, employee_id: int) -> Sequence[Assessment]:
    """The employee's assessments that count as evidence, oldest first."""
    return session.scalars(
        select(Assessment)
        .where(
            Assessment.tenant_id == tenant_id, Assessment.employee_id == employee_id, _counts_as_evidence()
        )
        .order_by(Assessment.observed_at, Assessment.id)
    ).all()


def employee_ids_by_key(session: Session, tenant_id: int, keys: Collection[str]) -> dict[str, int]:
    if not keys:
        return {}
    rows = session.execute(
        select(Employee.key, Employee.id).where(Employee.tenant_id == tenant_id, Employee.key.in_(list(keys)))
    ).all()
    return {key: int(employee_id) for key, employee_id in rows}


def list_employees(session: Session, tenant_id: int) -> Sequence[Employee]:
    return session.scalars(
        select(Employee).where(Employee.tenant_id == tenant_id).order_by(Employee.key)
    ).all()


class EmployeeRow(NamedTuple):
    """The columns the reports group employees by, without the ORM object (a company holds thousands;
    a tuple is the cheapest row to build)."""

    id: int
    role_id: int | None
    team: str | None


def employee_rows(session: Session, tenant_id: int) -> list[EmployeeRow]:
    """Every employee of the tenant as plain rows, in the order of `list_employees` (by key)."""
    rows = session.execute(
        select(Employee.id, Employee.role_id, Employee.team)
        .where(Employee.tenant_id == tenant_id)
        .order_by(Employee.key)
    ).all()
    return [
        EmployeeRow(int(id_), None if role_id is None else int(role_id), team) for id_, role_id, team in rows
    ]


class AssessmentRow(NamedTuple):
    """An assessment's columns, without the ORM object (the reports read tens of thousands; a tuple is
    the cheapest row to build)."""

    employee_id: int
    skill_id: int
    level: float
    source: str
    observed_at: datetime


def assessment_rows_by_employee(session: Session, tenant_id: int) -> dict[int, list[AssessmentRow]]:
    """Every assessment of the tenant, per employee, oldest first (the reports read them all at once)."""
    grouped: dict[int, list[AssessmentRow]] = {}
    rows = session.execute(
        select(
            Assessment.employee_id,
            Assessment.skill_id,
            Assessment.level,
            Assessment.source,
            Assessment.observed_at,
        )
        .where(Assessment.tenant_id == tenant_id, _counts_as_evidence())
        .order_by(Assessment.employee_id, Assessment.observed_at, Assessment.id)
    ).all()
    for employee_id, skill_id, level, source, observed_at in rows:
        grouped.setdefault(int(employee_id), []).append(
            AssessmentRow(int(employee_id), int(skill_id), float(level), source, observed_at)
        )
    return grouped
