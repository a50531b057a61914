"""Queries about actor identities: which employee an LMS's xAPI actor is. Always per tenant."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.tables import AccountHomePage, ActorIdentity, Employee


def employee_for_actor_key(session: Session, tenant_id: int, actor_key: str) -> Employee | None:
    return session.scalar(
        select(Employee)
        .join(ActorIdentity, ActorIdentity.employee_id == Employee.id)
        .where(ActorIdentity.tenant_id == tenant_id, ActorIdentity.actor_key == actor_key)
    )


def identities_by_key(
    session: Session, tenant_id: int, actor_keys: Collection[str]
) -> dict[str, ActorIdentity]:
    if not actor_keys:
        return {}
    rows = session.scalars(
        select(ActorIdentity).where(
            ActorIdentity.tenant_id == tenant_id, ActorIdentity.actor_key.in_(list(actor_keys))
        )
    )
    return {row.actor_key: row for row in rows}


def add_identity(session: Session, tenant_id: int, actor_key: str, employee_id: int) -> None:
    session.add(ActorIdentity(tenant_id=tenant_id, actor_key=actor_key, employee_id=employee_id))


def identities_of(
    session: Session, tenant_id: int, employee_id: int | None = None, after_id: int = 0, limit: int = 1000
) -> Sequence[tuple[ActorIdentity, str]]:
    """(identity, employee key) pairs in id order, from `after_id` on (keyset pagination)."""
    query = (
        select(ActorIdentity, Employee.key)
        .join(Employee, Employee.id == ActorIdentity.employee_id)
        .where(ActorIdentity.tenant_id == tenant_id, ActorIdentity.id > after_id)
        .order_by(ActorIdentity.id)
        .limit(limit)
    )
    if employee_id is not None:
        query = query.where(ActorIdentity.employee_id == employee_id)
    return [(row[0], row[1]) for row in session.execute(query)]


def home_pages(session: Session, tenant_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AccountHomePage.home_page)
            .where(AccountHomePage.tenant_id == tenant_id)
            .order_by(AccountHomePage.home_page)
        )
    )


def replace_home_pages(session: Session, tenant_id: int, pages: Collection[str]) -> None:
    session.execute(delete(AccountHomePage).where(AccountHomePage.tenant_id == tenant_id))
    session.add_all(AccountHomePage(tenant_id=tenant_id, home_page=page) for page in sorted(set(pages)))
