"""Recording a batch of xAPI statements: parse, check, resolve, store once, report every outcome.

Each statement ends as accepted (stored now), duplicate (its id is stored already with the same
content) or rejected with a reason that names the field. A rejected statement never blocks the
others; the accepted ones are stored in the caller's transaction, all of them or none.

The actor is an employee through the tenant's identity mapping (service.events.identities: an
explicit mapping, else `account.name` as the employee's key). The object's id is an item's or a
unit's `activity_id` (urn:leerpad:activity:<source>:<external_id>[#unit-N]), its url (a unit's url
is the item's url with the unit's anchor) or the item's lms_url (the LMS's own page of the course or
module, which is what Moodle's statements name). Several items with one url: the active one, then the
oldest; an item's url wins over another's lms_url. Retired items still resolve: what an employee learned stays true after the course is gone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import events_repository as events_repo
from models import people_repository as people
from models.events_repository import ItemRef, UnitRef
from recommender.feedback import COMPLETION_VERBS, TEST_VERBS
from service.core.activities import parse_activity_id
from service.core.badge_jobs import queue_issue_badges
from service.events.identities import ActorResolver
from service.events.xapi import ParsedStatement, fingerprint, given_id, parse_statement

MAX_STATEMENTS = 1000
# What may earn a badge: a test result or a completion is evidence of a level, and a completed
# (or passed) unit may finish a path. An employee with a new one gets an `issue-badges` job.
EARNING_VERBS = TEST_VERBS | COMPLETION_VERBS

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass(frozen=True)
class Outcome:
    index: int
    status: str  # accepted, duplicate, rejected
    statement_id: str | None
    reason: str | None = None
    # Rejected only because no employee or catalog item is known for it yet: the LRS endpoint keeps
    # such a statement pending and applies it later (service.xapi.store.apply_pending).
    unresolved: bool = False


@dataclass
class EventsReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def ids(self, status: str) -> list[str]:
        return [o.statement_id for o in self.outcomes if o.status == status and o.statement_id]

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == REJECTED]


@dataclass(frozen=True)
class Target:
    """The catalog row an activity id names: an item, or one unit of it."""

    item_id: int
    unit_id: int | None


@dataclass(frozen=True)
class _Catalog:
    """The items and units a batch's activity ids might name, indexed the ways they can be named."""

    by_key: dict[tuple[str, str], ItemRef]
    by_url: dict[str, ItemRef]
    by_lms_url: dict[str, ItemRef]
    by_position: dict[tuple[int, int], UnitRef]
    by_anchor: dict[tuple[int, str], UnitRef]

    def target(self, aid: str, key: tuple[str, str, int | None] | None) -> Target | None:
        if key is not None:
            source, external_id, position = key
            item = self.by_key.get((source, external_id))
            if item is None or position is None:
                return Target(item.item_id, None) if item else None
            unit = self.by_position.get((item.item_id, position))
            return Target(item.item_id, unit.unit_id) if unit else None
        if aid in self.by_url:
            return Target(self.by_url[aid].item_id, None)
        if aid in self.by_lms_url:
            return Target(self.by_lms_url[aid].item_id, None)
        base, hash_, anchor = aid.rpartition("#")
        page = self.by_url.get(base) if hash_ else None
        section = self.by_anchor.get((page.item_id, anchor)) if page else None
        return Target(section.item_id, section.unit_id) if section else None


