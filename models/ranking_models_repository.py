"""The ranking model registry, and the impressions and events a retraining run learns from. Per tenant.

At most one model is active per tenant (a partial unique index backs this up); promoting one retires
the one before it in the same transaction, so a reader sees the old model or the new, never both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.tables import (
    MODEL_ACTIVE,
    MODEL_RETIRED,
    CatalogItem,
    Employee,
    LearningEvent,
    LearningPath,
    RankingModel,
)

# --- the registry ------------------------------------------------------------------------------


def add_model(session: Session, model: RankingModel) -> RankingModel:
    session.add(model)
    session.flush()
    return model


def list_models(session: Session, tenant_id: int) -> Sequence[RankingModel]:
    """Newest first."""
    return session.scalars(
        select(RankingModel)
        .where(RankingModel.tenant_id == tenant_id)
        .order_by(RankingModel.created_at.desc(), RankingModel.id.desc())
    ).all()


def get_model(session: Session, tenant_id: int, version: str) -> RankingModel | None:
    return session.scalar(
        select(RankingModel).where(RankingModel.tenant_id == tenant_id, RankingModel.version == version)
    )


def get_active(session: Session, tenant_id: int) -> RankingModel | None:
    return session.scalar(
        select(RankingModel).where(RankingModel.tenant_id == tenant_id, RankingModel.status == MODEL_ACTIVE)
    )


@dataclass(frozen=True)
class ActiveRef:
    """Which model is active, without its parameters: the cheap check a path request makes."""

    model_id: int
    version: str


def active_ref(session: Session, tenant_id: int) -> ActiveRef | None:
    row = session.execute(
        select(RankingModel.id, RankingModel.version).where(
            RankingModel.tenant_id == tenant_id, RankingModel.status == MODEL_ACTIVE
        )
    ).first()
    return ActiveRef(int(row[0]), row[1]) if row else None


def model_params(session: Session, tenant_id: int, model_id: int) -> str | None:
    return session.scalar(
        select(RankingModel.params).where(RankingModel.tenant_id == tenant_id, RankingModel.id == model_id)
    )


def previously_active(session: Session, tenant_id: int) -> RankingModel | None:
    """The most recently promoted model that is no longer active: what a rollback goes back to."""
    return session.scalar(
        select(RankingModel)
        .where(
            RankingModel.tenant_id == tenant_id,
            RankingModel.status == MODEL_RETIRED,
            RankingModel.promoted_at.is_not(None),
        )
        .order_by(RankingModel.promoted_at.desc(), RankingModel.id.desc())
        .limit(1)
    )


def retire_active(session: Session, tenant_id: int) -> int:
    """The active model (if any) is retired; the tenant's paths go back to the rules."""
    result = session.execute(
        update(RankingModel)
        .where(RankingModel.tenant_id == tenant_id, RankingModel.status == MODEL_ACTIVE)
        .values(status=MODEL_RETIRED)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def promote(session: Session, tenant_id: int, model: RankingModel, now: datetime) -> None:
    """Make `model` the tenant's one active model; the one active before it is retired first."""
    if model.tenant_id != tenant_id:
        raise ValueError("the model belongs to another tenant")
    if model.status == MODEL_ACTIVE:
        return
    retire_active(session, tenant_id)
    session.flush()
    session.execute(
        update(RankingModel)
        .where(RankingModel.tenant_id == tenant_id, RankingModel.id == model.id)
        .values(status=MODEL_ACTIVE, promoted_at=now)
    )
    session.refresh(model)


# --- what retraining learns from ---------------------------------------------------------------


@dataclass(frozen=True)
class ShownPath:
    """The impressions a stored path recorded (as stored: one dict per step), for one employee."""

    employee_key: str
    shown_at: datetime
    impressions: list[Any]


def shown_paths(session: Session, tenant_id: int) -> list[ShownPath]:
    """Paths given to employees (ad-hoc recommendations have no one to learn from), oldest first;
    paths stored before impressions were recorded are left out."""
    query = (
        select(Employee.key, LearningPath.created_at, LearningPath.impressions)
        .join(Employee, Employee.id == LearningPath.employee_id)
        .where(LearningPath.tenant_id == tenant_id)
        .order_by(LearningPath.created_at, LearningPath.id)
    )
    return [
        ShownPath(key, created_at, impressions)
        for key, created_at, impressions in session.execute(query)
        if isinstance(impressions, list) and impressions
    ]


@dataclass(frozen=True)
class FeedbackRow:
    """One learning event of an employee, with what tells a statement about a whole item from one
    about a unit (the item's url and activity id parts)."""

    employee_key: str
    verb: str
    item_id: int
    unit_id: int | None
    activity_id: str
    occurred_at: datetime
    score_scaled: float | None
    item_url: str | None
    item_source: str
    item_external_id: str


def feedback_rows(session: Session, tenant_id: int) -> list[FeedbackRow]:
    """The tenant's events on items still in the catalog (retired ones included), oldest first."""
    query = (
        select(
            Employee.key,
            LearningEvent.verb,
            LearningEvent.item_id,
            LearningEvent.unit_id,
            LearningEvent.activity_id,
            LearningEvent.occurred_at,
            LearningEvent.score_scaled,
            CatalogItem.url,
            CatalogItem.source,
            CatalogItem.external_id,
        )
        .join(Employee, Employee.id == LearningEvent.employee_id)
        .join(CatalogItem, CatalogItem.id == LearningEvent.item_id)
        .where(LearningEvent.tenant_id == tenant_id)
        .order_by(LearningEvent.occurred_at, LearningEvent.id)
    )
    return [
        FeedbackRow(
            employee_key=r[0],
            verb=r[1],
            item_id=int(r[2] or 0),  # the join makes it non-null
            unit_id=None if r[3] is None else int(r[3]),
            activity_id=r[4],
            occurred_at=r[5],
            score_scaled=r[6],
            item_url=r[7],
            item_source=r[8],
            item_external_id=r[9],
        )
        for r in session.execute(query)
    ]
