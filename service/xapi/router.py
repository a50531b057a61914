"""The LRS endpoint, xAPI 1.0.3 at /xapi/: about, and the Statement resource (POST, PUT, GET)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from service.http.deps import SessionDep
from service.http.errors import Unprocessable
from service.xapi.protocol import SUPPORTED_VERSIONS, LrsCaller, XapiRoute
from service.xapi.queries import one_statement, statement_page
from service.xapi.store import authority, store_statements
from service.xapi.validation import uuid_text

router = APIRouter(prefix="/xapi", tags=["xAPI LRS"], route_class=XapiRoute)


async def statement_body(request: Request) -> Any:
    """The body as JSON; 400 when it is not (read here so that the route itself stays synchronous)."""
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Unprocessable("body: not JSON") from None
    except RecursionError:  # nested deeper than the parser goes: no statement is
        raise Unprocessable("body: JSON nested too deep to read") from None


Body = Annotated[Any, Depends(statement_body)]


@router.get("/about")
def about() -> dict[str, Any]:
    """The xAPI versions this LRS speaks (no authentication, as the specification asks)."""
    return {"version": list(SUPPORTED_VERSIONS)}


# The caller comes first in each signature: FastAPI resolves dependencies in order, and a stranger
# gets 401 before the body is read.
@router.post("/statements", response_model=list[str])
def post_statements(caller: LrsCaller, body: Body, session: SessionDep) -> list[str]:
    """Store one statement or an array of them, all or none; the ids in order."""
    statements = body if isinstance(body, list) else [body]
    vouched = authority(caller.tenant_slug, caller.key_id)
    return store_statements(session, caller.tenant_id, vouched, statements, datetime.now(UTC))


@router.put("/statements", status_code=204)
def put_statement(
    caller: LrsCaller,
    body: Body,
    session: SessionDep,
    statement_id: Annotated[str, Query(alias="statementId")],
) -> Response:
    """Store one statement under the given id; the same statement again is fine, another is 409."""
    wanted = uuid_text(statement_id, "statementId")
    if not isinstance(body, dict):
        raise Unprocessable("body: one statement (a JSON object)")
    vouched = authority(caller.tenant_slug, caller.key_id)
    store_statements(session, caller.tenant_id, vouched, [body], datetime.now(UTC), put_id=wanted)
    return Response(status_code=204)


@router.get("/statements")
def get_statements(request: Request, caller: LrsCaller, session: SessionDep) -> JSONResponse:
    """One statement (statementId, voidedStatementId) or a filtered page: {"statements", "more"};
    XapiRoute adds X-Experience-API-Consistent-Through."""
    params = dict(request.query_params)
    single = "statementId" in params or "voidedStatementId" in params
    found = (one_statement if single else statement_page)(session, caller.tenant_id, params)
    return JSONResponse(found)
