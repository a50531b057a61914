"""GET /v1/employees/{id}/gaps: an employee's gaps, and whether content exists for each, by the same
check a path's steps pass (service.paths.planning.content_check). Here, in paths, because that check
is the path planner's: /gaps and a path never disagree about a gap having content."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from service.http.deps import PeopleCaller, RuntimeDep, SessionDep
from service.http.errors import problem_responses
from service.http.params import Key
from service.paths.planning import content_check
from service.people.employees import load_employee, role_to_reach
from service.people.gaps import employee_gaps
from service.people.schemas import GapPublic, GapsPublic
from service.people.visibility import require_gap_scores_shown

router = APIRouter(prefix="/v1", tags=["people"])


@router.get(
    "/employees/{employee_id}/gaps",
    response_model=GapsPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def get_gaps(
    employee_id: Key,
    caller: PeopleCaller,
    session: SessionDep,
    runtime: RuntimeDep,
    target_role: Annotated[
        str | None, Query(max_length=200, description="A role to move to, instead of the current one")
    ] = None,
    include_closed: bool = False,
) -> GapsPublic:
    """The employee's gaps against their role (or a target role), most important first; to whom
    the tenant's `individual_gaps` setting allows (GET /v1/settings)."""
    employee = load_employee(session, caller, employee_id)
    require_gap_scores_shown(session, caller)
    role = role_to_reach(session, caller.tenant_id, employee, target_role)
    has_content = content_check(runtime, caller.tenant_slug, session, caller.tenant_id)
    result = employee_gaps(
        session, caller.tenant_id, employee, role, datetime.now(UTC), has_content, include_closed
    )
    return GapsPublic(
        employee_id=employee.key,
        role=role.key,
        gaps=[
            GapPublic(
                skill_id=g.skill_id,
                skill=result.labels.get(g.skill_id, str(g.skill_id)),
                required=g.required,
                current=round(g.current, 2),
                gap=g.gap,
                importance=g.importance,
                priority=round(g.priority, 4),
                confidence=round(g.confidence, 3),
                evidence_count=g.evidence_count,
                has_content=g.has_content,
            )
            for g in result.gaps
        ],
        uncovered=[g.skill_id for g in result.gaps if not g.has_content and g.gap > 0],
    )
