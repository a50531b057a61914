"""Queries about learning events (xAPI statements) and the catalog rows they point at. Always per tenant."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, delete, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.tables import ITEM_ACTIVE, CatalogItem, LearningEvent, MicroUnit, Tenant

INSERT_CHUNK = 200  # rows per INSERT: well under both databases' limits on bound parameters


def events_by_statement_id(
    session: Session, tenant_id: int, statement_ids: Collection[str]
) -> dict[str, LearningEvent]:
    if not statement_ids:
        return {}
    rows = session.scalars(
        select(LearningEvent).where(
            LearningEvent.tenant_id == tenant_id, LearningEvent.statement_id.in_(list(statement_ids))
        )
    ).all()
    return {row.statement_id: row for row in rows}


def insert_new_events(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert the events whose statement id their tenant has not stored yet; returns the ids inserted."""
    return insert_new_statements(session, cast(Table, LearningEvent.__table__), rows)


def insert_new_statements(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert the rows (of a table unique on tenant_id and statement_id) whose statement id is new;
    returns the ids inserted.

    INSERT .. ON CONFLICT DO NOTHING (both dialects) rather than read-then-insert: of two concurrent
    requests with the same statement id, one inserts and the other learns that it did not."""
    if not rows:
        return set()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted: set[str] = set()
    for start in range(0, len(rows), INSERT_CHUNK):
        statement = (
            insert(table)
            .values(list(rows[start : start + INSERT_CHUNK]))
            .on_conflict_do_nothing(index_elements=["tenant_id", "statement_id"])
            .returning(table.c.statement_id)
        )
        inserted.update(session.execute(statement).scalars())
    return inserted


def has_events(session: Session, tenant_id: int) -> bool:
    return (
        session.scalar(select(LearningEvent.id).where(LearningEvent.tenant_id == tenant_id).limit(1))
        is not None
    )


def tenants_with_events(session: Session) -> list[str]:
    """Slugs of the tenants that have stored at least one learning event: the ones worth retraining."""
    has_events = select(LearningEvent.id).where(LearningEvent.tenant_id == Tenant.id).exists()
    return list(session.scalars(select(Tenant.slug).where(has_events).order_by(Tenant.id)))


@dataclass(frozen=True)
class ItemRef:
    """What resolving an xAPI object needs to know of an item."""

    item_id: int
    source: str
    external_id: str
    url: str | None
    active: bool
    lms_url: str | None = None


@dataclass(frozen=True)
class UnitRef:
    unit_id: int
    item_id: int
    position: int
    anchor: str | None


def item_refs(
    session: Session, tenant_id: int, keys: Collection[tuple[str, str]], urls: Collection[str]
) -> list[ItemRef]:
    """Items (active or retired) with one of these (source, external id) pairs, or one of these urls as
    their url or their lms_url."""
    conditions = []
    if keys:
        conditions.append(tuple_(CatalogItem.source, CatalogItem.external_id).in_(list(keys)))
    if urls:
        conditions.append(CatalogItem.url.in_(list(urls)))
        conditions.append(CatalogItem.lms_url.in_(list(urls)))
    if not conditions:
        return []
    rows = session.execute(
        select(
            CatalogItem.id,
            CatalogItem.source,
            CatalogItem.external_id,
            CatalogItem.url,
            CatalogItem.status,
            CatalogItem.lms_url,
        )
        .where(CatalogItem.tenant_id == tenant_id, or_(*conditions))
        .order_by(CatalogItem.id)
    ).all()
    return [ItemRef(int(r[0]), r[1], r[2], r[3], r[4] == ITEM_ACTIVE, r[5]) for r in rows]


def unit_refs(session: Session, tenant_id: int, item_ids: Collection[int]) -> list[UnitRef]:
    if not item_ids:
        return []
    rows = session.execute(
        select(MicroUnit.id, MicroUnit.item_id, MicroUnit.position, MicroUnit.anchor)
        .where(MicroUnit.tenant_id == tenant_id, MicroUnit.item_id.in_(list(item_ids)))
        .order_by(MicroUnit.item_id, MicroUnit.position)
    ).all()
    return [UnitRef(int(r[0]), int(r[1]), int(r[2]), r[3]) for r in rows]


@dataclass(frozen=True)
class ItemEventRow:
    """One event of an employee on a catalog item, with what the model needs of the item."""

    verb: str
    item_id: int
    unit_id: int | None
    activity_id: str
    occurred_at: datetime
    item_level: str | None
    item_url: str | None
    item_source: str
    item_external_id: str


def _item_events_query(tenant_id: int, verbs: Collection[str]) -> Any:  # a Select of ten columns
    return (
        select(
            LearningEvent.verb,
            LearningEvent.item_id,
            LearningEvent.unit_id,
            LearningEvent.activity_id,
            LearningEvent.occurred_at,
            CatalogItem.level,
            CatalogItem.url,
            CatalogItem.source,
            CatalogItem.external_id,
            LearningEvent.employee_id,
        )
        .join(CatalogItem, CatalogItem.id == LearningEvent.item_id)
        .where(LearningEvent.tenant_id == tenant_id, LearningEvent.verb.in_(list(verbs)))
        .order_by(LearningEvent.occurred_at, LearningEvent.id)
    )


def _item_event_row(r: Any) -> ItemEventRow:
    # The join makes item_id non-null.
    return ItemEventRow(
        verb=r[0],
        item_id=int(r[1] or 0),
        unit_id=None if r[2] is None else int(r[2]),
        activity_id=r[3],
        occurred_at=r[4],
        item_level=r[5],
        item_url=r[6],
        item_source=r[7],
        item_external_id=r[8],
    )


def item_events_of(
    session: Session, tenant_id: int, employee_id: int, verbs: Collection[str]
) -> list[ItemEventRow]:
    """The employee's events with these verbs on items still in the catalog, oldest first."""
    query = _item_events_query(tenant_id, verbs).where(LearningEvent.employee_id == employee_id)
    return [_item_event_row(r) for r in session.execute(query).all()]


class EvidenceEventRow(NamedTuple):
    """An event as evidence of a level reads it (recommender.feedback.EvidenceEvent); a tuple, not
    a dataclass, since a report reads tens of thousands."""

    verb: str
    item_id: int
    item_level: str | None
    occurred_at: datetime


def evidence_events_by_employee(
    session: Session, tenant_id: int, verbs: Collection[str]
) -> dict[int, list[EvidenceEventRow]]:
    """Every employee's events with these verbs on items still in the catalog, oldest first: the
    events `item_events_of` gives one employee, for a whole tenant in one query (the reports), with
    only the columns evidence reads."""
    query = (
        select(
            LearningEvent.employee_id,
            LearningEvent.verb,
            LearningEvent.item_id,
            CatalogItem.level,
            LearningEvent.occurred_at,
        )
        .join(CatalogItem, CatalogItem.id == LearningEvent.item_id)
        .where(LearningEvent.tenant_id == tenant_id, LearningEvent.verb.in_(list(verbs)))
        .order_by(LearningEvent.occurred_at, LearningEvent.id)
    )
    grouped: dict[int, list[EvidenceEventRow]] = {}
    for employee_id, verb, item_id, level, occurred_at in session.execute(query).all():
        # The join makes item_id non-null.
        grouped.setdefault(int(employee_id), []).append(
            EvidenceEventRow(verb, int(item_id or 0), level, occurred_at)
        )
    return grouped


def delete_events(session: Session, tenant_id: int, statement_ids: Collection[str]) -> int:
    """Remove the learning events of these statements (they were voided); returns how many went."""
    if not statement_ids:
        return 0
    result = session.execute(
        delete(LearningEvent).where(
            LearningEvent.tenant_id == tenant_id, LearningEvent.statement_id.in_(list(statement_ids))
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
