"""Unit tests of a ranking model's evaluation on a hold-out."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from recommender.interactions import (
    NEGATIVE,
    POSITIVE,
    WEAK_NEGATIVE,
)
from recommender.ranker_evaluation import evaluate
from recommender.ranking_model import (
    RuleModel,
)
from tests.support.interaction_factories import T0, ByRelevance, row


def test_evaluate_on_a_hand_example() -> None:
    day2 = T0 + timedelta(days=1)
    rows = [
        # employee e1, day 1 (two paths that day are one query): ranked 1, 2, 3; unit 2 is the positive
        row(1, NEGATIVE, relevance=0.9),
        row(2, POSITIVE, relevance=0.5, at=T0 + timedelta(hours=3)),
        row(3, WEAK_NEGATIVE, relevance=0.1),
        # employee e2, day 1: the positive is first
        row(4, POSITIVE, "e2", relevance=0.8),
        row(5, NEGATIVE, "e2", relevance=0.2),
        # employee e1, day 2: no positive, so no say in the ranking metrics, only in the AUC
        row(6, NEGATIVE, at=day2, relevance=0.95),
    ]
    metrics = evaluate(ByRelevance(), rows)
    assert metrics["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1.0) / 2)
    assert metrics["recall@10"] == 1.0
    assert metrics["mrr"] == pytest.approx((1 / 2 + 1) / 2)
    # positives 0.5 and 0.8 against negatives 0.9, 0.1, 0.2, 0.95: 4 of 8 pairs in order
    assert metrics["auc"] == pytest.approx(0.5)
    assert {
        key: metrics[key] for key in ("interactions", "positives", "queries", "queries_with_positive")
    } == {
        "interactions": 6.0,
        "positives": 2.0,
        "queries": 3.0,
        "queries_with_positive": 2.0,
    }
    assert evaluate(ByRelevance(), rows, k=1)["recall@1"] == 0.5


def test_evaluate_without_both_classes_has_no_auc() -> None:
    metrics = evaluate(RuleModel(), [row(1, WEAK_NEGATIVE), row(2, NEGATIVE)])
    assert math.isnan(metrics["auc"]) and metrics["ndcg@10"] == 0.0
    assert evaluate(RuleModel(), [])["interactions"] == 0.0
