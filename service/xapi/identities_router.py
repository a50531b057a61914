"""Actor identities: which employee each LMS actor is (service/events/identities.py). Here, beside
the LRS, because a new mapping applies the statements the LRS kept for the actors it names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query

from models import identities_repository as identities_repo
from models import people_repository as people
from service.events.identities import MAX_IDENTITIES, IdentityInput
from service.http.deps import Caller, SessionDep, require
from service.http.errors import NotFound, Unprocessable, problem_responses
from service.http.pagination import decode_cursor, encode_cursor
from service.xapi.identities import map_actors, replace_home_pages
from service.xapi.identities_schemas import (
    HomePages,
    IdentitiesMapped,
    IdentitiesPage,
    IdentityIn,
    IdentityProblem,
    IdentityPublic,
)

router = APIRouter(prefix="/v1/identities", tags=["people"])

IdentityManager = Annotated[Caller, Depends(require("admin", "lms"))]
PAGE = 500


@router.put("", response_model=IdentitiesMapped, responses=problem_responses(401, 403, 413, 422))
def put_identities(
    body: Annotated[list[IdentityIn], Body(max_length=MAX_IDENTITIES)],
    caller: IdentityManager,
    session: SessionDep,
) -> IdentitiesMapped:
    """Map LMS actors to employees (a mapping of a known actor moves it to the new employee).

    Each entry is stored or reported in `problems` with its index and reason. Statements the LRS
    kept for an actor that named no one are applied once a mapping names it."""
    if not body:
        raise Unprocessable("body: an empty list of identities")
    entries = [IdentityInput(item.employee_id, item.actor, f"[{i}]") for i, item in enumerate(body)]
    report, _ = map_actors(session, caller.tenant_id, entries, datetime.now(UTC))
    return IdentitiesMapped(
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        problems=[IdentityProblem(**problem) for problem in report.problems],
    )


@router.get("", response_model=IdentitiesPage, responses=problem_responses(401, 403, 404, 422))
def list_identities(
    caller: IdentityManager,
    session: SessionDep,
    employee_id: Annotated[str | None, Query(max_length=200)] = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> IdentitiesPage:
    """The mappings, in the order they were made; `employee_id` narrows them to one employee."""
    employee_row = None
    if employee_id is not None:
        employee = people.get_employee(session, caller.tenant_id, employee_id)
        if employee is None:
            raise NotFound(f"employee {employee_id!r} not found")
        employee_row = employee.id
    rows = identities_repo.identities_of(
        session, caller.tenant_id, employee_row, decode_cursor(cursor), PAGE + 1
    )
    page = rows[:PAGE]
    return IdentitiesPage(
        identities=[IdentityPublic(employee_id=key, actor_key=row.actor_key) for row, key in page],
        next_cursor=encode_cursor(page[-1][0].id) if len(rows) > PAGE else None,
    )


@router.get("/home-pages", response_model=HomePages, responses=problem_responses(401, 403))
def get_home_pages(caller: IdentityManager, session: SessionDep) -> HomePages:
    """The LMS sites whose account names are employee ids (none listed: every site's are)."""
    return HomePages(home_pages=identities_repo.home_pages(session, caller.tenant_id))


@router.put("/home-pages", response_model=HomePages, responses=problem_responses(401, 403, 422))
def put_home_pages(body: HomePages, caller: IdentityManager, session: SessionDep) -> HomePages:
    """Replace the list; the answer holds the sites as they are compared (lower-case host, no
    trailing slash)."""
    return HomePages(
        home_pages=replace_home_pages(session, caller.tenant_id, body.home_pages, datetime.now(UTC))
    )
