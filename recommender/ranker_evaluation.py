"""How well a ranking model ranks a hold-out of labelled interactions.

Pure (numpy, scikit-learn, stdlib). A query is one employee on one day: `evaluate` ranks each
query's units by the model's score and reports nDCG@10, recall@10 and MRR from
`recommender.evaluation` (relevant = the positive units) and the AUC over all interactions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from recommender.evaluation import (
    COL_MRR,
    COL_NDCG,
    COL_RECALL,
    DEFAULT_K,
    metric_name,
    mrr,
    ndcg_at_k,
    recall_at_k,
)
from recommender.interactions import Interaction
from recommender.ranking_model import RankerModel, score_rows

COL_AUC = "auc"

QueryKey = tuple[str, date]


def query_key(interaction: Interaction) -> QueryKey:
    return (interaction.employee, interaction.shown_at.date())


def rank_by_query(
    model: RankerModel, interactions: Sequence[Interaction]
) -> tuple[dict[QueryKey, set[int]], dict[QueryKey, list[int]], np.ndarray]:
    """Per employee-and-day: the positive units, and the units ranked by the model (ties by unit id)."""
    scores = score_rows(model, [i.features for i in interactions]) if interactions else np.zeros(0)
    relevant: dict[QueryKey, set[int]] = {}
    scored: dict[QueryKey, list[tuple[float, int]]] = {}
    for interaction, value in zip(interactions, scores.tolist(), strict=True):
        key = query_key(interaction)
        relevant.setdefault(key, set())
        if interaction.label:
            relevant[key].add(interaction.unit_id)
        scored.setdefault(key, []).append((value, interaction.unit_id))
    ranked = {
        key: [unit for _, unit in sorted(pairs, key=lambda p: (-p[0], p[1]))] for key, pairs in scored.items()
    }
    return relevant, ranked, scores


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    if labels.size == 0 or labels.min() == labels.max():
        return math.nan
    return float(roc_auc_score(labels, scores))


def metric_cutoff(name: str) -> int:
    """The k a metric name asks evaluate for (DEFAULT_K for 'mrr' and 'auc'); unknown names are refused."""
    if name != COL_AUC:
        ranking_metric(name)
    return int(name.partition("@")[2] or DEFAULT_K)


def ranking_metric(name: str) -> Callable[[Any, Any], float]:
    """'ndcg@10' -> a function of (relevant, ranked) from recommender.evaluation."""
    column, _, cutoff = name.partition("@")
    if column == COL_MRR and not cutoff:
        return mrr
    if column in (COL_NDCG, COL_RECALL) and cutoff.isdigit() and int(cutoff) >= 1:
        k = int(cutoff)
        function = ndcg_at_k if column == COL_NDCG else recall_at_k
        return lambda relevant, ranked: function(relevant, ranked, k)
    raise ValueError(f"unknown metric {name!r}; use ndcg@K, recall@K, mrr or auc")


def evaluate(model: RankerModel, interactions: Sequence[Interaction], k: int = DEFAULT_K) -> dict[str, float]:
    """Ranking quality of `model` on `interactions`, queries being employee-and-day groups.

    nDCG@k, recall@k and MRR are means over the queries with at least one positive (0.0 when there
    is none); AUC is over all interactions, positives against the rest (NaN when one class is absent).
    Counts: interactions, positives, queries, queries_with_positive.
    """
    relevant, ranked, scores = rank_by_query(model, interactions)
    labels = np.array([i.label for i in interactions], dtype=np.int64)
    return {
        metric_name(COL_NDCG, k): ndcg_at_k(relevant, ranked, k),
        metric_name(COL_RECALL, k): recall_at_k(relevant, ranked, k),
        metric_name(COL_MRR, None): mrr(relevant, ranked),
        COL_AUC: auc(labels, scores),
        "interactions": float(len(interactions)),
        "positives": float(labels.sum()),
        "queries": float(len(relevant)),
        "queries_with_positive": float(sum(1 for units in relevant.values() if units)),
    }
