"""How much learning time one event stands for (progress, challenges and the Learning Day KPI share it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from models.learning_repository import LearningRow
from recommender.progress import learned_minutes


def event_minutes(row: LearningRow) -> float:
    """The learning time of one event (recommender.progress.learned_minutes)."""
    return learned_minutes(row.verb, row.duration_seconds, row.unit_minutes, row.item_minutes)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
