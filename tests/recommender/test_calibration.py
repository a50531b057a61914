"""Every cosine threshold is a point on the encoder's calibration (recommender.embedding), so a model
with another cosine scale keeps their meaning; all-MiniLM-L6-v2 keeps the numbers set by hand."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.embedding import (
    MINILM,
    MULTILINGUAL_E5,
    USE_MULTILINGUAL,
    Calibration,
    calibration,
    search_calibration,
)
from recommender.fusion import ABSOLUTE_DENSE_FLOOR, ABSOLUTE_DENSE_FULL, absolute_fusion
from recommender.tagging import EMBEDDING_THRESHOLD, embedding_tags, embedding_threshold

E5_SCALE = Calibration(0.83, 0.91)


def test_minilm_keeps_its_hand_set_constants_exactly() -> None:
    scale = calibration(MINILM)
    assert (scale.floor, scale.full) == (0.40, 0.70)  # service/paths/planning.py DENSE_FLOOR, DENSE_FULL
    assert scale.at(1 / 3) == 0.5  # AGREEING_COSINE
    assert embedding_threshold(MINILM) == EMBEDDING_THRESHOLD == 0.45  # the tagging threshold
    search = search_calibration(MINILM)
    assert (search.floor, search.full) == (ABSOLUTE_DENSE_FLOOR, ABSOLUTE_DENSE_FULL) == (0.25, 0.70)
    for cosine in np.linspace(-0.2, 1.0, 241).tolist():  # the old formula, bit for bit
        assert scale.relevance(cosine) == min(1.0, max(0.0, (cosine - 0.40) / (0.70 - 0.40)))


def test_an_unmeasured_model_gets_minilms_scale() -> None:
    assert calibration("some/local-model") == calibration(MINILM)
    assert search_calibration("some/local-model") == search_calibration(MINILM)


def test_another_scale_maps_its_own_floor_and_full() -> None:
    assert E5_SCALE.relevance(0.83) == 0.0 and E5_SCALE.relevance(0.80) == 0.0
    assert E5_SCALE.relevance(0.91) == 1.0 and E5_SCALE.relevance(0.95) == 1.0
    assert E5_SCALE.relevance(0.87) == pytest.approx(0.5)
    assert E5_SCALE.at(0) == 0.83 and E5_SCALE.at(1) == 0.91
    assert E5_SCALE.at(1 / 3) == pytest.approx(0.83 + 0.08 / 3)


@pytest.mark.parametrize("model", [MULTILINGUAL_E5, USE_MULTILINGUAL])
def test_every_measured_model_orders_its_thresholds_alike(model: str) -> None:
    scale, search = calibration(model), search_calibration(model)
    assert scale != calibration(MINILM) and search != search_calibration(MINILM)
    assert scale.floor < embedding_threshold(model) < scale.at(1 / 3) < scale.full
    assert search.floor < scale.floor < search.full  # a question's floor sits below a label's


def test_tagging_and_search_follow_the_scale_they_are_given() -> None:
    # an item at cosine 0.86 from a skill: noise for MiniLM's 0.45 as an e5 threshold would be 0.843
    skill = np.array([[1.0, 0.0]], dtype=np.float32)
    item = np.array([[0.86, np.sqrt(1 - 0.86**2)]], dtype=np.float32)
    threshold = E5_SCALE.at(1 / 6)
    assert embedding_tags(item, skill, np.array([7]), threshold=threshold)[0][0][0] == 7
    assert embedding_tags(item, skill, np.array([7]), threshold=0.9) == [[]]
    fused = dict(absolute_fusion([(1, 0.83), (2, 0.91)], [], floor=0.83, full=0.91))
    assert fused == {1: 0.0, 2: pytest.approx(0.5)}  # the dense half, all of it at full
