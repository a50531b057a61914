"""Employees and their assessments: shared by the API and the demo loader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ingest.skills import resolve_skill
from models import people_repository as people
from models.tables import Assessment, Employee, Role, Skill, utcnow
from recommender.errors import LeerpadError
from recommender.gaps import SOURCES
from service.core.badge_jobs import queue_issue_badges
from service.http.deps import Caller, check_employee_access
from service.http.errors import NotFound
from service.people.schemas import EmployeePublic


class EmployeeInputError(LeerpadError):
    """Input that cannot be stored; the message names the entry and field."""


@dataclass(frozen=True)
class AssessmentInput:
    skill: str
    level: float
    source: str
    observed_at: datetime | None = None


def require_role(session: Session, tenant_id: int, key: str, field: str) -> Role:
    role = people.get_role(session, tenant_id, key)
    if role is None:
        raise EmployeeInputError(f"{field}: no role {key!r}; define it with PUT /v1/roles/{{role_id}} first")
    return role


def load_employee(session: Session, caller: Caller, employee_id: str) -> Employee:
    """The employee a route names, when the caller may reach them (an employee key only itself)."""
    check_employee_access(caller, employee_id)
    employee = people.get_employee(session, caller.tenant_id, employee_id)
    if employee is None:
        raise NotFound(f"no employee {employee_id!r}; create it with PUT /v1/employees/{{employee_id}}")
    return employee


DEFAULT_MINUTES_PER_WEEK = 60
DEFAULT_WEEKS = 6


def stored_preference(employee: Employee | None, name: str, default: int) -> int:
    """A whole-number preference of the employee (checked when stored, see
    service.people.schemas.EmployeeIn), else `default`: the defaults of their paths and their weekly
    learning goal."""
    value = dict(employee.preferences or {}).get(name) if employee else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def weekly_goal(employee: Employee | None) -> int:
    """The minutes a week the employee means to learn: their path's default budget and their goal."""
    return stored_preference(employee, "minutes_per_week", DEFAULT_MINUTES_PER_WEEK)


def aimed_role(session: Session, tenant_id: int, employee: Employee) -> Role | None:
    """The role the employee grows towards: their target role, else their role (None: neither)."""
    role_id = employee.target_role_id or employee.role_id
    return people.get_role_by_id(session, tenant_id, role_id) if role_id else None


def role_to_reach(session: Session, tenant_id: int, employee: Employee, target_role: str | None) -> Role:
    """The role an employee's gaps and path are measured against: the role the request names, else
    `aimed_role`; one of them must exist."""
    if target_role:
        return require_role(session, tenant_id, target_role, "target_role")
    role = aimed_role(session, tenant_id, employee)
    if role is None:
        raise EmployeeInputError("the employee has no role; set one with PUT /v1/employees/{employee_id}")
    return role


def upsert_employee(
    session: Session,
    tenant_id: int,
    key: str,
    *,
    role: str | None,
    target_role: str | None,
    team: str | None,
    language: str,
    preferences: dict[str, Any],
) -> Employee:
    role_row = require_role(session, tenant_id, role, "role") if role else None
    target_row = require_role(session, tenant_id, target_role, "target_role") if target_role else None
    employee = people.get_employee(session, tenant_id, key)
    if employee is None:
        employee = Employee(tenant_id=tenant_id, key=key)
        session.add(employee)
    employee.role_id = role_row.id if role_row else None
    employee.target_role_id = target_row.id if target_row else None
    employee.team = team
    employee.language = language
    employee.preferences = preferences
    employee.updated_at = utcnow()
    session.flush()
    return employee


def add_assessments(
    session: Session, tenant_id: int, employee: Employee, entries: Sequence[AssessmentInput], self_only: bool
) -> list[tuple[str, Skill]]:
    """Store all entries or none; returns what each named skill resolved to. When the employee
    receives badges, an `issue-badges` job is queued in the same transaction."""
    now = datetime.now(UTC)
    rows, resolved = [], []
    for index, entry in enumerate(entries):
        if entry.source not in SOURCES:
            raise EmployeeInputError(f"[{index}].source: {entry.source!r} is not one of {', '.join(SOURCES)}")
        if self_only and entry.source != "self":
            raise EmployeeInputError(f"[{index}].source: an employee may only send self-assessments")
        if not 0 <= entry.level <= 5:
            raise EmployeeInputError(f"[{index}].level: {entry.level} is outside 0..5")
        skill = resolve_skill(session, tenant_id, entry.skill)
        if skill is None:
            raise EmployeeInputError(
                f"[{index}].skill: {entry.skill!r} matches no skill; add it with POST /v1/skills"
            )
        observed = entry.observed_at or now
        if observed.tzinfo is None:
            observed = observed.replace(tzinfo=UTC)
        if observed > now:
            raise EmployeeInputError(f"[{index}].observed_at: {observed.isoformat()} is in the future")
        rows.append(
            Assessment(
                tenant_id=tenant_id,
                employee_id=employee.id,
                skill_id=skill.id,
                level=entry.level,
                source=entry.source,
                observed_at=observed,
            )
        )
        resolved.append((entry.skill, skill))
    session.add_all(rows)
    session.flush()
    queue_issue_badges(session, tenant_id, [employee.id])  # the evidence may have earned a badge
    return resolved


def _role_key(session: Session, tenant_id: int, role_id: int | None) -> str | None:
    if role_id is None:
        return None
    role = people.get_role_by_id(session, tenant_id, role_id)
    return role.key if role else None


def employee_public(session: Session, employee: Employee) -> EmployeePublic:
    """An employee as the API shows them: role keys, not row ids."""
    return EmployeePublic(
        employee_id=employee.key,
        role=_role_key(session, employee.tenant_id, employee.role_id),
        target_role=_role_key(session, employee.tenant_id, employee.target_role_id),
        team=employee.team,
        language=employee.language,
        preferences=dict(employee.preferences or {}),
    )
