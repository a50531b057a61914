"""Builders for the ranking-model tests: impressions, events and labelled rows at a fixed time, and two
small models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from recommender.interactions import POSITIVE, WEAK_NEGATIVE, Impression, Interaction, LearningEvent
from recommender.ranking import FEATURES
from recommender.ranking_model import LearnedModel
from recommender.training import fit_ranker

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def shown(unit_id: int, employee: str = "e1", at: datetime = T0, **features: float) -> Impression:
    return Impression(employee, unit_id, features or {"relevance": 0.5}, at)


def event(
    unit_id: int, verb: str, days: float, employee: str = "e1", score: float | None = None
) -> LearningEvent:
    return LearningEvent(employee, unit_id, verb, T0 + timedelta(days=days), score)


def row(
    unit_id: int, outcome: str, employee: str = "e1", at: datetime = T0, relevance: float = 0.5
) -> Interaction:
    return Interaction(employee, unit_id, {"relevance": relevance}, at, outcome)


def trained(seed: int = 0, n: int = 200) -> LearnedModel:
    """A model fitted on random features whose label depends on the format feature."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(n):
        features = {name: float(rng.uniform()) for name in FEATURES}
        outcome = POSITIVE if features["format"] + 0.3 * rng.normal() > 0.5 else WEAK_NEGATIVE
        rows.append(Interaction(f"e{number % 7}", number, features, T0 + timedelta(hours=number), outcome))
    return fit_ranker(rows, seed=seed)


class ByRelevance:
    """The simplest model: rank by the relevance feature."""

    version: str = "by-relevance"
    feature_names: tuple[str, ...] = ("relevance",)

    def score(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(features)[:, 0]
