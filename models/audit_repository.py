"""The audit log: append and read; the only delete is the retention purge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.tables import AuditEntry


def append(session: Session, entry: AuditEntry) -> None:
    session.add(entry)
    session.flush()


def entries(
    session: Session, tenant_id: int, since: datetime | None, after_id: int, limit: int
) -> Sequence[AuditEntry]:
    """The tenant's entries in id order after `after_id` (keyset pagination), from `since` on."""
    query = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id, AuditEntry.id > after_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return session.scalars(query.order_by(AuditEntry.id).limit(limit)).all()


def purge_before(session: Session, tenant_id: int, cutoff: datetime) -> int:
    """Delete the tenant's entries older than `cutoff`; returns how many."""
    result = session.execute(
        delete(AuditEntry).where(AuditEntry.tenant_id == tenant_id, AuditEntry.at < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
