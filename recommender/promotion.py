"""The promotion rule: whether a candidate ranking model replaces the model in use.

Pure (numpy, stdlib). `compare` scores both models on the same hold-out; the candidate wins only
when the hold-out is large enough, its metric is higher by more than `min_improvement`, and the
gain is not luck: the one-sided lower confidence bound of the gain (paired bootstrap over hold-out
queries, seeded) must be above zero as well.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from recommender.evaluation import COL_NDCG, DEFAULT_K, metric_name
from recommender.interactions import Interaction
from recommender.ranker_evaluation import (
    COL_AUC,
    QueryKey,
    auc,
    evaluate,
    metric_cutoff,
    query_key,
    rank_by_query,
    ranking_metric,
)
from recommender.ranking_model import RankerModel, score_rows

DEFAULT_SEED = 20250301  # seeds the bootstrap here and the training in recommender.training
DEFAULT_METRIC = metric_name(COL_NDCG, DEFAULT_K)  # "ndcg@10"
MIN_TEST_INTERACTIONS = 20
MIN_TEST_QUERIES_WITH_POSITIVE = 5  # fewer and one lucky employee-day decides the promotion
BOOTSTRAP_ROUNDS = 1000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Comparison:
    """Two models on one hold-out. `better` is the promotion verdict; `reason` says why."""

    metric: str
    current: dict[str, float]
    candidate: dict[str, float]
    gain: float
    gain_lower_bound: float
    better: bool
    reason: str


def _lower_bound_ranking(
    metric: str,
    relevant: Mapping[QueryKey, set[int]],
    ranked_current: Mapping[QueryKey, list[int]],
    ranked_candidate: Mapping[QueryKey, list[int]],
    rng: np.random.Generator,
    rounds: int,
    confidence: float,
) -> float:
    """Lower one-sided confidence bound of the mean per-query gain (paired bootstrap over queries)."""
    function = ranking_metric(metric)
    keys = [key for key, units in relevant.items() if units]
    gains = np.array(
        [
            function({key: relevant[key]}, {key: ranked_candidate[key]})
            - function({key: relevant[key]}, {key: ranked_current[key]})
            for key in keys
        ]
    )
    if gains.size == 0:
        return math.nan
    means = gains[rng.integers(0, gains.size, size=(rounds, gains.size))].mean(axis=1)
    return float(np.quantile(means, 1.0 - confidence))


def _lower_bound_auc(
    holdout: Sequence[Interaction],
    current_scores: np.ndarray,
    candidate_scores: np.ndarray,
    rng: np.random.Generator,
    rounds: int,
    confidence: float,
) -> float:
    """The same bound for the AUC, resampling whole employee-and-day groups."""
    groups: dict[QueryKey, list[int]] = {}
    for position, interaction in enumerate(holdout):
        groups.setdefault(query_key(interaction), []).append(position)
    members = [np.array(rows) for rows in groups.values()]
    labels = np.array([i.label for i in holdout], dtype=np.int64)
    gains = []
    for _ in range(rounds):
        rows = np.concatenate([members[g] for g in rng.integers(0, len(members), size=len(members))])
        auc_current = auc(labels[rows], current_scores[rows])
        auc_candidate = auc(labels[rows], candidate_scores[rows])
        if not (math.isnan(auc_current) or math.isnan(auc_candidate)):
            gains.append(auc_candidate - auc_current)
    return float(np.quantile(gains, 1.0 - confidence)) if gains else math.nan


def compare(
    candidate: RankerModel,
    current: RankerModel,
    holdout: Sequence[Interaction],
    metric: str = DEFAULT_METRIC,
    min_improvement: float = 0.0,
    *,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
    rounds: int = BOOTSTRAP_ROUNDS,
) -> Comparison:
    """Score both models on the same hold-out and decide whether the candidate is better.

    Better means: the hold-out has at least MIN_TEST_INTERACTIONS interactions and
    MIN_TEST_QUERIES_WITH_POSITIVE employee-days with a positive; the candidate's `metric` exceeds the
    current model's by more than `min_improvement`; and the lower `confidence` bound of that gain
    (paired bootstrap over the hold-out's queries, `rounds` resamples seeded by `seed`) is above 0.
    """
    k = metric_cutoff(metric)  # refuses an unknown name before any work
    if not 0.5 <= confidence < 1.0:
        raise ValueError(f"confidence must be from 0.5 to 1, got {confidence!r}")
    current_metrics = evaluate(current, holdout, k)
    candidate_metrics = evaluate(candidate, holdout, k)

    def verdict(better: bool, reason: str, gain: float = math.nan, bound: float = math.nan) -> Comparison:
        return Comparison(metric, current_metrics, candidate_metrics, gain, bound, better, reason)

    if len(holdout) < MIN_TEST_INTERACTIONS:
        return verdict(
            False, f"hold-out too small: {len(holdout)} interactions, need {MIN_TEST_INTERACTIONS}"
        )
    with_positive = int(current_metrics["queries_with_positive"])
    if with_positive < MIN_TEST_QUERIES_WITH_POSITIVE:
        return verdict(
            False,
            f"hold-out has {with_positive} employee-days with a positive, need {MIN_TEST_QUERIES_WITH_POSITIVE}",
        )
    before, after = current_metrics[metric], candidate_metrics[metric]
    if math.isnan(before) or math.isnan(after):
        return verdict(False, f"{metric} is undefined on the hold-out")
    gain = after - before
    rng = np.random.default_rng(seed)
    if metric == COL_AUC:
        bound = _lower_bound_auc(
            holdout,
            score_rows(current, [i.features for i in holdout]),
            score_rows(candidate, [i.features for i in holdout]),
            rng,
            rounds,
            confidence,
        )
    else:
        relevant, ranked_current, _ = rank_by_query(current, holdout)
        _, ranked_candidate, _ = rank_by_query(candidate, holdout)
        bound = _lower_bound_ranking(
            metric, relevant, ranked_current, ranked_candidate, rng, rounds, confidence
        )
    summary = (
        f"{metric} {before:.4f} ({current.version}) -> {after:.4f} ({candidate.version}), "
        f"gain {gain:+.4f}, {confidence:.0%} lower bound {bound:+.4f}"
    )
    if not gain > min_improvement:
        return verdict(False, f"not better by more than {min_improvement:g}: {summary}", gain, bound)
    if not bound > 0.0:
        return verdict(False, f"gain not significant: {summary}", gain, bound)
    return verdict(True, f"better: {summary}", gain, bound)
