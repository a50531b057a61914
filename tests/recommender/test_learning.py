"""Unit tests of the retrained ranker: labels, features, the time split, storage, evaluation and the
data checks before a promotion."""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from recommender.learning import (
    FEATURES,
    MIN_TRAIN_INTERACTIONS,
    NEGATIVE,
    POSITIVE,
    RULES_VERSION,
    WEAK_NEGATIVE,
    DataWindow,
    Impression,
    Interaction,
    LearnedModel,
    LearningEvent,
    RankerModel,
    RuleModel,
    compare,
    evaluate,
    feature_matrix,
    fit_ranker,
    label_interactions,
    normalise_verb,
    rescore,
    time_split,
    train_and_compare,
    vectorise,
)
from recommender.ranking import WEIGHTS, Learner, score_candidates
from tests.recommender.path_factories import cand, gap

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
WINDOW = timedelta(days=14)
XAPI = "http://adlnet.gov/expapi/verbs/"


def shown(unit_id: int, employee: str = "e1", at: datetime = T0, **features: float) -> Impression:
    return Impression(employee, unit_id, features or {"relevance": 0.5}, at)


def event(
    unit_id: int, verb: str, days: float, employee: str = "e1", score: float | None = None
) -> LearningEvent:
    return LearningEvent(employee, unit_id, verb, T0 + timedelta(days=days), score)


def outcomes(
    impressions: Sequence[Impression], events: Sequence[LearningEvent], now: datetime | None = None
) -> dict[tuple[str, int, datetime], str]:
    labelled = label_interactions(impressions, events, WINDOW, now)
    return {(i.employee, i.unit_id, i.shown_at): i.outcome for i in labelled}


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


# --- labels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verb", "expected"),
    [
        (XAPI + "completed", "completed"),
        ("https://w3id.org/xapi/adl/verbs/Dismissed/", "dismissed"),
        ("  Passed ", "passed"),
        ("http://example.com/verbs#rated", "rated"),
    ],
)
def test_verbs_are_normalised_to_their_last_segment(verb: str, expected: str) -> None:
    assert normalise_verb(verb) == expected


def test_completed_or_passed_in_the_window_is_positive_dismissed_or_failed_negative() -> None:
    impressions = [shown(1), shown(2), shown(3), shown(4)]
    events = [
        event(1, XAPI + "completed", 3),
        event(2, "dismissed", 0.1),
        event(3, XAPI + "passed", 13.9),
        event(4, XAPI + "failed", 2),
    ]
    result = outcomes(impressions, events, now=T0 + timedelta(days=30))
    assert [result[("e1", unit, T0)] for unit in (1, 2, 3, 4)] == [POSITIVE, NEGATIVE, POSITIVE, NEGATIVE]


def test_the_last_rating_decides_and_beats_completion() -> None:
    impressions = [shown(1), shown(2), shown(3), shown(4)]
    events = [
        event(1, "rated", 1, score=0.8),
        event(2, XAPI + "completed", 1),
        event(2, "rated", 2, score=0.4),  # completed but disliked: not a good recommendation
        event(3, "rated", 1, score=0.2),
        event(3, "rated", 2, score=0.6),  # changed their mind; 0.6 is the threshold and counts
        event(4, "dismissed", 1),
        event(4, "rated", 2),  # a rating without a score decides nothing
    ]
    result = outcomes(impressions, events, now=T0 + timedelta(days=30))
    assert [result[("e1", unit, T0)] for unit in (1, 2, 3, 4)] == [POSITIVE, NEGATIVE, POSITIVE, NEGATIVE]


def test_positive_beats_negative_when_no_rating() -> None:
    events = [event(1, XAPI + "failed", 1), event(1, XAPI + "passed", 3)]
    assert outcomes([shown(1)], events, now=T0 + timedelta(days=30))[("e1", 1, T0)] == POSITIVE


def test_no_decisive_event_is_a_weak_negative_once_the_window_is_over_and_unknown_before() -> None:
    impressions = [shown(1), shown(2), shown(3), shown(4)]
    events = [
        event(1, XAPI + "launched", 1),  # opening a unit decides nothing
        event(2, XAPI + "completed", 14),  # the window is [shown_at, shown_at + 14 days)
        event(3, XAPI + "completed", -1),  # done before it was recommended
        event(4, XAPI + "completed", 2, employee="e2"),  # someone else
    ]
    after = outcomes(impressions, events, now=T0 + WINDOW)
    assert set(after.values()) == {WEAK_NEGATIVE} and len(after) == 4
    assert outcomes(impressions, events, now=T0 + WINDOW - timedelta(seconds=1)) == {}


def test_a_decisive_event_labels_an_impression_whose_window_is_still_open() -> None:
    result = outcomes([shown(1)], [event(1, "dismissed", 1)], now=T0 + timedelta(days=2))
    assert result == {("e1", 1, T0): NEGATIVE}


