"""Queries of Open Badges (service/badges holds the rules): a tenant's issuer row with its key and
revocation list, consents, issued and received badges, trusted issuers. Every query takes the
tenant, except the two public look-ups by a badge's random id and by a key id, which is how the
public verification page and a presented credential find their tenant."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.tables import (
    BADGE_STATUS_LIST_BITS,
    Badge,
    BadgeConsent,
    BadgeIssuer,
    BadgeTrustedIssuer,
    LearningPath,
    ReceivedBadge,
    Tenant,
)


def issuer(session: Session, tenant_id: int) -> BadgeIssuer | None:
    return session.scalar(select(BadgeIssuer).where(BadgeIssuer.tenant_id == tenant_id))


def issuer_or_new(session: Session, tenant_id: int) -> BadgeIssuer:
    """The tenant's issuer row, made (switched off, no key yet) when there is none."""
    found = issuer(session, tenant_id)
    if found is None:
        found = BadgeIssuer(
            tenant_id=tenant_id,
            enabled=False,
            evidence_level=3,
            status_bits=bytes(BADGE_STATUS_LIST_BITS // 8),
        )
        session.add(found)
        session.flush()
    return found


def store_signing_key(
    session: Session, row: BadgeIssuer, private_key_pem: str, kid: str, public_jwk: dict[str, Any]
) -> None:
    """Keep a newly made signing key for the issuer unless it has one already, and load the one it
    has into `row`. Conditional, so two transactions that each made a key for a tenant's first badges
    keep one: on PostgreSQL the second waits for the first's commit and then finds a key; on SQLite
    the one writer orders them. A badge is thus never signed with a key that is then overwritten."""
    session.execute(
        update(BadgeIssuer)
        .where(BadgeIssuer.id == row.id, BadgeIssuer.private_key_pem.is_(None))
        .values(private_key_pem=private_key_pem, kid=kid, public_jwk=public_jwk)
        .execution_options(synchronize_session=False)
    )
    session.refresh(row, ["private_key_pem", "kid", "public_jwk"])


def issuer_by_kid(session: Session, kid: str) -> BadgeIssuer | None:
    """The issuer whose signing key has this id, in any tenant (a presented credential names only it)."""
    return session.scalar(select(BadgeIssuer).where(BadgeIssuer.kid == kid))


def tenant_by_slug(session: Session, slug: str) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def tenant_by_id(session: Session, tenant_id: int) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.id == tenant_id))


