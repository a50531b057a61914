"""Queries behind the gap report and the learning KPIs: a tenant's events, paths and tags in bulk."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import (
    ITEM_ACTIVE,
    TAG_REJECTED,
    CatalogItem,
    ItemSkill,
    LearningEvent,
    LearningPath,
    MicroUnit,
)


class EventRow(NamedTuple):
    """A learning event as the KPIs read it (a tuple: a report reads tens of thousands)."""

    employee_id: int
    verb: str
    item_id: int | None
    occurred_at: datetime
    duration_seconds: float | None
    score_scaled: float | None
    success: bool | None
    unit_minutes: int | None
    item_minutes: int | None


def events_between(session: Session, tenant_id: int, start: datetime, end: datetime) -> list[EventRow]:
    """The tenant's learning events in [start, end), with the minutes of the unit or item they name."""
    rows = session.execute(
        select(
            LearningEvent.employee_id,
            LearningEvent.verb,
            LearningEvent.item_id,
            LearningEvent.occurred_at,
            LearningEvent.duration_seconds,
            LearningEvent.score_scaled,
            LearningEvent.success,
            MicroUnit.minutes,
            CatalogItem.minutes,
        )
        .outerjoin(MicroUnit, MicroUnit.id == LearningEvent.unit_id)
        .outerjoin(CatalogItem, CatalogItem.id == LearningEvent.item_id)
        .where(
            LearningEvent.tenant_id == tenant_id,
            LearningEvent.occurred_at >= start,
            LearningEvent.occurred_at < end,
        )
        .order_by(LearningEvent.occurred_at, LearningEvent.id)
    ).all()
    return [
        EventRow(
            employee_id=int(r[0]),
            verb=r[1],
            item_id=None if r[2] is None else int(r[2]),
            occurred_at=r[3],
            duration_seconds=r[4],
            score_scaled=r[5],
            success=r[6],
            unit_minutes=r[7],
            item_minutes=r[8],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class PathRow:
    employee_id: int
    created_at: datetime
    weeks: int


def paths_created_before(session: Session, tenant_id: int, end: datetime) -> list[PathRow]:
    """Every employee path made before `end`, with the number of weeks it was asked for."""
    rows = session.execute(
        select(LearningPath.employee_id, LearningPath.created_at, LearningPath.request).where(
            LearningPath.tenant_id == tenant_id,
            LearningPath.employee_id.is_not(None),
            LearningPath.created_at < end,
        )
    ).all()
    result: list[PathRow] = []
    for employee_id, created_at, request in rows:
        weeks = request.get("weeks") if isinstance(request, dict) else None
        result.append(PathRow(int(employee_id), created_at, int(weeks) if isinstance(weeks, int) else 1))
    return result


def item_skill_confidences(
    session: Session, tenant_id: int, skill_ids: Collection[int]
) -> dict[int, dict[int, float]]:
    """item id -> {skill id: confidence} for active items teaching any of these skills (tags L&D
    rejected left out)."""
    if not skill_ids:
        return {}
    rows = session.execute(
        select(ItemSkill.item_id, ItemSkill.skill_id, ItemSkill.confidence)
        .join(CatalogItem, CatalogItem.id == ItemSkill.item_id)
        .where(
            ItemSkill.tenant_id == tenant_id,
            ItemSkill.skill_id.in_(sorted(skill_ids)),
            ItemSkill.status != TAG_REJECTED,
            CatalogItem.status == ITEM_ACTIVE,
        )
    ).all()
    result: dict[int, dict[int, float]] = {}
    for item_id, skill_id, confidence in rows:
        result.setdefault(int(item_id), {})[int(skill_id)] = float(confidence)
    return result


def taught_skills_of_items(
    session: Session, tenant_id: int, item_ids: Collection[int]
) -> dict[int, list[int]]:
    """item id -> the skills it teaches (any item status: an item retired since still taught)."""
    if not item_ids:
        return {}
    rows = session.execute(
        select(ItemSkill.item_id, ItemSkill.skill_id).where(
            ItemSkill.tenant_id == tenant_id,
            ItemSkill.item_id.in_(sorted(item_ids)),
            ItemSkill.status != TAG_REJECTED,
        )
    ).all()
    result: dict[int, list[int]] = {}
    for item_id, skill_id in rows:
        result.setdefault(int(item_id), []).append(int(skill_id))
    return result


def items_by_id(session: Session, tenant_id: int, item_ids: Collection[int]) -> dict[int, CatalogItem]:
    if not item_ids:
        return {}
    rows = session.scalars(
        select(CatalogItem).where(CatalogItem.tenant_id == tenant_id, CatalogItem.id.in_(sorted(item_ids)))
    ).all()
    return {row.id: row for row in rows}
