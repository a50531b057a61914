"""Retrieval metrics on hand-worked examples, and the plumbing of the skill-retrieval evaluation."""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest

from recommender.evaluation import (
    METHODS,
    EvalItem,
    esco_occupation_items,
    evaluate_skill_retrieval,
    format_table,
    item_text,
    mrr,
    ndcg_at_k,
    path_coverage,
    recall_at_k,
    skill_queries,
)
from recommender.gaps import Gap

RELEVANT = {"q1": {"a", "b"}, "q2": {"c"}, "no relevant items": set()}
RANKED = {"q1": ["a", "x", "b"], "q2": ["y", "z"]}


def test_recall_hand_example() -> None:
    # q1: a at 1, b at 3; q2: nothing relevant retrieved; a query without relevant items is skipped
    assert recall_at_k(RELEVANT, RANKED, k=2) == pytest.approx((1 / 2 + 0) / 2)
    assert recall_at_k(RELEVANT, RANKED, k=3) == pytest.approx((1 + 0) / 2)


def test_ndcg_hand_example() -> None:
    dcg = 1 / math.log2(2) + 1 / math.log2(4)  # hits at ranks 1 and 3: 1.5
    ideal = 1 / math.log2(2) + 1 / math.log2(3)  # two relevant items at ranks 1 and 2: 1.6309
    assert ndcg_at_k(RELEVANT, RANKED, k=3) == pytest.approx((dcg / ideal + 0) / 2)
    assert ndcg_at_k(RELEVANT, RANKED, k=3) == pytest.approx(0.45987, abs=1e-5)
    assert ndcg_at_k({"q": {"a"}}, {"q": ["a", "b"]}, k=5) == 1.0
    assert ndcg_at_k({"q": {"a"}}, {"q": ["b", "a"]}, k=5) == pytest.approx(1 / math.log2(3))


def test_mrr_and_edge_cases() -> None:
    assert mrr(RELEVANT, RANKED) == pytest.approx((1 + 0) / 2)
    assert mrr({"q": {"c"}}, {"q": ["a", "b", "c"]}) == pytest.approx(1 / 3)
    # the top k are the first k distinct items; a missing ranking scores 0; no queries gives 0
    assert recall_at_k({"q": {"a", "b"}}, {"q": ["a", "a", "b"]}, k=2) == 1.0
    assert recall_at_k({"q": {"a"}}, {}, k=10) == 0.0
    assert ndcg_at_k({}, {}, k=10) == 0.0
    with pytest.raises(ValueError):
        recall_at_k(RELEVANT, RANKED, k=0)


