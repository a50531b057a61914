"""Every change to a tenant's item tags moves its `tags_version`, in the same transaction.

A served worker keeps the catalog's tags as arrays (recommender.catalog_tags) and rebuilds them
when this number moves, so a tag L&D confirms or rejects counts in the next path in every worker.
A listener on the ORM flush sees every tag written through a session (auto tags at ingest and skill
import, reviews); code that writes `item_skills` with bulk SQL must call `bump_tags_version` itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from models.tables import ItemSkill, Tenant


def bump_tags_version(session: Session, tenant_ids: set[int]) -> None:
    """Move these tenants' tags version on (an UPDATE, so concurrent writers never lose a step)."""
    for tenant_id in sorted(tenant_ids):
        # on the connection, not the session: it runs inside a flush
        session.connection().execute(
            update(Tenant).where(Tenant.id == tenant_id).values(tags_version=Tenant.tags_version + 1)
        )


@event.listens_for(Session, "before_flush")
def _tags_written(session: Session, _context: Any, _instances: Any) -> None:
    changed = {
        int(row.tenant_id)
        for rows in (session.new, session.dirty, session.deleted)
        for row in rows
        if isinstance(row, ItemSkill) and (row not in session.dirty or session.is_modified(row))
    }
    if changed:
        bump_tags_version(session, changed)
