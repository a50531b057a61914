"""Convex and reciprocal rank fusion, and score normalisation, on hand-worked examples."""

from __future__ import annotations

import pytest

from recommender.fusion import RRF_K, convex_fusion, normalise_scores, reciprocal_rank_fusion


def test_rrf_hand_example() -> None:
    dense = [1, 2, 3]
    lexical = [3, 4, 1]
    fused = reciprocal_rank_fusion([dense, lexical], k=60)
    expected = {
        1: 1 / 61 + 1 / 63,
        2: 1 / 62,
        3: 1 / 63 + 1 / 61,
        4: 1 / 62,
    }
    assert [item for item, _ in fused] == [1, 3, 2, 4]  # ties keep first-met order
    for item, score in fused:
        assert score == pytest.approx(expected[item])
    assert RRF_K == 60


def test_rrf_weights_and_small_k() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=0, weights=[1.0, 0.5]))
    assert fused == pytest.approx({"a": 1.0, "b": 1 / 2 + 0.5 / 1, "c": 0.5 / 2})


def test_rrf_counts_a_repeated_item_once_per_ranking() -> None:
    assert reciprocal_rank_fusion([[7, 7, 8]], k=1) == [(7, 0.5), (8, pytest.approx(1 / 4))]


def test_rrf_edge_cases() -> None:
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], weights=[1.0, 2.0])
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], weights=[-1.0])
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([[1]], k=-1)


def test_normalise_scores() -> None:
    assert normalise_scores([(1, 4.0), (2, 2.0), (3, 3.0)]) == [(1, 1.0), (2, 0.0), (3, 0.5)]
    assert normalise_scores([(1, 0.3), (2, 0.3)]) == [(1, 1.0), (2, 1.0)]
    assert normalise_scores([]) == []


def test_convex_fusion_hand_example() -> None:
    # dense scaled: a 1.0, b 0.5, c 0.0; lexical scaled: c 1.0, d 0.0 (raw BM25 scale does not matter)
    dense = [("a", 0.8), ("b", 0.6), ("c", 0.4)]
    lexical = [("c", 12.0), ("d", 3.0)]
    fused = dict(convex_fusion(dense, lexical, dense_weight=0.7))
    assert fused == pytest.approx({"a": 0.7, "b": 0.35, "c": 0.3, "d": 0.0})
    assert [item for item, _ in convex_fusion(dense, lexical, dense_weight=0.7)] == ["a", "b", "c", "d"]
    # with the lexical side weighted up, agreement on c wins
    assert convex_fusion(dense, lexical, dense_weight=0.4)[0][0] == "c"


def test_convex_fusion_edges() -> None:
    assert convex_fusion([], []) == []
    assert convex_fusion([(1, 0.5)], []) == [(1, pytest.approx(0.7))]
    # a repeated id counts with its best score
    assert dict(convex_fusion([(1, 0.2), (2, 0.9), (1, 0.9)], [], dense_weight=1.0)) == {1: 1.0, 2: 1.0}
    with pytest.raises(ValueError, match="dense_weight"):
        convex_fusion([(1, 0.5)], [], dense_weight=1.5)


def test_absolute_fusion_keeps_a_weak_dense_best_weak_and_rewards_named_words() -> None:
    from recommender.fusion import absolute_fusion

    # the dense best is noise (cosine 0.26); the lexical best holds the question's words
    fused = dict(absolute_fusion([("noise", 0.26), ("page", 0.30)], [("page", 9.0), ("other", 3.0)]))
    assert max(fused, key=lambda k: fused[k]) == "page"
    assert fused["noise"] < 0.05 and 0.5 < fused["page"] <= 1.0
    assert abs(fused["other"] - 0.5 * 3.0 / 9.0) < 1e-9
    with pytest.raises(ValueError):
        absolute_fusion([], [], floor=0.7, full=0.7)
