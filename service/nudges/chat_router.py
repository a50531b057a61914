"""What Slack and Teams post back: signed by the platform, not by a Leerpad key (service.http.deps
PUBLIC_ROUTES says so). /slack/{tenant}/interactions (button clicks and the pulse answer),
/slack/{tenant}/commands (`/leerpad <question>`), /teams/{tenant}/messages (Action.Submit)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request

from models import repositories as repo
from models.tables import Tenant
from service.http.deps import RuntimeDep, SessionDep
from service.http.errors import NotFound, Unprocessable, problem_responses
from service.nudges.integrations import SLACK, TEAMS, open_integration
from service.nudges.interactions import (
    MAX_FORM_BYTES,
    answer_command,
    handle_slack_interaction,
    handle_teams_activity,
    slack_form,
    slack_payload,
    teams_reply,
    verify_slack,
    verify_teams,
)

router = APIRouter(tags=["chat"])
TenantSlug = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")]


async def raw_body(request: Request) -> bytes:
    """The body as sent: the signature is over these bytes."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


def _tenant(session: SessionDep, slug: str) -> Tenant:
    tenant = repo.get_tenant(session, slug)
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}")
    return tenant


@router.post("/slack/{tenant}/interactions", responses=problem_responses(401, 403, 404, 422))
def slack_interactions(
    tenant: TenantSlug, request: Request, body: RawBody, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """A click on a nudge's button (or the pulse answer), signed by Slack: it becomes a learning
    event, and the message is replaced by a thank-you line."""
    now = datetime.now(UTC)
    row = _tenant(session, tenant)
    integration = open_integration(session, runtime.settings, row.id, SLACK)
    verify_slack(session, row.id, integration, body, request.headers, now)
    assert integration is not None
    answered = handle_slack_interaction(
        session, runtime.settings, row.id, integration, slack_payload(body), now
    )
    return {"ok": True, "answer": answered.answer}


@router.post("/slack/{tenant}/commands", responses=problem_responses(401, 403, 404, 422))
def slack_commands(
    tenant: TenantSlug, request: Request, body: RawBody, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """`/leerpad <question>`, signed by Slack: three micro-units, as GET /v1/search finds them."""
    now = datetime.now(UTC)
    row = _tenant(session, tenant)
    integration = open_integration(session, runtime.settings, row.id, SLACK)
    verify_slack(session, row.id, integration, body, request.headers, now)
    return answer_command(runtime, session, row.slug, row.id, slack_form(body))


@router.post("/teams/{tenant}/messages", responses=problem_responses(401, 403, 404, 422))
def teams_messages(
    tenant: TenantSlug,
    body: RawBody,
    session: SessionDep,
    runtime: RuntimeDep,
    authorization: Annotated[str, Header(max_length=8192)] = "",
) -> dict[str, Any]:
    """An Action.Submit from a nudge card, as a Bot Framework activity with its signed token."""
    now = datetime.now(UTC)
    row = _tenant(session, tenant)
    integration = open_integration(session, runtime.settings, row.id, TEAMS)
    verify_teams(integration, authorization, now)
    if len(body) > MAX_FORM_BYTES:
        raise Unprocessable(f"the activity is larger than {MAX_FORM_BYTES} bytes")
    try:
        activity = json.loads(body)
    except ValueError as exc:
        raise Unprocessable("the activity is not JSON") from exc
    if not isinstance(activity, dict):
        raise Unprocessable("the activity is not a JSON object")
    return teams_reply(handle_teams_activity(session, runtime.settings, row.id, activity, now, integration))
