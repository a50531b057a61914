"""Queries of LTI 1.3 (service/lti holds the rules): platform registrations and their deployments,
login nonces, kept launches, the tool's key pair, and the catalog units a deep link can name.

A registration is found by issuer and client id alone (the login names no tenant); everything it
leads to is then read with its tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.orm import Session, selectinload

from models.repositories import UNIT_CARD_COLUMNS, UnitCard, unit_card
from models.tables import (
    ITEM_ACTIVE,
    CatalogItem,
    LtiDeployment,
    LtiLaunch,
    LtiNonce,
    LtiPlatform,
    LtiToolKey,
    MicroUnit,
)


def _platforms(*where: ColumnElement[bool]) -> Select[LtiPlatform]:
    return select(LtiPlatform).where(*where).options(selectinload(LtiPlatform.deployments))


def platforms_of_issuer(session: Session, issuer: str) -> list[LtiPlatform]:
    """Every registration of an issuer, in any tenant (with their deployments)."""
    return list(session.scalars(_platforms(LtiPlatform.issuer == issuer).order_by(LtiPlatform.id)))


def find_platform(session: Session, issuer: str, client_id: str) -> LtiPlatform | None:
    return session.scalar(_platforms(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id))


def tenant_platforms(session: Session, tenant_id: int) -> list[LtiPlatform]:
    query = _platforms(LtiPlatform.tenant_id == tenant_id).order_by(LtiPlatform.issuer, LtiPlatform.client_id)
    return list(session.scalars(query))


def save_platform(
    session: Session, tenant_id: int, values: dict[str, str], deployment_ids: Sequence[str]
) -> LtiPlatform:
    """Create the registration, or update the tenant's own one with this issuer and client id; its
    deployments become exactly `deployment_ids`. The caller has checked that no other tenant holds it."""
    platform = find_platform(session, values["issuer"], values["client_id"])
    if platform is None:
        platform = LtiPlatform(tenant_id=tenant_id, **values)
        session.add(platform)
    else:
        for name, value in values.items():
            setattr(platform, name, value)
    wanted = list(dict.fromkeys(deployment_ids))
    platform.deployments = [d for d in platform.deployments if d.deployment_id in wanted]
    known = {d.deployment_id for d in platform.deployments}
    platform.deployments += [
        LtiDeployment(tenant_id=tenant_id, deployment_id=d) for d in wanted if d not in known
    ]
    session.flush()
    return platform


def add_nonce(session: Session, tenant_id: int, nonce: str, expires_at: datetime) -> None:
    session.add(LtiNonce(nonce=nonce, tenant_id=tenant_id, expires_at=expires_at))
    session.flush()


def use_nonce(session: Session, nonce: str, now: datetime) -> bool:
    """Delete the nonce; True when it was there and not expired (a second use finds nothing)."""
    result = session.execute(delete(LtiNonce).where(LtiNonce.nonce == nonce, LtiNonce.expires_at > now))
    return int(getattr(result, "rowcount", 0) or 0) == 1


def delete_expired(session: Session, now: datetime) -> None:
    """Nonces and kept launches past their time."""
    session.execute(delete(LtiNonce).where(LtiNonce.expires_at <= now))
    session.execute(delete(LtiLaunch).where(LtiLaunch.expires_at <= now))


def keep_launch(
    session: Session, tenant_id: int, launch_id: str, claims: dict[str, Any], expires_at: datetime
) -> None:
    session.add(LtiLaunch(launch_id=launch_id, tenant_id=tenant_id, claims=claims, expires_at=expires_at))
    session.flush()


def kept_launch(session: Session, launch_id: str, now: datetime) -> LtiLaunch | None:
    return session.scalar(
        select(LtiLaunch).where(LtiLaunch.launch_id == launch_id, LtiLaunch.expires_at > now)
    )


def tool_key(session: Session) -> LtiToolKey | None:
    """The tool's key pair: the first one made."""
    return session.scalar(select(LtiToolKey).order_by(LtiToolKey.id).limit(1))


def add_tool_key(session: Session, kid: str, private_key_pem: str, public_key_pem: str) -> None:
    session.add(LtiToolKey(kid=kid, private_key_pem=private_key_pem, public_key_pem=public_key_pem))
    session.flush()


def _active_unit_cards(tenant_id: int, *where: ColumnElement[bool]) -> Select[Any]:
    """Unit cards of the tenant's active units of active items, with these conditions."""
    return (
        select(*UNIT_CARD_COLUMNS)
        .join(CatalogItem, MicroUnit.item_id == CatalogItem.id)
        .where(
            MicroUnit.tenant_id == tenant_id,
            MicroUnit.active.is_(True),
            CatalogItem.status == ITEM_ACTIVE,
            *where,
        )
    )


def units_titled(session: Session, tenant_id: int, words: str, limit: int) -> list[UnitCard]:
    """Active units of the tenant whose own or item's title holds `words` (case-insensitive)."""
    cleaned = "".join(c for c in words.lower() if c not in "\\%_")  # no LIKE wildcards from the user
    pattern = f"%{cleaned}%"
    titled = func.lower(MicroUnit.title).like(pattern) | func.lower(CatalogItem.title).like(pattern)
    query = _active_unit_cards(tenant_id, titled).order_by(CatalogItem.title, MicroUnit.position)
    return [unit_card(row) for row in session.execute(query.limit(limit)).all()]


def unit_at(
    session: Session, tenant_id: int, source: str, external_id: str, position: int | None
) -> UnitCard | None:
    """The active unit at `position` of the tenant's item (the first unit when no position is given)."""
    where = [CatalogItem.source == source, CatalogItem.external_id == external_id]
    if position is not None:
        where.append(MicroUnit.position == position)
    row = session.execute(_active_unit_cards(tenant_id, *where).order_by(MicroUnit.position).limit(1)).first()
    return unit_card(row) if row is not None else None
