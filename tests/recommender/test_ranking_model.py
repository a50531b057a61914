"""Unit tests of the ranking model: features, the rules model, re-scoring and a learned model's storage."""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from recommender.interactions import (
    POSITIVE,
    Interaction,
)
from recommender.ranker_evaluation import evaluate
from recommender.ranking import FEATURES, WEIGHTS, Learner, score_candidates
from recommender.ranking_model import (
    RULES_VERSION,
    LearnedModel,
    RankerModel,
    RuleModel,
    feature_matrix,
    rescore,
    vectorise,
)
from tests.support.interaction_factories import T0, row, shown, trained
from tests.support.path_factories import cand, gap


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


def test_rows_and_models_can_be_kept_in_sets() -> None:
    assert len({row(1, POSITIVE), row(1, POSITIVE), row(2, POSITIVE)}) == 2
    assert len({shown(1), shown(1)}) == 1
    assert len({RuleModel(), RuleModel(), trained()}) == 2
