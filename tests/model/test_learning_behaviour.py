"""Model-behaviour tests of retraining: a model that learns what the hand-set weights miss is promoted,
a worse one or one trained on noise is not.

The data are simulated (seeded numpy) through the real pieces: `score_candidates` gives each shown
unit its feature dict and rule score, simulated xAPI events follow, and `label_interactions` turns
them into labelled interactions. 60 employees get a path of 12 units every week for 8 weeks. What
they really do: they complete units in their own format far more often than the format weight
(0.05) says, short units (10 minutes or less) more often, units at their level more often, and
relevance matters less than its weight (0.30) says. The rules rank mostly by relevance, so a
learned model has something to find.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from recommender.gaps import Gap
from recommender.learning import (
    FEATURES,
    Impression,
    Interaction,
    LearnedModel,
    LearningEvent,
    RetrainResult,
    RuleModel,
    compare,
    evaluate,
    feature_matrix,
    fit_ranker,
    label_interactions,
    time_split,
    train_and_compare,
)
from recommender.ranking import Candidate, Learner, score_candidates

SEED = 20250301
NOISE_SEED = 20250501
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
WEEKS = 8
EMPLOYEES = 60
PER_PATH = 12
POOL = 25
FORMATS = ("video", "article", "podcast", "exercise")
LEVELS = ("beginner", "intermediate", "advanced", None)
WINDOW = timedelta(days=14)
XAPI = "http://adlnet.gov/expapi/verbs/"


def _gap(rng: np.random.Generator, skill: int) -> Gap:
    required, current, importance = (
        int(rng.integers(3, 6)),
        float(rng.uniform(0, 2.5)),
        float(rng.uniform(0.3, 1)),
    )
    size = round(required - current, 2)
    return Gap(
        skill_id=skill,
        required=required,
        current=current,
        gap=size,
        importance=importance,
        priority=round(importance * size * 0.75, 4),
        confidence=0.5,
        evidence_count=1,
        has_content=True,
    )


def _catalog(rng: np.random.Generator, start: datetime) -> list[Candidate]:
    return [
        Candidate(
            unit_id=unit,
            item_id=unit,
            skill_id=int(rng.integers(1, 9)),
            relevance=0.0,
            minutes=int(rng.choice([5, 10, 15, 30, 45])),
            language=str(rng.choice(["nl", "en"])),
            format=str(rng.choice(FORMATS)),
            level=LEVELS[int(rng.integers(0, len(LEVELS)))],
            rating=None if rng.random() < 0.2 else round(float(rng.uniform(2.5, 5.0)), 1),
            updated_at=start - timedelta(days=float(rng.uniform(0, 1500))),
            position=0,
            title=f"unit {unit}",
        )
        for unit in range(1, 301)
    ]


def _true_completion(candidate: Candidate, features: dict[str, float], preferred_format: str) -> float:
    z = (
        -3.2
        + 3.0 * (candidate.format == preferred_format)
        + 1.0 * (candidate.minutes <= 10)
        + 2.0 * (features["level"] - 0.5)
        + 0.5 * features["relevance"]
    )
    return 1.0 / (1.0 + math.exp(-z))


def simulate(seed: int, start: datetime = START, noise: bool = False) -> list[Interaction]:
    """Impressions and xAPI events of EMPLOYEES employees over WEEKS weeks, labelled.

    With `noise`, whether a unit is completed has nothing to do with the unit (30% of the time).
    """
    rng = np.random.default_rng(seed)
    catalog = _catalog(rng, start)
    impressions: list[Impression] = []
    events: list[LearningEvent] = []
    for number in range(EMPLOYEES):
        employee = f"emp-{number:03d}"
        preferred_format = str(rng.choice(FORMATS))
        learner = Learner(
            languages=("nl", "en") if rng.random() < 0.7 else ("en",), formats=(preferred_format,)
        )
        gaps = {int(s): _gap(rng, int(s)) for s in rng.choice(np.arange(1, 9), size=3, replace=False)}
        mine = [unit for unit in catalog if unit.skill_id in gaps]
        offset = timedelta(hours=float(rng.uniform(0, 48)))
        for week in range(WEEKS):
            shown_at = start + timedelta(weeks=week) + offset
            picks = rng.choice(len(mine), size=min(POOL, len(mine)), replace=False)
            candidates = [
                dataclasses.replace(mine[int(i)], relevance=float(rng.uniform(0.3, 1.0))) for i in picks
            ]
            for scored in score_candidates(candidates, gaps, learner, shown_at)[:PER_PATH]:
                unit = scored.candidate
                impressions.append(Impression(employee, unit.unit_id, scored.features, shown_at))
                chance = 0.3 if noise else _true_completion(unit, scored.features, preferred_format)
                if rng.random() < chance:
                    later = shown_at + timedelta(days=float(rng.uniform(0.5, 10)))
                    events.append(LearningEvent(employee, unit.unit_id, XAPI + "completed", later))
                elif rng.random() < 0.3:
                    later = shown_at + timedelta(days=float(rng.uniform(0, 3)))
                    events.append(LearningEvent(employee, unit.unit_id, XAPI + "dismissed", later))
    return label_interactions(impressions, events, WINDOW, now=start + timedelta(weeks=WEEKS + 4))


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
