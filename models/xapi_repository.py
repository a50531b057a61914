"""Queries about the statements the LRS endpoint stored (xapi_statements). Always per tenant."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from models.events_repository import insert_new_statements
from models.tables import EFFECT_PENDING, XapiStatement


def statements_by_id(
    session: Session, tenant_id: int, statement_ids: Collection[str]
) -> dict[str, XapiStatement]:
    if not statement_ids:
        return {}
    rows = session.scalars(
        select(XapiStatement).where(
            XapiStatement.tenant_id == tenant_id, XapiStatement.statement_id.in_(list(statement_ids))
        )
    ).all()
    return {row.statement_id: row for row in rows}


def insert_statements(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert the statements whose id their tenant has not stored yet; returns the ids inserted."""
    return insert_new_statements(session, cast(Table, XapiStatement.__table__), rows)


def mark_voided(session: Session, tenant_id: int, statement_ids: Collection[str]) -> None:
    if statement_ids:
        session.execute(
            update(XapiStatement)
            .where(XapiStatement.tenant_id == tenant_id, XapiStatement.statement_id.in_(list(statement_ids)))
            .values(voided=True)
        )


def set_effects(session: Session, tenant_id: int, effects: Mapping[str, tuple[str, int | None]]) -> None:
    """statement id -> (effect, employee id) for statements of this tenant."""
    for statement_id, (effect, employee_id) in effects.items():
        session.execute(
            update(XapiStatement)
            .where(XapiStatement.tenant_id == tenant_id, XapiStatement.statement_id == statement_id)
            .values(effect=effect, employee_id=employee_id)
        )


def pending_statements(
    session: Session,
    tenant_id: int,
    actor_ifis: Collection[str] | None = None,
    account_name: str | None = None,
) -> list[XapiStatement]:
    """Stored statements not applied yet (no employee or item was known), oldest first; only those
    of these actors, or of accounts with this name on any site, when given."""
    query = select(XapiStatement).where(
        XapiStatement.tenant_id == tenant_id,
        XapiStatement.effect == EFFECT_PENDING,
        XapiStatement.voided.is_(False),
    )
    if actor_ifis is not None:
        query = query.where(XapiStatement.actor_ifi.in_(list(actor_ifis)))
    if account_name is not None:  # the ifi of an account: "account:<homePage> <name>"
        query = query.where(
            XapiStatement.actor_ifi.startswith("account:", autoescape=True),
            XapiStatement.actor_ifi.endswith(f" {account_name}", autoescape=True),
        )
    return list(session.scalars(query.order_by(XapiStatement.id)).all())


@dataclass(frozen=True)
class StatementFilter:
    """A statement query's filters (xAPI GET /statements); None or empty: not filtered."""

    agent: str | None = None  # an actor IFI (service.xapi.validation.ifi)
    related_agents: bool = False
    verb: str | None = None
    activity: str | None = None
    related_activities: bool = False
    registration: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ascending: bool = False
    after_id: int | None = None  # the `more` cursor: rows past this one in the order asked


def _contains_line(column: Any, value: str) -> Any:
    return column.contains(f"\n{value}\n", autoescape=True)


def query_statements(
    session: Session, tenant_id: int, where: StatementFilter, limit: int
) -> list[XapiStatement]:
    """Statements that match, not voided, in storing order (newest first unless ascending)."""
    query = select(XapiStatement).where(XapiStatement.tenant_id == tenant_id, XapiStatement.voided.is_(False))
    if where.agent is not None:
        query = query.where(
            _contains_line(XapiStatement.agents, where.agent)
            if where.related_agents
            else XapiStatement.actor_ifi == where.agent
        )
    if where.verb is not None:
        query = query.where(XapiStatement.verb_iri == where.verb)
    if where.activity is not None:
        query = query.where(
            _contains_line(XapiStatement.activities, where.activity)
            if where.related_activities
            else XapiStatement.object_id == where.activity
        )
    if where.registration is not None:
        query = query.where(XapiStatement.registration == where.registration)
    if where.since is not None:
        query = query.where(XapiStatement.stored_at > where.since)
    if where.until is not None:
        query = query.where(XapiStatement.stored_at <= where.until)
    if where.after_id is not None:
        query = query.where(
            XapiStatement.id > where.after_id if where.ascending else XapiStatement.id < where.after_id
        )
    order = XapiStatement.id.asc() if where.ascending else XapiStatement.id.desc()
    return list(session.scalars(query.order_by(order).limit(limit)).all())


def latest_stored_at(session: Session, tenant_id: int) -> datetime | None:
    return session.scalar(
        select(XapiStatement.stored_at)
        .where(XapiStatement.tenant_id == tenant_id)
        .order_by(XapiStatement.id.desc())
        .limit(1)
    )
