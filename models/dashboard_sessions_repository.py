"""Queries about dashboard sessions (service/reports/dashboard/sessions.py holds the rules)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from models.tables import ApiKey, DashboardSession


def add_session(
    session: Session, tenant_id: int, key_id: int, token_hash: str, now: datetime, expires_at: datetime
) -> DashboardSession:
    row = DashboardSession(
        tenant_id=tenant_id,
        key_id=key_id,
        token_hash=token_hash,
        created_at=now,
        last_seen_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row


def find_session(session: Session, token_hash: str) -> tuple[DashboardSession, ApiKey] | None:
    """The session with this hash and its key, while the key is not revoked."""
    row = session.execute(
        select(DashboardSession, ApiKey)
        .join(ApiKey, ApiKey.id == DashboardSession.key_id)
        .where(DashboardSession.token_hash == token_hash, ApiKey.revoked_at.is_(None))
    ).first()
    return (row[0], row[1]) if row is not None else None


def delete_session(session: Session, token_hash: str) -> None:
    session.execute(delete(DashboardSession).where(DashboardSession.token_hash == token_hash))


def delete_stale_sessions(session: Session, now: datetime, idle_since: datetime) -> int:
    """Delete sessions past their expiry or idle since before `idle_since`; returns how many."""
    result = session.execute(
        delete(DashboardSession).where(
            or_(DashboardSession.expires_at <= now, DashboardSession.last_seen_at < idle_since)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