def test_an_event_counts_for_every_impression_whose_window_holds_it() -> None:
    later = T0 + timedelta(days=7)
    impressions = [shown(1), shown(1, at=later), shown(1, at=T0 + timedelta(days=21))]
    result = outcomes(impressions, [event(1, XAPI + "completed", 10)], now=T0 + timedelta(days=60))
    assert result == {
        ("e1", 1, T0): POSITIVE,
        ("e1", 1, later): POSITIVE,
        ("e1", 1, T0 + timedelta(days=21)): WEAK_NEGATIVE,
    }


def test_now_defaults_to_the_latest_timestamp_and_naive_times_are_utc() -> None:
    naive = T0.replace(tzinfo=None)
    impressions = [Impression("e1", 1, {}, naive), Impression("e1", 2, {}, naive)]
    events = [LearningEvent("e1", 1, "dismissed", naive + timedelta(days=20))]
    labelled = label_interactions(impressions, events, WINDOW)
    assert [(i.unit_id, i.outcome, i.shown_at) for i in labelled] == [
        (1, WEAK_NEGATIVE, T0),
        (2, WEAK_NEGATIVE, T0),
    ]
    assert label_interactions([], [], WINDOW) == []


def test_labels_come_sorted_and_carry_the_features() -> None:
    impressions = [shown(2, at=T0 + timedelta(days=1), level=1.0), shown(1, employee="e2", relevance=0.9)]
    labelled = label_interactions(impressions, [], WINDOW, now=T0 + timedelta(days=40))
    assert [(i.employee, i.unit_id) for i in labelled] == [("e2", 1), ("e1", 2)]
    assert dict(labelled[1].features) == {"level": 1.0}


def test_window_must_be_positive_and_outcomes_known() -> None:
    with pytest.raises(ValueError):
        label_interactions([], [], timedelta(0))
    with pytest.raises(ValueError, match="outcome"):
        row(1, "completed")


def test_labels_and_weights() -> None:
    assert [row(1, o).label for o in (POSITIVE, NEGATIVE, WEAK_NEGATIVE)] == [1, 0, 0]
    assert row(1, WEAK_NEGATIVE).weight < row(1, NEGATIVE).weight == row(1, POSITIVE).weight == 1.0


# --- features and the rules model -----------------------------------------------------------------


def test_vectorise_follows_the_ranking_features_and_reads_missing_or_bad_values_as_zero() -> None:
    assert FEATURES == ("relevance", "level", "priority", "language", "quality", "format", "freshness")
    vector = vectorise({"format": 0.9, "relevance": 0.4, "level": math.nan, "unknown": 5.0})
    assert vector.tolist() == [0.4, 0.0, 0.0, 0.0, 0.0, 0.9, 0.0]
    assert feature_matrix([]).shape == (0, len(FEATURES))
    assert feature_matrix([{"priority": 1.0}, {}], ("priority",)).tolist() == [[1.0], [0.0]]


def test_rule_model_reproduces_the_hand_set_score() -> None:
    gaps = {1: gap(1, required=4, current=2.0), 2: gap(2, required=3, current=0.0, importance=0.3)}
    candidates = [
        cand(1, relevance=0.9, level="advanced", format="article"),
        cand(2, 2, relevance=0.4, language="en", rating=None, updated_days_ago=None),
        cand(3, relevance=0.7, level="intermediate", rating=4.8),
    ]
    learner = Learner(languages=("nl", "en"), formats=("video",))
    scored = score_candidates(candidates, gaps, learner, T0)
    rules = RuleModel()
    values = rules.score(feature_matrix([s.features for s in scored]))
    assert values.tolist() == pytest.approx([s.score for s in scored], abs=1e-6)
    assert rules.version == RULES_VERSION == "rules-1"
    assert isinstance(rules, RankerModel)


def test_rescore_orders_by_the_model_and_keeps_features_and_reasons() -> None:
    gaps = {1: gap(1, required=4, current=2.0)}
    candidates = [
        cand(1, relevance=0.95, format="article"),
        cand(2, relevance=0.75, format="video"),
        cand(3, relevance=0.85, format="podcast"),
    ]
    scored = score_candidates(candidates, gaps, Learner(languages=("nl",), formats=("video",)), T0)
    assert [s.candidate.unit_id for s in scored][0] == 1  # the rules go by relevance
    assert [s.candidate.unit_id for s in rescore(scored, RuleModel())] == [
        s.candidate.unit_id for s in scored
    ]
    likes_format = LearnedModel(
        FEATURES, (0.5,) * 7, (0.3,) * 7, tuple(9.0 if f == "format" else 0.0 for f in FEATURES), 0.0
    )
    rescored = rescore(scored, likes_format)
    assert rescored[0].candidate.unit_id == 2
    assert all(0.0 <= s.score <= 1.0 for s in rescored)
    by_unit = {s.candidate.unit_id: s for s in scored}
    for entry in rescored:
        assert entry.features == by_unit[entry.candidate.unit_id].features
        assert entry.reasons == by_unit[entry.candidate.unit_id].reasons
    assert rescore([], likes_format) == []


