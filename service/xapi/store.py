"""Storing what an LMS sends to the LRS endpoint, and what it changes.

Every valid statement is stored, whatever its verb (an LRS keeps what it is sent). A request is
stored all or nothing: the first invalid statement refuses it with 400 naming its index and field, a
known id with other content refuses it with 409, and a known id with the same content is taken again
without a change (a retry). The statements Leerpad understands then go through the one code path of
POST /v1/events (service.events.recording.record_statements), so they change evidence, gaps and
paths exactly as events sent there do. One whose actor maps to no employee yet, or whose object names
no catalog item yet, is kept as pending and applied by `apply_pending` when the mapping or the
catalog appears. A voiding statement undoes the voided statement's learning event.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import xapi_repository as xapi_repo
from models.tables import EFFECT_APPLIED, EFFECT_NONE, EFFECT_PENDING
from service.core.schemas import json_shape_problem
from service.events.identities import ActorResolver
from service.events.recording import ACCEPTED, DUPLICATE, MAX_STATEMENTS, record_statements, void_events
from service.events.xapi import MAX_STATEMENT_DEPTH, MAX_STATEMENT_VALUES, derived_id, fingerprint
from service.http.errors import Conflict, Unprocessable
from service.xapi.validation import VOIDED, Invalid, check_statement, ifi

XAPI_VERSION = "1.0.3"
AUTHORITY_HOME = "urn:leerpad:key"  # the authority's account: the tenant and the key that sent it


@dataclass(frozen=True)
class _Prepared:
    statement_id: str
    sent: Mapping[str, Any]  # as the LMS sent it
    fingerprint: str


def authority(tenant_slug: str, key_id: int) -> dict[str, Any]:
    """Who vouches for a stored statement: the API key that sent it, named in the tenant."""
    return {"objectType": "Agent", "account": {"homePage": AUTHORITY_HOME, "name": f"{tenant_slug}/{key_id}"}}


def _prepare(statements: Sequence[Any], put_id: str | None) -> list[_Prepared]:
    """Every statement checked, with its id (given, the PUT's, or derived from the content)."""
    prepared: list[_Prepared] = []
    seen: dict[str, int] = {}
    for index, statement in enumerate(statements):
        where = "statement" if put_id else f"statements[{index}]"
        shape = json_shape_problem(statement, MAX_STATEMENT_DEPTH, MAX_STATEMENT_VALUES)
        if shape:
            raise Unprocessable(f"{where}: {shape}")
        try:
            check_statement(statement)
        except Invalid as invalid:
            raise Unprocessable(f"{where}.{invalid}") from None
        given = str(statement["id"]).lower() if "id" in statement else None
        if put_id is not None and given is not None and given != put_id:
            raise Unprocessable(f"{where}.id: {given} is not the statementId {put_id}")
        statement_id = given_or_derived(statement, put_id)
        if statement_id in seen:
            if given is None:  # the same content twice without an id (Moodle may send that): one statement
                continue
            raise Unprocessable(f"{where}.id: statements[{seen[statement_id]}] has this id too")
        seen[statement_id] = index
        prepared.append(_Prepared(statement_id, statement, fingerprint(statement)))
    return prepared


def given_or_derived(statement: Mapping[str, Any], put_id: str | None) -> str:
    """A statement's id: its own, the PUT's statementId, or the one its content gives."""
    given = statement.get("id")
    return str(given).lower() if given is not None else put_id or derived_id(statement)


def _check_voiding(session: Session, tenant_id: int, prepared: Sequence[_Prepared]) -> set[str]:
    """The ids the voiding statements of the batch void; a voiding statement may not void another."""
    targets = {
        p.statement_id: str(p.sent["object"]["id"]).lower()
        for p in prepared
        if p.sent["verb"]["id"] == VOIDED
    }
    stored = xapi_repo.statements_by_id(session, tenant_id, set(targets.values()))
    for statement_id, target in targets.items():
        row = stored.get(target)
        if target in targets or (row is not None and row.verb_iri == VOIDED):
            index = next(i for i, p in enumerate(prepared) if p.statement_id == statement_id)
            raise Unprocessable(
                f"statements[{index}].object.id: {target} is a voiding statement; it cannot be voided"
            )
    return set(targets.values())


def _stored_form(
    sent: Mapping[str, Any], statement_id: str, now: datetime, vouched: Mapping[str, Any]
) -> dict[str, Any]:
    stamp = now.isoformat().replace("+00:00", "Z")
    stored = _context_activities_listed(sent)
    stored["id"] = statement_id
    stored.setdefault("timestamp", stamp)
    stored["stored"] = stamp
    stored["authority"] = dict(vouched)
    stored.setdefault("version", "1.0.0")
    return stored


def _context_activities_listed(part: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose contextActivities (its SubStatement's too) are arrays: a client may send a single
    activity for one, and xAPI has the LRS answer with an array always."""
    copy = dict(part)
    target = copy.get("object")
    if isinstance(target, Mapping) and target.get("objectType") == "SubStatement":
        copy["object"] = _context_activities_listed(target)
    context = copy.get("context")
    if isinstance(context, Mapping) and isinstance(context.get("contextActivities"), Mapping):
        listed = {
            name: value if isinstance(value, list) else [value]
            for name, value in context["contextActivities"].items()
        }
        copy["context"] = {**context, "contextActivities": listed}
    return copy


def _related(statement: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The identifiers of every agent and activity the statement names (related_agents,
    related_activities), its SubStatement's included."""
    agents: list[str] = []
    activities: list[str] = []

    def person(value: Any) -> None:
        if isinstance(value, Mapping):
            agents.append(ifi(value))
            for member in value.get("member") or []:
                person(member)

    def walk(part: Mapping[str, Any]) -> None:
        person(part.get("actor"))
        target = part.get("object")
        if isinstance(target, Mapping):
            kind = target.get("objectType", "Activity")
            if kind == "Activity":
                activities.append(str(target.get("id")))
            elif kind in ("Agent", "Group"):
                person(target)
            elif kind == "SubStatement":
                walk(target)
        context = part.get("context")
        if isinstance(context, Mapping):
            person(context.get("instructor"))
            person(context.get("team"))
            for listed in (context.get("contextActivities") or {}).values():
                for item in listed if isinstance(listed, list) else [listed]:
                    activities.append(str(item.get("id")))

    walk(statement)
    person(statement.get("authority"))
    return agents, activities


def _lines(values: Collection[str]) -> str:
    return "\n" + "".join(f"{value}\n" for value in dict.fromkeys(values))


def _effects(
    session: Session, tenant_id: int, statements: Sequence[Mapping[str, Any]], now: datetime
) -> list[tuple[str, int | None]]:
    """Apply the statements Leerpad understands through POST /v1/events' code path; for each, in
    order: applied, pending (no employee or item yet) or none, and the employee its actor is."""
    actors = ActorResolver(session, tenant_id)  # one lookup per distinct actor for both
    report = record_statements(session, tenant_id, statements, now, actors=actors)
    employees = actors.employee_ids([s["actor"] for s in statements])
    effects: list[tuple[str, int | None]] = []
    for outcome, employee_id in zip(report.outcomes, employees, strict=True):
        if outcome.status in (ACCEPTED, DUPLICATE):
            effects.append((EFFECT_APPLIED, employee_id))
        elif outcome.unresolved:
            effects.append((EFFECT_PENDING, employee_id))
        else:
            effects.append((EFFECT_NONE, employee_id))
    return effects


def _row(
    tenant_id: int, stored: Mapping[str, Any], prepared: _Prepared, effect: tuple[str, int | None]
) -> dict[str, Any]:
    agents, activities = _related(stored)
    target = stored["object"]
    is_activity = target.get("objectType", "Activity") == "Activity"
    context = stored.get("context") or {}
    registration = context.get("registration")
    return {
        "tenant_id": tenant_id,
        "statement_id": prepared.statement_id,
        "employee_id": effect[1],
        "actor_ifi": ifi(stored["actor"]),
        "verb_iri": stored["verb"]["id"],
        "object_id": target["id"] if is_activity else None,
        "registration": registration.lower() if isinstance(registration, str) else None,
        "agents": _lines(agents),
        "activities": _lines(activities),
        "voids": str(target["id"]).lower() if stored["verb"]["id"] == VOIDED else None,
        "voided": False,
        "effect": effect[0],
        "fingerprint": prepared.fingerprint,
        "stored_at": datetime.fromisoformat(stored["stored"].replace("Z", "+00:00")),
        "statement": dict(stored),
    }


def store_statements(
    session: Session,
    tenant_id: int,
    vouched: Mapping[str, Any],
    statements: Sequence[Any],
    now: datetime,
    put_id: str | None = None,
) -> list[str]:
    """Store a request's statements, all or none; returns their ids in order. `vouched`: the
    authority set on each; `put_id`: the statementId of a PUT (one statement)."""
    if not statements:
        raise Unprocessable("statements: an empty list")
    if len(statements) > MAX_STATEMENTS:
        raise Unprocessable(f"statements: {len(statements)}; at most {MAX_STATEMENTS} per request")
    prepared = _prepare(statements, put_id)
    known = xapi_repo.statements_by_id(session, tenant_id, [p.statement_id for p in prepared])
    for index, item in enumerate(prepared):
        row = known.get(item.statement_id)
        if row is not None and row.fingerprint != item.fingerprint:
            raise Conflict(f"statements[{index}].id: {item.statement_id} is stored with different content")
    voided = _check_voiding(session, tenant_id, prepared)
    fresh = [p for p in prepared if p.statement_id not in known]
    stored = [_stored_form(p.sent, p.statement_id, now, vouched) for p in fresh]
    effects = _effects(session, tenant_id, stored, now) if stored else []
    rows = [_row(tenant_id, s, p, e) for s, p, e in zip(stored, fresh, effects, strict=True)]
    inserted = xapi_repo.insert_statements(session, rows)
    if len(inserted) != len(rows):  # another request stored one of these ids meanwhile
        raise Conflict(
            "statements: another request stored one of these ids at the same time; send them again"
        )
    if voided:
        xapi_repo.mark_voided(session, tenant_id, voided)
        void_events(session, tenant_id, voided)
    return [given_or_derived(statement, put_id) for statement in statements]


def apply_pending(
    session: Session,
    tenant_id: int,
    now: datetime,
    actor_ifis: Collection[str] | None = None,
    account_name: str | None = None,
) -> int:
    """Apply the tenant's stored statements that were waiting for an employee (or an item): all of
    them, those of these actors (service.xapi.validation.ifi), or those of accounts named like a new
    employee. Call it after identities or employees are added. Returns how many were applied now."""
    rows = xapi_repo.pending_statements(session, tenant_id, actor_ifis, account_name)
    if not rows:
        return 0
    effects = _effects(session, tenant_id, [row.statement for row in rows], now)
    changed = {
        row.statement_id: effect
        for row, effect in zip(rows, effects, strict=True)
        if effect[0] != EFFECT_PENDING or effect[1] != row.employee_id
    }
    xapi_repo.set_effects(session, tenant_id, changed)
    return sum(1 for effect in effects if effect[0] == EFFECT_APPLIED)
