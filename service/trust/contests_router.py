"""An employee's assessments and their right to contest one; L&D or an admin decides.

While a contest is open the assessment is not evidence (the benefit of the doubt goes to the
employee); upheld, it counts again; corrected, it never counts again (it stays on record).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from models import contests_repository as contests
from models import people_repository as people
from models import taxonomy_repository as tax
from models.tables import AssessmentContest, counts_as_evidence
from service.http.deps import CatalogManager, PeopleCaller, SessionDep
from service.http.errors import problem_responses
from service.http.params import Key, RowId
from service.people.employees import load_employee
from service.skills.roles import skill_label
from service.trust import contests as contests_rules
from service.trust.contests_schemas import AssessmentPublic, ContestDecision, ContestIn, ContestPublic

router = APIRouter(prefix="/v1", tags=["people"])


def contest_public(contest: AssessmentContest, employee_key: str) -> ContestPublic:
    return ContestPublic(
        contest_id=contest.id,
        assessment_id=contest.assessment_id,
        employee_id=employee_key,
        reason=contest.reason,
        status=contest.status,  # type: ignore[arg-type]
        decision_note=contest.decision_note,
        created_at=contest.created_at,
        decided_at=contest.decided_at,
    )


@router.get(
    "/employees/{employee_id}/assessments",
    response_model=list[AssessmentPublic],
    responses=problem_responses(401, 403, 404),
)
def list_assessments(employee_id: Key, caller: PeopleCaller, session: SessionDep) -> list[AssessmentPublic]:
    """Every assessment held about the employee, with whether it counts as evidence."""
    employee = load_employee(session, caller, employee_id)
    rows = contests.assessments_with_contests(session, caller.tenant_id, employee.id)
    skills = tax.get_skills(session, caller.tenant_id, sorted({a.skill_id for a, _ in rows}))
    return [
        AssessmentPublic(
            assessment_id=a.id,
            skill_id=a.skill_id,
            skill=skill_label(skills[a.skill_id]) if a.skill_id in skills else str(a.skill_id),
            level=a.level,
            source=a.source,
            observed_at=a.observed_at,
            counts_as_evidence=counts_as_evidence(c.status if c else None),
            contest=contest_public(c, employee.key) if c else None,
        )
        for a, c in rows
    ]


@router.post(
    "/employees/{employee_id}/assessments/{assessment_id}/contest",
    status_code=status.HTTP_201_CREATED,
    response_model=ContestPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def contest_assessment(
    employee_id: Key, assessment_id: RowId, body: ContestIn, caller: PeopleCaller, session: SessionDep
) -> ContestPublic:
    """Object to an assessment; it stops counting as evidence until L&D or an admin decides."""
    employee = load_employee(session, caller, employee_id)
    contest = contests_rules.open_contest(session, caller.tenant_id, employee, assessment_id, body.reason)
    return contest_public(contest, employee.key)


def _employee_keys(session: SessionDep, tenant_id: int) -> dict[int, str]:
    return {e.id: e.key for e in people.list_employees(session, tenant_id)}


@router.get("/contests", response_model=list[ContestPublic], responses=problem_responses(401, 403, 422))
def list_contests(
    caller: CatalogManager,
    session: SessionDep,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|upheld|corrected)$")] = "open",
) -> list[ContestPublic]:
    """Contests for L&D to decide (open by default)."""
    keys = _employee_keys(session, caller.tenant_id)
    return [
        contest_public(c, keys.get(c.employee_id, ""))
        for c in contests.list_contests(session, caller.tenant_id, status_)
    ]


@router.put(
    "/contests/{contest_id}",
    response_model=ContestPublic,
    responses=problem_responses(401, 403, 404, 409, 422),
)
def decide_contest(
    contest_id: RowId, body: ContestDecision, caller: CatalogManager, session: SessionDep
) -> ContestPublic:
    """Uphold the assessment (it counts again) or correct it (it never counts again)."""
    contest, employee_key = contests_rules.decide_contest(
        session, caller.tenant_id, contest_id, body.decision, body.note
    )
    return contest_public(contest, employee_key)