def _resolve_activities(session: Session, tenant_id: int, activity_ids: Collection[str]) -> dict[str, Target]:
    """The items and units these activity ids name; ids that name nothing are left out."""
    keys = {aid: parsed for aid in activity_ids if (parsed := parse_activity_id(aid)) is not None}
    urls = {aid for aid in activity_ids if aid not in keys}
    urls |= {aid.rpartition("#")[0] for aid in urls if "#" in aid}
    items = events_repo.item_refs(session, tenant_id, {(s, e) for s, e, _ in keys.values()}, urls)
    by_url: dict[str, ItemRef] = {}
    by_lms_url: dict[str, ItemRef] = {}
    for item in sorted(items, key=lambda i: (not i.active, i.item_id)):
        if item.url:
            by_url.setdefault(item.url, item)
        if item.lms_url:
            by_lms_url.setdefault(item.lms_url, item)
    units = events_repo.unit_refs(session, tenant_id, [i.item_id for i in items])
    by_anchor: dict[tuple[int, str], UnitRef] = {}
    for unit in units:
        if unit.anchor:
            by_anchor.setdefault((unit.item_id, unit.anchor), unit)
    catalog = _Catalog(
        by_key={(i.source, i.external_id): i for i in items},
        by_url=by_url,
        by_lms_url=by_lms_url,
        by_position={(u.item_id, u.position): u for u in units},
        by_anchor=by_anchor,
    )
    found = {aid: catalog.target(aid, keys.get(aid)) for aid in activity_ids}
    return {aid: target for aid, target in found.items() if target is not None}


def _unknown_object(activity_id: str) -> str:
    if activity_id.startswith("urn:leerpad:"):
        return f"object.id: no item or unit {activity_id!r} in this tenant's catalog"
    return f"object.id: {activity_id!r} is no item's or unit's activity_id, url or lms_url in this tenant's catalog"


def _row(
    tenant_id: int,
    parsed: ParsedStatement,
    statement: Mapping[str, Any],
    employee_id: int,
    target: Target,
    now: datetime,
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "statement_id": parsed.statement_id,
        "employee_id": employee_id,
        "verb": parsed.verb,
        "verb_iri": parsed.verb_iri,
        "activity_id": parsed.activity_id,
        "item_id": target.item_id,
        "unit_id": target.unit_id,
        "score_scaled": parsed.score_scaled,
        "score_raw": parsed.score_raw,
        "success": parsed.success,
        "completion": parsed.completion,
        "duration_seconds": parsed.duration_seconds,
        "occurred_at": parsed.occurred_at,
        "stored_at": now,
        "statement": dict(statement),
    }


def _against_stored(
    session: Session, tenant_id: int, leads: Mapping[str, tuple[int, ParsedStatement]]
) -> dict[int, Outcome]:
    """Outcomes of the statements whose id this tenant has stored already: same content or not."""
    outcomes: dict[int, Outcome] = {}
    for statement_id, row in events_repo.events_by_statement_id(session, tenant_id, list(leads)).items():
        index, parsed = leads[statement_id]
        if fingerprint(row.statement) == parsed.fingerprint:
            outcomes[index] = Outcome(index, DUPLICATE, statement_id)
        else:
            outcomes[index] = Outcome(
                index, REJECTED, statement_id, "id: already stored with different content"
            )
    return outcomes


def _of_others(
    session: Session,
    tenant_id: int,
    parsed_at: Mapping[int, ParsedStatement],
    employee_key: str,
    actors: ActorResolver,
) -> dict[int, Outcome]:
    """The statements an employee key may not send: those whose actor is someone else, or no one."""
    own = people.employee_ids_by_key(session, tenant_id, {employee_key}).get(employee_key)
    indexes = list(parsed_at)
    employees = actors.employee_ids([parsed_at[i].actor for i in indexes])
    reason = "actor: an employee key may only send its own statements"
    return {
        index: Outcome(index, REJECTED, parsed_at[index].statement_id, reason)
        for index, employee_id in zip(indexes, employees, strict=True)
        if own is None or employee_id != own
    }


def _no_employee(actor_key: str) -> str:
    """Why an actor's statement was not applied: it names no employee of the tenant (yet)."""
    kind, _, rest = actor_key.partition("|")
    if kind == "account":
        name = rest.rpartition("|")[2]
        return f"actor.account.name: no employee {name!r} in this tenant"
    return f"actor: {actor_key!r} names no employee of this company; map it with PUT /v1/identities"


