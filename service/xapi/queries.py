"""Reading statements back (GET /xapi/statements): one by id, or a filtered page with a `more` link.

The parameters are xAPI 1.0.3's; an unknown one, or a malformed value, is a 400 naming it. Voided
statements are left out of every query and found only by voidedStatementId.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from models import xapi_repository as xapi_repo
from models.xapi_repository import StatementFilter
from service.http.errors import NotFound, Unprocessable
from service.xapi.validation import Invalid, actor, ifi, iri, timestamp, uuid_text

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
FORMATS = ("exact", "ids", "canonical")
SINGLE_PARAMS = {"statementId", "voidedStatementId", "format", "attachments"}
QUERY_PARAMS = {
    "agent", "verb", "activity", "registration", "related_activities", "related_agents", "since", "until",
    "limit", "format", "attachments", "ascending", "cursor",
}  # fmt: skip
STATEMENTS_PATH = "/xapi/statements"


def _flag(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise Unprocessable(f"{name}: not true or false")
    return value == "true"


def _format(params: Mapping[str, str]) -> str:
    chosen = params.get("format", "exact")
    if chosen not in FORMATS:
        raise Unprocessable(f"format: {chosen[:50]!r}; one of {', '.join(FORMATS)}")
    return chosen


def _moment(params: Mapping[str, str], name: str) -> datetime | None:
    if name not in params:
        return None
    try:
        text = timestamp(params[name], name)
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (Invalid, ValueError):
        raise Unprocessable(f"{name}: not an ISO 8601 date-time") from None


def _agent(params: Mapping[str, str]) -> str | None:
    if "agent" not in params:
        return None
    try:
        value = json.loads(params["agent"])
    except json.JSONDecodeError:
        raise Unprocessable("agent: not JSON") from None
    actor(value, "agent")
    return ifi(value)


def statement_filter(params: Mapping[str, str]) -> tuple[StatementFilter, int]:
    """The filters and the page size of a query; 400 for anything malformed or unknown."""
    unknown = sorted(set(params) - QUERY_PARAMS)
    if unknown:
        raise Unprocessable(f"{unknown[0][:50]}: not a parameter of statement queries")
    verb = iri(params["verb"], "verb") if "verb" in params else None
    activity = iri(params["activity"], "activity") if "activity" in params else None
    registration = uuid_text(params["registration"], "registration") if "registration" in params else None
    try:
        limit = int(params.get("limit", "0"))
        after = int(params["cursor"]) if "cursor" in params else None
    except ValueError:
        raise Unprocessable("limit or cursor: not a whole number") from None
    if limit < 0:
        raise Unprocessable("limit: must not be negative")
    _format(params)
    where = StatementFilter(
        agent=_agent(params),
        related_agents=_flag(params, "related_agents"),
        verb=verb,
        activity=activity,
        related_activities=_flag(params, "related_activities"),
        registration=registration,
        since=_moment(params, "since"),
        until=_moment(params, "until"),
        ascending=_flag(params, "ascending"),
        after_id=after,
    )
    return where, min(limit or DEFAULT_LIMIT, MAX_LIMIT)


def _ids_only(value: Any) -> Any:
    """The `ids` format: agents, groups, activities and verbs reduced to what identifies them."""
    if isinstance(value, list):
        return [_ids_only(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    kind = value.get("objectType")
    if kind in ("Agent", "Group") or any(k in value for k in ("mbox", "mbox_sha1sum", "openid", "account")):
        kept = {
            k: v for k, v in value.items() if k in ("objectType", "mbox", "mbox_sha1sum", "openid", "account")
        }
        if (
            kind == "Group"
            and "member" in value
            and not any(k in kept for k in ("mbox", "mbox_sha1sum", "openid", "account"))
        ):
            kept["member"] = _ids_only(value["member"])
        return kept
    if "id" in value and ("definition" in value or kind == "Activity"):
        return {k: v for k, v in value.items() if k in ("objectType", "id")}
    out = {k: _ids_only(v) for k, v in value.items()}
    if "verb" in out and isinstance(value.get("verb"), Mapping):
        out["verb"] = {"id": value["verb"].get("id")}
    return out


def present(statement: Mapping[str, Any], chosen: str) -> dict[str, Any]:
    return dict(_ids_only(statement)) if chosen == "ids" else dict(statement)


def one_statement(session: Session, tenant_id: int, params: Mapping[str, str]) -> dict[str, Any]:
    """GET with statementId (not voided) or voidedStatementId (voided): the statement, or 404."""
    unknown = sorted(set(params) - SINGLE_PARAMS)
    if unknown or ("statementId" in params and "voidedStatementId" in params):
        raise Unprocessable(f"{(unknown or ['voidedStatementId'])[0][:50]}: not allowed with statementId")
    voided = "voidedStatementId" in params
    name = "voidedStatementId" if voided else "statementId"
    statement_id = uuid_text(params[name], name)
    chosen = _format(params)
    _flag(params, "attachments")
    row = xapi_repo.statements_by_id(session, tenant_id, [statement_id]).get(statement_id)
    if row is None or row.voided != voided:
        raise NotFound(f"{name}: no {'voided ' if voided else ''}statement {statement_id}")
    return present(row.statement, chosen)


def statement_page(session: Session, tenant_id: int, params: Mapping[str, str]) -> dict[str, Any]:
    """A page of matching statements and the relative IRL of the next page ("" when none)."""
    where, limit = statement_filter(params)
    rows = xapi_repo.query_statements(session, tenant_id, where, limit + 1)
    page, more = rows[:limit], len(rows) > limit
    chosen = _format(params)
    link = ""
    if more:
        following = {k: v for k, v in params.items() if k != "cursor"}
        following["cursor"] = str(page[-1].id)
        link = f"{STATEMENTS_PATH}?{urlencode(following)}"
    return {"statements": [present(row.statement, chosen) for row in page], "more": link}
