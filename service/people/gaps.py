"""An employee's skills gaps: the role's requirements against the evidence, through the pure gap model."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from models import people_repository as people
from models import taxonomy_repository as tax
from models.tables import Employee, Role
from recommender.gaps import Evidence, Gap, LevelEstimate, Requirement, compute_gaps, estimate_level
from service.events.feedback import event_evidence, event_evidence_by_employee


class ContentCheck(Protocol):
    """Which of these skills some active unit teaches, by the evidence paths use (service.paths.planning
    `content_check`): `has_content` and a path's steps must never disagree."""

    def __call__(self, skill_ids: Sequence[int]) -> set[int]: ...


@dataclass(frozen=True)
class EmployeeGaps:
    role: Role | None
    gaps: list[Gap]
    estimates: dict[int, LevelEstimate]
    labels: dict[int, str]


class _Observed(Protocol):
    """An assessment as the gap model reads it (a table row or a plain row of its columns)."""

    @property
    def skill_id(self) -> int: ...
    @property
    def level(self) -> float: ...
    @property
    def source(self) -> str: ...
    @property
    def observed_at(self) -> datetime: ...


def _merged_evidence(
    assessments: Sequence[_Observed],
    from_events: Mapping[int, list[Evidence]],
    only: Collection[int] | None = None,
) -> dict[int, list[Evidence]]:
    """skill id -> evidence from assessments, then from events; with `only`, for those skills alone."""
    grouped: dict[int, list[Evidence]] = {}
    for row in assessments:
        if only is None or row.skill_id in only:
            grouped.setdefault(row.skill_id, []).append(Evidence(row.level, row.source, row.observed_at))
    for skill_id, evidence in from_events.items():
        if only is None or skill_id in only:
            grouped.setdefault(skill_id, []).extend(evidence)
    return grouped


def _estimates(evidence: Mapping[int, list[Evidence]], now: datetime) -> dict[int, LevelEstimate]:
    return {
        skill_id: estimate
        for skill_id, items in evidence.items()
        if (estimate := estimate_level(items, now)) is not None
    }


def _requirements(role: Role) -> list[Requirement]:
    return [Requirement(rs.skill_id, rs.level, rs.importance) for rs in role.skills]


def evidence_by_skill(session: Session, tenant_id: int, employee: Employee) -> dict[int, list[Evidence]]:
    """Assessments, plus the test results and completions of learning events (service.events.feedback)."""
    return _merged_evidence(
        people.assessments_of(session, tenant_id, employee.id), event_evidence(session, tenant_id, employee)
    )


class _Member(Protocol):
    """An employee as `population_gaps` reads one (a table row or a plain row of its columns)."""

    @property
    def id(self) -> int: ...
    @property
    def role_id(self) -> int | None: ...


def population_gaps(
    session: Session,
    tenant_id: int,
    employees: Sequence[_Member],
    now: datetime,
    has_content: ContentCheck,
    *,
    roles: Sequence[Role] | None = None,
    assessments: Mapping[int, Sequence[_Observed]] | None = None,
) -> dict[int, list[Gap]]:
    """employee id -> gaps for their own role, closed ones included, for many employees at once: the
    same model as `employee_gaps`, with every table read once instead of once per employee, and
    levels estimated only for the skills the employee's role needs (the only ones a gap reads).
    `roles` and `assessments` (per employee, oldest first) are the tenant's, when the caller has
    read them already."""
    if roles is None:
        roles = people.list_roles(session, tenant_id)
    if assessments is None:
        assessments = people.assessment_rows_by_employee(session, tenant_id)
    by_id = {role.id: role for role in roles}
    requirements = {role_id: _requirements(role) for role_id, role in by_id.items()}
    needed = {role_id: frozenset(r.skill_id for r in reqs) for role_id, reqs in requirements.items()}
    role_of = {e.id: e.role_id for e in employees if e.role_id is not None and e.role_id in requirements}
    needs = {employee_id: needed[role_id] for employee_id, role_id in role_of.items()}
    from_events = event_evidence_by_employee(session, tenant_id, needs)
    required = sorted({rs.skill_id for role in by_id.values() for rs in role.skills})
    covered = has_content(required)
    result: dict[int, list[Gap]] = {}
    # role id -> the gaps of someone with no evidence for any skill the role needs: the same for
    # everyone in the role (no estimate, nothing that depends on `now`), so built once.
    unshown: dict[int, list[Gap]] = {}
    for employee_id, role_id in role_of.items():
        evidence = _merged_evidence(
            assessments.get(employee_id, []), from_events.get(employee_id, {}), needs[employee_id]
        )
        if evidence:
            result[employee_id] = compute_gaps(
                requirements[role_id], _estimates(evidence, now), covered, True
            )
            continue
        if role_id not in unshown:
            unshown[role_id] = compute_gaps(requirements[role_id], {}, covered, True)
        result[employee_id] = list(unshown[role_id])
    return result


def employee_gaps(
    session: Session,
    tenant_id: int,
    employee: Employee,
    role: Role | None,
    now: datetime,
    has_content: ContentCheck,
    include_closed: bool = False,
) -> EmployeeGaps:
    """Ranked gaps for `role` (the employee's own, or a target role for a career move)."""
    if role is None:
        return EmployeeGaps(None, [], {}, {})
    estimates = _estimates(evidence_by_skill(session, tenant_id, employee), now)
    requirements = _requirements(role)
    covered = has_content([r.skill_id for r in requirements])
    gaps = compute_gaps(requirements, estimates, covered, include_closed)
    skills = tax.get_skills(session, tenant_id, [g.skill_id for g in gaps])
    language = employee.language
    labels = {
        skill_id: (
            skill.label_nl
            if language == "nl" and skill.label_nl
            else skill.label_en or skill.label_nl or skill.key
        )
        for skill_id, skill in skills.items()
    }
    return EmployeeGaps(role, gaps, estimates, labels)