def test_rule_model_weights_are_checked() -> None:
    assert dict(RuleModel().weights) == WEIGHTS
    only_format = RuleModel({name: 0.0 for name in FEATURES} | {"format": 2.0})
    assert only_format.score(np.array([[1.0] * 6 + [0.0]])).tolist() == [1.0]
    for bad in ({"minutes": 1.0}, {"format": -1.0}, dict.fromkeys(FEATURES, 0.0)):
        with pytest.raises(ValueError):
            RuleModel(bad)
    with pytest.raises(ValueError, match="columns"):
        RuleModel().score(np.zeros((2, 3)))


# --- time split -----------------------------------------------------------------------------------


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


# --- storage --------------------------------------------------------------------------------------


def test_to_bytes_and_back_gives_identical_scores() -> None:
    model = trained()
    data = model.to_bytes()
    loaded = LearnedModel.from_bytes(data)
    matrix = np.random.default_rng(3).uniform(size=(50, len(FEATURES)))
    assert np.array_equal(loaded.score(matrix), model.score(matrix))
    assert loaded == model and loaded.version == model.version and loaded.to_bytes() == data
    assert json.loads(data)["format"] == "leerpad.ranker"
    assert model.version.startswith("logreg-")


def test_the_numpy_scores_are_the_pipelines_probabilities() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(size=(120, len(FEATURES)))
    y = (x[:, 5] + 0.2 * rng.normal(size=120) > 0.5).astype(int)
    pipeline = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression(class_weight="balanced"))])
    pipeline.fit(x, y)
    model = LearnedModel.from_pipeline(pipeline)
    assert np.allclose(model.score(x), pipeline.predict_proba(x)[:, 1], rtol=0, atol=1e-12)
    assert np.allclose(model.decision(x), pipeline.decision_function(x), rtol=0, atol=1e-10)


def _document(**changes: object) -> bytes:
    document = json.loads(trained().to_bytes())
    document.update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\x04\x95garbage",
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'{"format": "something else"}',
        pickle.dumps({"format": "leerpad.ranker"}),
        _document(format_version=2),
        _document(kind="gradient_boosting"),
        _document(coef=[1.0, 2.0]),
        _document(
            features=["relevance", "minutes", "priority", "language", "quality", "format", "freshness"]
        ),
        _document(scale=[0.0] * 7),
        _document(intercept="1.0"),
        _document(intercept=True),
        _document(extra="field"),
        _document(info={"nested": {"a": 1}}),
        _document(version=3),
        json.dumps({"format": "leerpad.ranker", "format_version": 1, "kind": "logistic_regression"}).encode(),
        trained().to_bytes().replace(b'"intercept":', b'"intercept":NaN,"x":'),
    ],
)
def test_from_bytes_refuses_anything_else_with_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        LearnedModel.from_bytes(data)


def test_from_bytes_never_unpickles() -> None:
    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (pytest.fail, ("pickle was loaded",))

    with pytest.raises(ValueError):
        LearnedModel.from_bytes(pickle.dumps(Boom()))
    with pytest.raises(ValueError):
        LearnedModel.from_bytes("a string")  # type: ignore[arg-type]


def test_a_stored_model_with_fewer_features_still_scores_feature_dicts() -> None:
    model = LearnedModel(("format",), (0.5,), (0.25,), (2.0,), -0.5)
    again = LearnedModel.from_bytes(model.to_bytes())
    rows = [row(1, POSITIVE), Interaction("e1", 2, {"format": 1.0}, T0, POSITIVE)]
    metrics = evaluate(again, rows)
    assert metrics["interactions"] == 2.0
    assert again.score(np.array([[0.5]])).tolist() == [pytest.approx(1 / (1 + math.exp(0.5)))]


def test_training_is_deterministic() -> None:
    assert trained(seed=1).to_bytes() == trained(seed=1).to_bytes()
    with pytest.raises(ValueError, match="positive and negative"):
        fit_ranker([row(n, POSITIVE) for n in range(10)])


# --- evaluation -----------------------------------------------------------------------------------


class ByRelevance:
    """The simplest model: rank by the relevance feature."""

    version: str = "by-relevance"
    feature_names: tuple[str, ...] = ("relevance",)

    def score(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(features)[:, 0]


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


# --- promotion checks -----------------------------------------------------------------------------


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


def test_train_and_compare_refuses_an_unknown_metric_even_without_data() -> None:
    with pytest.raises(ValueError, match="metric"):
        train_and_compare([], RuleModel(), "precision@10")


def test_rows_and_models_can_be_kept_in_sets() -> None:
    assert len({row(1, POSITIVE), row(1, POSITIVE), row(2, POSITIVE)}) == 2
    assert len({shown(1), shown(1)}) == 1
    assert len({RuleModel(), RuleModel(), trained()}) == 2
