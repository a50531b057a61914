"""Model-behaviour tests of retraining: a model that learns what the hand-set weights miss is promoted,
a worse one or one trained on noise is not.

The data are simulated by `recommender.interaction_simulation` (seeded numpy) through the real pieces:
`score_candidates` gives each shown unit its feature dict and rule score, simulated xAPI events follow,
and `label_interactions` turns them into labelled interactions. 60 employees get a path of 12 units
every week for 8 weeks. What they really do: they complete units in their own format far more often
than the format weight (0.05) says, short units (10 minutes or less) more often, units at their level
more often, and relevance matters less than its weight (0.30) says. The rules rank mostly by
relevance, so a learned model has something to find.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import timedelta

import pytest

from recommender.interaction_simulation import EMPLOYEES, PER_PATH, START, WEEKS, simulate
from recommender.interactions import Interaction
from recommender.promotion import compare
from recommender.ranker_evaluation import evaluate
from recommender.ranking import FEATURES
from recommender.ranking_model import LearnedModel, RuleModel, feature_matrix
from recommender.training import RetrainResult, fit_ranker, time_split, train_and_compare

SEED = 20250301
NOISE_SEED = 20250501


@pytest.fixture(scope="module")
def interactions() -> list[Interaction]:
    return simulate(SEED)


@pytest.fixture(scope="module")
def retrained(interactions: list[Interaction]) -> RetrainResult:
    return train_and_compare(interactions, RuleModel(), seed=SEED)


def _report(result: RetrainResult) -> str:
    return (
        f"{result.reason}; rules ndcg@10 {result.current_metrics['ndcg@10']:.3f}, "
        f"learned {result.candidate_metrics.get('ndcg@10', math.nan):.3f}"
    )


def test_the_simulation_is_plausible(interactions: list[Interaction]) -> None:
    outcomes = {
        o: sum(1 for i in interactions if i.outcome == o) for o in ("positive", "negative", "weak_negative")
    }
    # every window has ended, so every impression is labelled; a few paths had fewer than 12 units
    assert 0.9 * EMPLOYEES * WEEKS * PER_PATH < len(interactions) <= EMPLOYEES * WEEKS * PER_PATH
    assert 0.2 < outcomes["positive"] / len(interactions) < 0.45
    assert outcomes["negative"] > 0 and outcomes["weak_negative"] > 0


def test_a_model_that_learns_what_the_rules_miss_is_promoted(
    interactions: list[Interaction], retrained: RetrainResult
) -> None:
    result = retrained
    print(_report(result))
    assert result.promote, result.reason
    assert result.candidate is not None
    rules, learned = result.current_metrics, result.candidate_metrics
    assert learned["ndcg@10"] > rules["ndcg@10"] + 0.05
    assert learned["auc"] > rules["auc"]
    assert result.gain_lower_bound > 0
    assert result.n_train + result.n_test == len(interactions)
    assert 0.15 < result.n_test / len(interactions) < 0.25
    assert result.window.start is not None and result.window.cut is not None and result.window.end is not None
    assert result.window.start < result.window.cut <= result.window.end
    # It learned the employees' taste: format now counts for more than relevance.
    coef = dict(zip(FEATURES, result.candidate.coef, strict=True))
    assert coef["format"] > coef["relevance"] > 0
    assert coef["level"] > 0


def test_the_stored_model_scores_the_hold_out_exactly_as_trained(
    interactions: list[Interaction], retrained: RetrainResult
) -> None:
    assert retrained.candidate is not None
    loaded = LearnedModel.from_bytes(retrained.candidate.to_bytes())
    test = time_split(interactions).test
    assert evaluate(loaded, test) == pytest.approx(retrained.candidate_metrics, nan_ok=True)


def test_retraining_is_deterministic(interactions: list[Interaction], retrained: RetrainResult) -> None:
    again = train_and_compare(interactions, RuleModel(), seed=SEED)
    assert again.candidate is not None and retrained.candidate is not None
    assert again.candidate.to_bytes() == retrained.candidate.to_bytes()
    assert (again.promote, again.reason, again.candidate_metrics) == (
        retrained.promote,
        retrained.reason,
        retrained.candidate_metrics,
    )


def test_a_worse_candidate_is_not_promoted(interactions: list[Interaction], retrained: RetrainResult) -> None:
    assert retrained.candidate is not None
    good = retrained.candidate
    holdout = time_split(interactions).test
    negated = dataclasses.replace(good, coef=tuple(-c for c in good.coef), version="")
    inverted = [
        dataclasses.replace(i, outcome="positive" if i.label == 0 else "negative")
        for i in time_split(interactions).train
    ]
    trained_on_inverted = fit_ranker(inverted, seed=SEED)
    for worse in (negated, trained_on_inverted):
        against_rules = compare(worse, RuleModel(), holdout, seed=SEED)
        print(against_rules.reason)
        assert not against_rules.better and against_rules.gain < 0
        assert not compare(worse, good, holdout, seed=SEED).better
    # and the comparison is not biased against candidates: the good one beats the rules
    assert compare(good, RuleModel(), holdout, seed=SEED).better


def test_a_worse_candidate_is_not_promoted_on_any_metric(
    interactions: list[Interaction], retrained: RetrainResult
) -> None:
    assert retrained.candidate is not None
    negated = dataclasses.replace(
        retrained.candidate, coef=tuple(-c for c in retrained.candidate.coef), version=""
    )
    holdout = time_split(interactions).test
    for metric in ("recall@10", "mrr", "auc"):
        assert not compare(negated, RuleModel(), holdout, metric, seed=SEED, rounds=200).better


def test_retraining_on_noise_does_not_replace_a_good_model(retrained: RetrainResult) -> None:
    assert retrained.candidate is not None
    noise = simulate(NOISE_SEED, start=START + timedelta(weeks=WEEKS), noise=True)
    result = train_and_compare(noise, retrained.candidate, seed=SEED)
    print(_report(result))
    assert result.candidate is not None  # there was enough data: the evaluation said no
    assert not result.promote, result.reason


def test_a_demanding_min_improvement_blocks_a_real_but_small_gain(interactions: list[Interaction]) -> None:
    result = train_and_compare(interactions, RuleModel(), min_improvement=0.5, seed=SEED)
    assert not result.promote and "not better by more than 0.5" in result.reason


def test_features_arrive_as_the_ranking_made_them(interactions: list[Interaction]) -> None:
    matrix = feature_matrix([i.features for i in interactions])
    assert set(interactions[0].features) == set(FEATURES)
    assert ((matrix >= 0) & (matrix <= 1)).all()
