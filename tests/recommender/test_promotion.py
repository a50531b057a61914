"""Unit tests of the promotion rule's data checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from recommender.interactions import (
    NEGATIVE,
    POSITIVE,
)
from recommender.promotion import compare
from recommender.ranking import FEATURES
from recommender.ranking_model import (
    RuleModel,
)
from tests.support.interaction_factories import T0, ByRelevance, row


def test_a_small_hold_out_is_not_promoted_even_when_the_candidate_wins() -> None:
    rows = [
        row(n, POSITIVE if n % 2 else NEGATIVE, f"e{n % 3}", T0 + timedelta(hours=n), relevance=float(n % 2))
        for n in range(15)
    ]
    result = compare(ByRelevance(), RuleModel({"freshness": 1.0} | {f: 0.0 for f in FEATURES[:-1]}), rows)
    assert not result.better and "hold-out too small" in result.reason


def test_compare_refuses_unknown_metrics() -> None:
    for metric in ("ndcg", "precision@10", "ndcg@0", "mrr@10"):
        with pytest.raises(ValueError, match="metric"):
            compare(RuleModel(), RuleModel(), [], metric)
