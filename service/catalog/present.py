"""Turn table rows into response models while the session is still open (no lazy loads later)."""

from __future__ import annotations

from models.tables import CatalogItem, MicroUnit
from service.catalog.schemas import ItemPublic, UnitPublic
from service.core.activities import activity_id, unit_url


def unit_public(item: CatalogItem, unit: MicroUnit) -> UnitPublic:
    return UnitPublic(
        unit_id=unit.id,
        position=unit.position,
        title=unit.title,
        minutes=unit.minutes,
        url=unit_url(item.url, unit.anchor),
        source=item.source,
        external_id=item.external_id,
        activity_id=activity_id(item.source, item.external_id, unit.position),
    )


def item_public(item: CatalogItem) -> ItemPublic:
    return ItemPublic(
        item_id=item.id,
        source=item.source,
        external_id=item.external_id,
        activity_id=activity_id(item.source, item.external_id),
        title=item.title,
        description=item.description,
        url=item.url,
        lms_url=item.lms_url,
        language=item.language,
        minutes=item.minutes,
        level=item.level,
        format=item.format,
        provider=item.provider,
        rating=item.rating,
        skills=list(item.declared_skills or []),
        status=item.status,
        updated_at=item.updated_at,
        units=[unit_public(item, unit) for unit in item.units if unit.active],
    )