def record_statements(
    session: Session,
    tenant_id: int,
    statements: Sequence[Any],
    now: datetime,
    only_employee: str | None = None,
    actors: ActorResolver | None = None,
) -> EventsReport:
    """Store the new statements of a batch; `only_employee` (an employee key's own) refuses the others'.

    A statement whose id comes again later in the batch is judged once: a later copy with the same
    content shares the first one's fate (a stored one makes it a duplicate), a later one with
    different content is rejected. Which employee each actor is, the tenant's identity mapping says
    (service.events.identities), for POST /v1/events and the LRS alike; `actors` lets a caller that
    resolves the same actors itself share the lookups. An employee with a new test result or
    completion who receives badges gets an `issue-badges` job, queued in the same transaction."""
    actors = actors or ActorResolver(session, tenant_id)
    outcomes: dict[int, Outcome] = {}
    parsed_at: dict[int, ParsedStatement] = {}
    for index, statement in enumerate(statements):
        parsed = parse_statement(statement, now)
        if isinstance(parsed, str):
            outcomes[index] = Outcome(index, REJECTED, given_id(statement), parsed)
        else:
            parsed_at[index] = parsed
    if only_employee is not None:
        others = _of_others(session, tenant_id, parsed_at, only_employee, actors)
        outcomes.update(others)
        parsed_at = {index: parsed for index, parsed in parsed_at.items() if index not in others}

    leads: dict[str, tuple[int, ParsedStatement]] = {}
    echoes: dict[int, int] = {}  # index of a later copy -> index of the first statement with its id
    for index, parsed in parsed_at.items():
        first = leads.get(parsed.statement_id)
        if first is None:
            leads[parsed.statement_id] = (index, parsed)
        elif first[1].fingerprint == parsed.fingerprint:
            echoes[index] = first[0]
        else:
            reason = f"id: statement {first[0]} of this batch has this id with different content"
            outcomes[index] = Outcome(index, REJECTED, parsed.statement_id, reason)

    outcomes.update(_against_stored(session, tenant_id, leads))
    fresh = [(index, parsed) for index, parsed in leads.values() if index not in outcomes]
    employees = actors.employee_ids([p.actor for _, p in fresh])
    targets = _resolve_activities(session, tenant_id, {p.activity_id for _, p in fresh})
    rows: dict[str, tuple[int, dict[str, Any]]] = {}
    for (index, parsed), employee_id in zip(fresh, employees, strict=True):
        target = targets.get(parsed.activity_id)
        if employee_id is None:
            reason = _no_employee(parsed.actor_key)
            outcomes[index] = Outcome(index, REJECTED, parsed.statement_id, reason, unresolved=True)
        elif target is None:
            reason = _unknown_object(parsed.activity_id)
            outcomes[index] = Outcome(index, REJECTED, parsed.statement_id, reason, unresolved=True)
        else:
            row = _row(tenant_id, parsed, statements[index], employee_id, target, now)
            rows[parsed.statement_id] = (index, row)

    inserted = events_repo.insert_new_events(session, [row for _, row in rows.values()])
    earning = {rows[sid][1]["employee_id"] for sid in inserted if rows[sid][1]["verb"] in EARNING_VERBS}
    queue_issue_badges(session, tenant_id, earning)
    for statement_id in inserted:
        index = rows[statement_id][0]
        outcomes[index] = Outcome(index, ACCEPTED, statement_id)
    raced = {sid: leads[sid] for sid in rows if sid not in inserted}  # stored meanwhile by another request
    outcomes.update(_against_stored(session, tenant_id, raced))
    for index, _ in rows.values():
        if index not in outcomes:  # not inserted, yet gone again (erased meanwhile): nothing to compare
            reason = "id: another request was storing this statement at the same time; send it again"
            outcomes[index] = Outcome(index, REJECTED, parsed_at[index].statement_id, reason)

    for index, lead in echoes.items():
        decided = outcomes[lead]
        status = REJECTED if decided.status == REJECTED else DUPLICATE
        outcomes[index] = Outcome(index, status, decided.statement_id, decided.reason, decided.unresolved)
    return EventsReport([outcomes[index] for index in sorted(outcomes)])


def void_events(session: Session, tenant_id: int, statement_ids: Collection[str]) -> int:
    """Undo what these statements did: their learning events go, so evidence, gaps and the next path
    are computed as if they had never come (xAPI voiding). Returns how many events went."""
    return events_repo.delete_events(session, tenant_id, statement_ids)
