"""An employee's skills gaps: the role's requirements against the evidence, through the pure gap model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from models import people_repository as people
from models import taxonomy_repository as tax
from models.tables import Employee, Role
from recommender.gaps import Evidence, Gap, LevelEstimate, Requirement, compute_gaps, estimate_level
from service.feedback import event_evidence


@dataclass(frozen=True)
class EmployeeGaps:
    role: Role | None
    gaps: list[Gap]
    estimates: dict[int, LevelEstimate]
    labels: dict[int, str]


def evidence_by_skill(session: Session, tenant_id: int, employee: Employee) -> dict[int, list[Evidence]]:
    """Assessments, plus the test results and completions of learning events (service.feedback)."""
    grouped: dict[int, list[Evidence]] = {}
    for row in people.assessments_of(session, tenant_id, employee.id):
        grouped.setdefault(row.skill_id, []).append(Evidence(row.level, row.source, row.observed_at))
    for skill_id, evidence in event_evidence(session, tenant_id, employee).items():
        grouped.setdefault(skill_id, []).extend(evidence)
    return grouped


def employee_gaps(
    session: Session,
    tenant_id: int,
    employee: Employee,
    role: Role | None,
    now: datetime,
    include_closed: bool = False,
) -> EmployeeGaps:
    """Ranked gaps for `role` (the employee's own, or a target role for a career move)."""
    if role is None:
        return EmployeeGaps(None, [], {}, {})
    evidence = evidence_by_skill(session, tenant_id, employee)
    estimates = {
        skill_id: estimate
        for skill_id, items in evidence.items()
        if (estimate := estimate_level(items, now)) is not None
    }
    requirements = [Requirement(rs.skill_id, rs.level, rs.importance) for rs in role.skills]
    covered = tax.covered_skills(session, tenant_id, [r.skill_id for r in requirements])
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