def _hashing_encoder(seen: list[str], dimension: int = 512) -> Callable[[Sequence[str]], np.ndarray]:
    """A deterministic stand-in for the model: a hashed bag of lower-cased words, unit length."""

    def encode(texts: Sequence[str]) -> np.ndarray:
        seen.extend(texts)
        vectors = np.zeros((len(texts), dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)

    return encode


ITEMS = [
    EvalItem(1, "Intro to SQL databases", "Tables and queries.", "en", ("Databases", "Cooking")),
    EvalItem(2, "Advanced databases", "Indexes and tuning.", "en", (" databases ",)),
    EvalItem(3, "Databases for analysts", "Reporting.", "en", ("DATABASES", "Cooking")),
    EvalItem(4, "Baking bread", "Sourdough at home.", "en", ("Cooking",)),
    EvalItem(5, "Leading teams", "Feedback and goals.", "en", ("Leadership",)),
    EvalItem(6, "Tuinieren", "Planten en bomen.", "nl", ()),
]


def test_skill_queries_need_three_items_and_ignore_case() -> None:
    assert skill_queries(ITEMS) == {"Databases": {1, 2, 3}, "Cooking": {1, 3, 4}}
    assert "Leadership" in skill_queries(ITEMS, min_items=1)


def test_evaluate_skill_retrieval_plumbing() -> None:
    seen: list[str] = []
    report = evaluate_skill_retrieval(ITEMS, _hashing_encoder(seen), k=3)
    assert report["data"] == {"items": 6.0, "queries": 2.0, "k": 3.0}
    assert set(report) == {"data", *METHODS}
    for method in METHODS:
        assert set(report[method]) == {"recall@3", "ndcg@3", "mrr"}
        assert all(0.0 <= value <= 1.0 for value in report[method].values())
    # The declared skills are held out: the encoder saw item texts and the skill labels, nothing else.
    assert seen[: len(ITEMS)] == [item_text(item) for item in ITEMS]
    assert not any("Cooking" in text for text in seen[: len(ITEMS)])
    assert seen[len(ITEMS) :] == ["Databases", "Cooking"]
    # "Databases" is in the text of exactly its three items; "Cooking" is in none of its items' texts.
    assert report["lexical"] == pytest.approx({"recall@3": 0.5, "ndcg@3": 0.5, "mrr": 0.5})
    assert report["dense"]["recall@3"] >= 0.5
    assert report["fused"]["recall@3"] >= 0.5
    assert "fused" in format_table(report)


def test_evaluate_skill_retrieval_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="distinct"):
        evaluate_skill_retrieval([ITEMS[0], ITEMS[0]], _hashing_encoder([]))

    def wrong_shape(texts: Sequence[str]) -> np.ndarray:
        return np.ones((1, 4), dtype=np.float32)

    with pytest.raises(ValueError, match="shape"):
        evaluate_skill_retrieval(ITEMS, wrong_shape)


def test_evaluate_without_queries_reports_zeros() -> None:
    report = evaluate_skill_retrieval(ITEMS[4:], _hashing_encoder([]))
    assert report["data"]["queries"] == 0.0
    assert report["fused"]["recall@10"] == 0.0


@dataclass(frozen=True)
class SimpleGap:
    skill_id: int
    gap: float
    importance: float


def test_path_coverage_weights_by_importance_and_gap() -> None:
    gaps = [SimpleGap(1, 2.0, 1.0), SimpleGap(2, 1.0, 0.5), SimpleGap(3, 3.0, 0.0)]
    # weights 2.0, 0.5, 0.0; skill 1 half covered, skill 2 fully (capped at 1), skill 3 weighs nothing
    assert path_coverage(gaps, {1: 0.5, 2: 1.7, 3: 1.0}) == pytest.approx((2.0 * 0.5 + 0.5 * 1.0) / 2.5)
    assert path_coverage(gaps, {}) == 0.0
    assert path_coverage([], {}) == 1.0
    real = Gap(7, 3, 1.0, 2.0, 1.0, 1.0, 0.5, 1, True)
    assert path_coverage([real], {7: 1.0}) == 1.0


def test_esco_occupation_items_sample_alternative_titles(tmp_path) -> None:
    csv_path = tmp_path / "occupations_nl.csv"
    csv_path.write_text(
        "conceptUri,preferredLabel,altLabels,description\n"
        'u1,danser,"danseres\nDanser\nballetdanser",Dansers vertolken ideeen.\n'
        'u2,kok,"chef-kok\nkeukenchef",Koks bereiden maaltijden.\n'
        'u3,bakker,"broodbakker",Bakkers bakken brood.\n',
        encoding="utf-8",
    )
    every = esco_occupation_items(csv_path)
    assert [item.item_id for item in every] == ["u1", "u2", "u3"]
    assert every[0].language == "nl" and every[0].title == "danser"
    # "Danser" equals the title and is dropped; of the 5 remaining labels every 8th (the first) is kept
    assert [item.skills for item in every] == [("danseres",), (), ()]
    both = esco_occupation_items(csv_path, query_every=2)
    assert [item.skills for item in both] == [("danseres",), ("chef-kok",), ("broodbakker",)]
    odd = esco_occupation_items(csv_path, query_every=1, item_every=2)
    assert [item.item_id for item in odd] == ["u1", "u3"]
    assert odd[1].skills == ("broodbakker",)
    with pytest.raises(ValueError):
        esco_occupation_items(csv_path, query_every=0)
