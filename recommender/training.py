"""Retraining: split labelled interactions by time, fit a candidate ranking model on the earlier
part and let the promotion rule judge it on the later part.

Pure (numpy, scikit-learn, stdlib); the service stores the bytes of a promoted model
(service/jobs/retraining.py). `time_split` trains on everything shown before a cut time and tests
on everything shown from it on (the cut is the (1 - holdout_share) quantile of `shown_at`; never a
random split). `fit_ranker` fits a logistic regression on the standardised features (scikit-learn
Pipeline, class_weight="balanced"); `train_and_compare` runs the whole loop and says whether to
promote (recommender.promotion.compare).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from recommender.interactions import Interaction
from recommender.promotion import (
    BOOTSTRAP_ROUNDS,
    CONFIDENCE,
    DEFAULT_METRIC,
    DEFAULT_SEED,
    Comparison,
    compare,
)
from recommender.ranker_evaluation import evaluate, metric_cutoff
from recommender.ranking import FEATURES
from recommender.ranking_model import LearnedModel, RankerModel, feature_matrix

DEFAULT_C = 1.0  # inverse L2 strength of the logistic regression
DEFAULT_HOLDOUT_SHARE = 0.2
MIN_TRAIN_INTERACTIONS = 50


def fit_ranker(
    interactions: Sequence[Interaction],
    seed: int = DEFAULT_SEED,
    c: float = DEFAULT_C,
    version: str = "",
    info: Mapping[str, str | int | float] | None = None,
) -> LearnedModel:
    """Fit StandardScaler + LogisticRegression(class_weight="balanced") with the outcome weights."""
    labels = np.array([i.label for i in interactions], dtype=np.int64)
    if len(set(labels.tolist())) < 2:
        raise ValueError("training needs positive and negative interactions")
    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=c, class_weight="balanced", max_iter=1000, random_state=seed)),
        ]
    )
    pipeline.fit(
        feature_matrix([i.features for i in interactions]),
        labels,
        model__sample_weight=np.array([i.weight for i in interactions], dtype=np.float64),
    )
    return LearnedModel.from_pipeline(pipeline, FEATURES, version=version, info=info)


@dataclass(frozen=True)
class DataWindow:
    """First impression, the cut (first hold-out impression) and last impression; None without data."""

    start: datetime | None
    cut: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class TimeSplit:
    train: list[Interaction]
    test: list[Interaction]
    window: DataWindow


def time_split(
    interactions: Sequence[Interaction], holdout_share: float = DEFAULT_HOLDOUT_SHARE
) -> TimeSplit:
    """Train on what was shown before the cut, test on what was shown from the cut on.

    The cut is the `shown_at` at position floor(n * (1 - holdout_share)) in time order, so roughly
    the last `holdout_share` of the impressions are held out; impressions at exactly the cut time
    all go to the test side, so no test impression is earlier than a training one.
    """
    if not 0.0 < holdout_share < 1.0:
        raise ValueError(f"holdout_share must be between 0 and 1, got {holdout_share!r}")
    ordered = sorted(interactions, key=lambda i: (i.shown_at, i.employee, i.unit_id))
    if not ordered:
        return TimeSplit([], [], DataWindow(None, None, None))
    position = min(len(ordered) - 1, math.floor(len(ordered) * (1.0 - holdout_share)))
    cut = ordered[position].shown_at
    train = [i for i in ordered if i.shown_at < cut]
    test = [i for i in ordered if i.shown_at >= cut]
    return TimeSplit(train, test, DataWindow(ordered[0].shown_at, cut, ordered[-1].shown_at))


@dataclass(frozen=True)
class RetrainResult:
    """What a retraining run found. `candidate` is None when there was too little data to train."""

    promote: bool
    reason: str
    metric: str
    candidate: LearnedModel | None
    current_version: str
    current_metrics: dict[str, float]
    candidate_metrics: dict[str, float]
    gain: float
    gain_lower_bound: float
    window: DataWindow
    n_train: int
    n_test: int


def train_and_compare(
    interactions: Sequence[Interaction],
    current_model: RankerModel,
    metric: str = DEFAULT_METRIC,
    min_improvement: float = 0.0,
    seed: int = DEFAULT_SEED,
    *,
    holdout_share: float = DEFAULT_HOLDOUT_SHARE,
    c: float = DEFAULT_C,
    confidence: float = CONFIDENCE,
    rounds: int = BOOTSTRAP_ROUNDS,
) -> RetrainResult:
    """Split by time, train a candidate on the earlier part, compare it with `current_model` on the
    later part (`compare`), and say whether to promote it.

    Not promoted, with the reason, when: there are no interactions (cold start: the current model,
    usually the rules, stays); the training part has fewer than MIN_TRAIN_INTERACTIONS interactions
    or lacks positives or negatives; the hold-out is too small; or `compare` finds no real gain.
    """
    k = metric_cutoff(metric)
    split = time_split(interactions, holdout_share)

    def result(
        promote: bool,
        reason: str,
        candidate: LearnedModel | None = None,
        comparison: Comparison | None = None,
    ) -> RetrainResult:
        return RetrainResult(
            promote=promote,
            reason=reason,
            metric=metric,
            candidate=candidate,
            current_version=current_model.version,
            current_metrics=comparison.current if comparison else evaluate(current_model, split.test, k),
            candidate_metrics=comparison.candidate if comparison else {},
            gain=comparison.gain if comparison else math.nan,
            gain_lower_bound=comparison.gain_lower_bound if comparison else math.nan,
            window=split.window,
            n_train=len(split.train),
            n_test=len(split.test),
        )

    if not interactions:
        return result(False, f"no interactions yet: {current_model.version} stays")
    positives = sum(i.label for i in split.train)
    if len(split.train) < MIN_TRAIN_INTERACTIONS:
        return result(
            False, f"too little training data: {len(split.train)} interactions, need {MIN_TRAIN_INTERACTIONS}"
        )
    if positives == 0 or positives == len(split.train):
        return result(False, "training data needs positive and negative interactions")
    window = split.window
    info: dict[str, str | int | float] = {
        "trained_from": window.start.isoformat() if window.start else "",
        "trained_until": window.cut.isoformat() if window.cut else "",
        "n_train": len(split.train),
        "seed": seed,
        "c": c,
    }
    candidate = fit_ranker(split.train, seed=seed, c=c, info=info)
    comparison = compare(
        candidate,
        current_model,
        split.test,
        metric,
        min_improvement,
        seed=seed,
        confidence=confidence,
        rounds=rounds,
    )
    return result(comparison.better, comparison.reason, candidate, comparison)
