"""Unit tests of retraining: the time split, fitting, and the data checks before a promotion."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from recommender.interactions import (
    POSITIVE,
    WEAK_NEGATIVE,
)
from recommender.ranking_model import (
    RULES_VERSION,
    RuleModel,
)
from recommender.training import MIN_TRAIN_INTERACTIONS, DataWindow, fit_ranker, time_split, train_and_compare
from tests.support.interaction_factories import T0, row, trained


def test_time_split_is_by_time_never_random() -> None:
    rng = np.random.default_rng(7)
    rows = [
        row(
            number,
            POSITIVE if number % 3 else WEAK_NEGATIVE,
            at=T0 + timedelta(hours=float(rng.uniform(0, 500))),
        )
        for number in range(100)
    ]
    split = time_split(rows, 0.2)
    assert len(split.train) == 80 and len(split.test) == 20
    assert max(i.shown_at for i in split.train) < min(i.shown_at for i in split.test)
    assert split.window == DataWindow(
        min(i.shown_at for i in rows), min(i.shown_at for i in split.test), max(i.shown_at for i in rows)
    )
    assert time_split(list(reversed(rows)), 0.2) == split  # input order does not matter


def test_impressions_at_the_cut_time_all_go_to_the_hold_out() -> None:
    rows = [row(n, POSITIVE, at=T0 + timedelta(days=min(n, 7))) for n in range(10)]
    split = time_split(rows, 0.25)  # position 7 of 10: the three impressions of day 7
    assert [i.unit_id for i in split.test] == [7, 8, 9]
    same_time = time_split([row(n, POSITIVE) for n in range(5)], 0.2)
    assert same_time.train == [] and len(same_time.test) == 5


def test_time_split_edges() -> None:
    assert time_split([]).window == DataWindow(None, None, None)
    for share in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError):
            time_split([row(1, POSITIVE)], share)


def test_training_is_deterministic() -> None:
    assert trained(seed=1).to_bytes() == trained(seed=1).to_bytes()
    with pytest.raises(ValueError, match="positive and negative"):
        fit_ranker([row(n, POSITIVE) for n in range(10)])


def test_no_interactions_keeps_the_current_model() -> None:
    result = train_and_compare([], RuleModel())
    assert not result.promote and result.candidate is None
    assert "no interactions" in result.reason and RULES_VERSION in result.reason
    assert result.n_train == result.n_test == 0


def test_too_little_training_data_is_not_promoted() -> None:
    rows = [
        row(n, POSITIVE if n % 2 else WEAK_NEGATIVE, f"e{n % 5}", T0 + timedelta(days=n), relevance=n / 40)
        for n in range(40)
    ]
    result = train_and_compare(rows, RuleModel())
    assert not result.promote and result.candidate is None
    assert result.n_train == 32 and result.n_test == 8
    assert "too little training data" in result.reason and str(MIN_TRAIN_INTERACTIONS) in result.reason
    assert result.current_metrics["interactions"] == 8.0


def test_training_data_of_one_class_is_not_promoted() -> None:
    rows = [row(n, WEAK_NEGATIVE, at=T0 + timedelta(hours=n)) for n in range(100)]
    result = train_and_compare(rows, RuleModel())
    assert not result.promote and "positive and negative" in result.reason


def test_train_and_compare_refuses_an_unknown_metric_even_without_data() -> None:
    with pytest.raises(ValueError, match="metric"):
        train_and_compare([], RuleModel(), "precision@10")
