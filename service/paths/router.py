"""Learning paths: for an employee, for an ad-hoc skill list, and fetched again by id."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path

from models import path_repository as paths_repo
from models import people_repository as people
from models.tables import Employee
from recommender.paths import Budget
from service.http.deps import Caller, PeopleCaller, RuntimeDep, SessionDep, require
from service.http.errors import NotFound, problem_responses
from service.http.params import Key
from service.learning.days import path_learning_days
from service.paths.planning import (
    PlanInput,
    ad_hoc_plan,
    budget_for,
    content_check,
    employee_plan,
    plan_path,
    store_path,
    without_gap_scores,
)
from service.paths.schemas import PathPublic, PathRequest, RecommendationRequest
from service.people.employees import load_employee, role_to_reach
from service.people.visibility import shows_gap_scores

router = APIRouter(prefix="/v1", tags=["paths"])
LmsCaller = Annotated[Caller, Depends(require("admin", "lms"))]


def _answer(
    runtime: RuntimeDep,
    session: SessionDep,
    caller: Caller,
    plan: PlanInput,
    now: datetime,
    employee: Employee | None,
    request: dict[str, object],
    extra: dict[str, object] | None = None,
) -> PathPublic:
    """Plan, store with the model and index versions, and answer; `extra` joins the stored body."""
    planned = plan_path(runtime, caller.tenant_slug, session, caller.tenant_id, plan, now)
    planned.body.update(extra or {})
    snapshot = runtime.snapshot(caller.tenant_slug)
    store_path(
        session,
        caller.tenant_id,
        employee,
        request,
        planned,
        snapshot.manifest.version if snapshot else None,
    )
    return PathPublic(**planned.body)


@router.post(
    "/employees/{employee_id}/path",
    response_model=PathPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def employee_path(
    employee_id: Key, body: PathRequest, caller: PeopleCaller, session: SessionDep, runtime: RuntimeDep
) -> PathPublic:
    """What to learn next, week by week, within the time given; every step says which gap it closes and why."""
    employee = load_employee(session, caller, employee_id)
    role = role_to_reach(session, caller.tenant_id, employee, body.target_role)
    now = datetime.now(UTC)
    budget = budget_for(employee, body.minutes_per_week, body.weeks)
    days = path_learning_days(session, caller.tenant_id, employee, now.date(), budget.weeks)
    budget = replace(budget, learning_days=days)
    has_content = content_check(runtime, caller.tenant_slug, session, caller.tenant_id)
    plan = employee_plan(session, caller.tenant_id, employee, role, budget, body.languages, now, has_content)
    plan = replace(plan, show_levels=shows_gap_scores(session, caller))
    return _answer(runtime, session, caller, plan, now, employee, body.model_dump())


@router.post("/recommendations", response_model=PathPublic, responses=problem_responses(401, 403, 422))
def recommendations(
    body: RecommendationRequest, caller: LmsCaller, session: SessionDep, runtime: RuntimeDep
) -> PathPublic:
    """The same path for an ad-hoc skill list, for an LMS that keeps no employees here. A label that
    matches no skill of the tenant is matched by text; `matched_skills` says how each label matched."""
    plan, matched = ad_hoc_plan(
        session,
        caller.tenant_id,
        body.skills,
        Budget(body.minutes_per_week, body.weeks),
        body.languages,
        content_check(runtime, caller.tenant_slug, session, caller.tenant_id),
    )
    return _answer(
        runtime,
        session,
        caller,
        plan,
        datetime.now(UTC),
        None,
        body.model_dump(),
        {"matched_skills": matched},
    )


@router.get("/paths/{path_id}", response_model=PathPublic, responses=problem_responses(401, 403, 404))
def get_path(
    path_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")], caller: PeopleCaller, session: SessionDep
) -> PathPublic:
    """A path as it was given, with the model version that built it; gap sizes and where the learner
    stands are left out when the company's setting does not show them to this caller now."""
    stored = paths_repo.get_path(session, caller.tenant_id, path_id)
    if stored is None:
        raise NotFound(f"no path {path_id}")
    if caller.role == "employee":
        employee = people.get_employee(session, caller.tenant_id, caller.employee_id or "")
        if employee is None or stored.employee_id != employee.id:
            raise NotFound(f"no path {path_id}")
    response = dict(stored.response)
    if stored.employee_id is not None and not shows_gap_scores(session, caller):
        response = without_gap_scores(response)
    return PathPublic(**response)
