"""Model-behaviour test: skill retrieval on real data with the product's default encoder.

Two evaluations (see recommender.evaluation), top 100 of each retriever fused:

* English: the Coursera sample. Each tag that at least 3 items declare is a query; the items
  declaring it are relevant; tags are held out of the indexed text (title + description).
* Dutch: every other ESCO occupation (Dutch title + description); every 8th alternative job title
  is a query for its occupation.

Measured on 2026-12-04 with multilingual-e5-small (the default since then; queries encoded as
"query: ", texts as "passage: "), BM25 with Dutch/English stemming, convex fusion with dense weight
0.7 (what paths shortlist with), RRF k=60, and absolute fusion as /v1/search ranks (e5's cosine scale
0.81..0.91, BM25 weight 0.1):

    Coursera, 165 items, 170 queries     recall@10  ndcg@10   mrr
        dense                              0.389     0.420   0.638
        lexical                            0.229     0.271   0.506
        fused                              0.386     0.424   0.651
        rrf                                0.367     0.401   0.614
        absolute (search)                  0.392     0.426   ---

    ESCO nl, 1504 items, 1204 queries
        dense                              0.820     0.680   0.641
        lexical                            0.424     0.348   0.327
        fused                              0.818     0.665   0.622
        rrf                                0.749     0.594   0.555
        absolute (search)                  0.820     0.674   ---

The same sets with all-MiniLM-L6-v2 (the default until 2026-12-04): dense nDCG@10 0.443 English and
0.427 Dutch; its best fusion 0.446 and 0.471. So e5 lifts Dutch retrieval by 1.4x over the old
service's best and keeps English within 0.02. With e5 the words add little: on Dutch job titles
every BM25 weight costs a little nDCG (0.1: -0.006; 0.5: -0.079), on the English tags 0.1 gains a
little. The issue's target, fusion at 1.1x the better part, is not reachable on these sets with an
encoder this strong; the search keeps BM25 at 0.1 for literal names, which these sets do not test
(tests/service/test_search_default_encoder.py does).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.embedding import DEFAULT_MODEL, Encoder, search_lexical_weight
from recommender.evaluation import (
    METHOD_ABSOLUTE,
    METHOD_DENSE,
    METHOD_FUSED,
    METHOD_LEXICAL,
    METHOD_RRF,
    METHODS,
    EvalItem,
    coursera_csv_items,
    esco_occupation_items,
    evaluate_skill_retrieval,
)

K = 10
METRICS = (f"recall@{K}", f"ndcg@{K}")
TIE_MARGIN = 0.01  # the search may trail dense alone by at most this (measured: -0.006 to +0.006)
SHORTLIST_MARGIN = 0.02  # the paths' shortlist fusion likewise (measured: -0.015 to +0.004)

pytestmark = pytest.mark.slow

Report = dict[str, dict[str, float]]


@pytest.fixture(scope="module")
def default_encoder() -> Encoder:
    """The product's default encoder (the suite's own `encoder` is the faster MiniLM)."""
    return Encoder(DEFAULT_MODEL)


def _evaluate(encoder: Encoder, items: list[EvalItem], min_items: int) -> Report:
    return evaluate_skill_retrieval(
        items,
        encoder.encode,
        k=K,
        min_items=min_items,
        query_fn=lambda texts: encoder.encode(texts, kind="query"),
        absolute_params=(
            encoder.search_calibration.floor,
            encoder.search_calibration.full,
            search_lexical_weight(encoder.name),
        ),
    )


@pytest.fixture(scope="module")
def english(default_encoder: Encoder, shared_data: Path) -> Report:
    items = coursera_csv_items(shared_data / "coursera_sample" / "coursera.csv")
    return _evaluate(default_encoder, items, min_items=3)


@pytest.fixture(scope="module")
def dutch(default_encoder: Encoder, shared_data: Path) -> Report:
    items = esco_occupation_items(shared_data / "esco" / "occupations_nl.csv", query_every=8, item_every=2)
    return _evaluate(default_encoder, items, min_items=1)


def test_every_method_retrieves_relevant_items(english: Report, dutch: Report) -> None:
    assert english["data"]["queries"] >= 100
    assert dutch["data"]["queries"] >= 1000
    for report in (english, dutch):
        for method in METHODS:
            for metric in METRICS:
                assert report[method][metric] > 0, (method, metric, report)


def test_the_default_encoder_reads_dutch(dutch: Report) -> None:
    # all-MiniLM-L6-v2 reached 0.427 here and its best fusion 0.471; e5 measured 0.680
    assert dutch[METHOD_DENSE][f"ndcg@{K}"] >= 0.62, dutch
    assert dutch[METHOD_DENSE][f"ndcg@{K}"] >= 1.8 * dutch[METHOD_LEXICAL][f"ndcg@{K}"], dutch


def test_search_keeps_dense_quality_and_beats_words_alone(english: Report, dutch: Report) -> None:
    for report in (english, dutch):
        for metric in METRICS:
            assert report[METHOD_ABSOLUTE][metric] >= report[METHOD_DENSE][metric] - TIE_MARGIN, (
                metric,
                report,
            )
            assert report[METHOD_ABSOLUTE][metric] > 1.3 * report[METHOD_LEXICAL][metric], (metric, report)


def test_path_shortlist_fusion_stays_close_to_dense(english: Report, dutch: Report) -> None:
    for report in (english, dutch):
        for metric in METRICS:
            assert report[METHOD_FUSED][metric] >= report[METHOD_DENSE][metric] - SHORTLIST_MARGIN, (
                metric,
                report,
            )


def test_score_fusion_is_not_worse_than_rank_fusion(english: Report, dutch: Report) -> None:
    for report in (english, dutch):
        for metric in METRICS:
            assert report[METHOD_FUSED][metric] >= report[METHOD_RRF][metric], (metric, report)
