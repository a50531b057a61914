"""How much learning time one event stands for (progress, challenges and the Learning Day KPI share it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from models.learning_repository import LearningRow

FINISHING_VERBS = frozenset({"completed", "passed"})


def event_minutes(row: LearningRow) -> float:
    """The statement's duration, else the stated minutes of the unit or item it finished; 0 for
    anything else (a rating, a dismissal)."""
    if row.duration_seconds is not None:
        return max(0.0, row.duration_seconds / 60.0)
    if row.verb in FINISHING_VERBS:
        minutes = row.unit_minutes if row.unit_minutes is not None else row.item_minutes
        return float(minutes or 0)
    return 0.0


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