def set_status_bits(session: Session, tenant_id: int, indexes: Collection[int]) -> None:
    """Set these bits of the tenant's revocation list (bit i counted from the first byte's most
    significant bit: the order of W3C Bitstring Status List v1.0). The issuer row is read again under a
    row lock (FOR UPDATE on PostgreSQL; SQLite has one writer, and a transaction that read the list
    before another's write fails instead of writing over it), so two revocations at once both land.
    Without the lock each rewrote the whole list from what it had read, and the later one cleared the
    earlier one's bit: a revoked badge that still verified as valid."""
    row = session.scalar(
        select(BadgeIssuer)
        .where(BadgeIssuer.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or not indexes:
        return
    bits = bytearray(row.status_bits)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    row.status_bits = bytes(bits)  # a new value, so the column is written
    session.flush()


def status_bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def has_consent(session: Session, tenant_id: int, employee_id: int) -> BadgeConsent | None:
    return session.scalar(
        select(BadgeConsent).where(
            BadgeConsent.tenant_id == tenant_id, BadgeConsent.employee_id == employee_id
        )
    )


def consenting_employees(session: Session, tenant_id: int, employee_ids: Collection[int]) -> set[int]:
    """Those of these employees who said yes to badges, when the tenant has badges turned on (none
    otherwise): one indexed query, the check before an `issue-badges` job is queued."""
    if not employee_ids:
        return set()
    return set(
        session.scalars(
            select(BadgeConsent.employee_id)
            .join(BadgeIssuer, BadgeIssuer.tenant_id == BadgeConsent.tenant_id)
            .where(
                BadgeConsent.tenant_id == tenant_id,
                BadgeIssuer.enabled.is_(True),
                BadgeConsent.employee_id.in_(sorted(set(employee_ids))),
            )
        )
    )


def consenting_employee_ids(session: Session, tenant_id: int) -> list[int]:
    """Every employee of the tenant who said yes to badges."""
    return list(
        session.scalars(
            select(BadgeConsent.employee_id)
            .where(BadgeConsent.tenant_id == tenant_id)
            .order_by(BadgeConsent.employee_id)
        )
    )


def set_consent(session: Session, tenant_id: int, employee_id: int, consent: bool) -> None:
    row = has_consent(session, tenant_id, employee_id)
    if consent and row is None:
        session.add(BadgeConsent(tenant_id=tenant_id, employee_id=employee_id))
    elif not consent and row is not None:
        session.delete(row)
    session.flush()


def badges_of(session: Session, tenant_id: int, employee_id: int) -> Sequence[Badge]:
    return session.scalars(
        select(Badge)
        .where(Badge.tenant_id == tenant_id, Badge.employee_id == employee_id)
        .order_by(Badge.issued_at, Badge.id)
    ).all()


def badge(session: Session, tenant_id: int, badge_key: str) -> Badge | None:
    return session.scalar(select(Badge).where(Badge.tenant_id == tenant_id, Badge.badge_key == badge_key))


def public_badge(session: Session, badge_key: str) -> Badge | None:
    """A badge by its random public id, in any tenant: the verification page's look-up."""
    return session.scalar(select(Badge).where(Badge.badge_key == badge_key))


def used_status_indexes(session: Session, tenant_id: int) -> set[int]:
    return set(session.scalars(select(Badge.status_index).where(Badge.tenant_id == tenant_id)))


def add_badge(session: Session, row: Badge) -> Badge:
    session.add(row)
    session.flush()
    return row


def received_of(session: Session, tenant_id: int, employee_id: int) -> Sequence[ReceivedBadge]:
    return session.scalars(
        select(ReceivedBadge)
        .where(ReceivedBadge.tenant_id == tenant_id, ReceivedBadge.employee_id == employee_id)
        .order_by(ReceivedBadge.uploaded_at, ReceivedBadge.id)
    ).all()


def add_received(session: Session, row: ReceivedBadge) -> ReceivedBadge:
    session.add(row)
    session.flush()
    return row


def trusted_issuers(session: Session, tenant_id: int) -> Sequence[BadgeTrustedIssuer]:
    return session.scalars(
        select(BadgeTrustedIssuer)
        .where(BadgeTrustedIssuer.tenant_id == tenant_id)
        .order_by(BadgeTrustedIssuer.issuer)
    ).all()


def trusted_issuer(session: Session, tenant_id: int, issuer_id: str) -> BadgeTrustedIssuer | None:
    return session.scalar(
        select(BadgeTrustedIssuer).where(
            BadgeTrustedIssuer.tenant_id == tenant_id, BadgeTrustedIssuer.issuer == issuer_id
        )
    )


def save_trusted_issuer(
    session: Session, tenant_id: int, issuer_id: str, name: str, keys: dict[str, object]
) -> None:
    row = trusted_issuer(session, tenant_id, issuer_id)
    if row is None:
        row = BadgeTrustedIssuer(tenant_id=tenant_id, issuer=issuer_id)
        session.add(row)
    row.name = name
    row.keys = dict(keys)
    session.flush()


def paths_of(session: Session, tenant_id: int, employee_id: int) -> Sequence[LearningPath]:
    return session.scalars(
        select(LearningPath)
        .where(LearningPath.tenant_id == tenant_id, LearningPath.employee_id == employee_id)
        .order_by(LearningPath.created_at, LearningPath.id)
    ).all()
