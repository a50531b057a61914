"""Learning events in: xAPI 1.0.3 statements from the LMS, stored once, turned into evidence and history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body

from service.events.recording import ACCEPTED, DUPLICATE, MAX_STATEMENTS, record_statements
from service.events.schemas import EventsAccepted, StatementRejected
from service.events.xapi import VERB_IRIS
from service.http.deps import PeopleCaller, SessionDep
from service.http.errors import Unprocessable, problem_responses

router = APIRouter(prefix="/v1", tags=["events"])

EXAMPLE = {
    "id": "9e1a6f2c-5b7d-4c1e-8f3a-2d4b6c8e0a1f",
    "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "e-1"}},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {"objectType": "Activity", "id": "urn:leerpad:activity:csv:sql-basis#unit-0"},
    "result": {"completion": True, "duration": "PT14M"},
    "timestamp": "2025-03-04T09:30:00Z",
}

Statements = Annotated[
    list[Any],
    Body(
        description=(
            f"xAPI 1.0.3 statements, at most {MAX_STATEMENTS}. Verbs used: "
            + ", ".join(f"{verb} ({iri})" for iri, verb in VERB_IRIS.items())
            + ". actor.account.name is the employee id; object.id an activity_id or url from the catalog."
        ),
        examples=[[EXAMPLE]],
    ),
]


@router.post("/events", response_model=EventsAccepted, responses=problem_responses(401, 403, 413, 422))
def post_events(body: Statements, caller: PeopleCaller, session: SessionDep) -> EventsAccepted:
    """Store learning events; each statement is accepted, a duplicate, or rejected with its reason.

    Idempotent by statement id: resending a statement counts it as a duplicate. A statement without
    an id gets one derived from its content, so resending it is idempotent too. An employee key may
    send only its own statements; the others are rejected, not the whole batch."""
    if not body:
        raise Unprocessable("body: an empty list of statements")
    if len(body) > MAX_STATEMENTS:
        raise Unprocessable(f"body: {len(body)} statements; at most {MAX_STATEMENTS} per request")
    own = (caller.employee_id or "") if caller.role == "employee" else None
    report = record_statements(session, caller.tenant_id, body, datetime.now(UTC), only_employee=own)
    accepted, duplicates = report.ids(ACCEPTED), report.ids(DUPLICATE)
    return EventsAccepted(
        accepted=len(accepted),
        duplicates=len(duplicates),
        rejected=[
            StatementRejected(index=o.index, statement_id=o.statement_id, reason=o.reason or "")
            for o in report.rejected
        ],
        accepted_ids=accepted,
        duplicate_ids=duplicates,
    )
