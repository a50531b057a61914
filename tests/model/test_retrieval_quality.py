"""Model-behaviour test: skill retrieval on real data with the real bundled encoder.

Two evaluations (see recommender.evaluation), top 100 of each retriever fused:

* English: the Coursera sample. Each tag that at least 3 items declare is a query; the items
  declaring it are relevant; tags are held out of the indexed text (title + description).
* Dutch: every other ESCO occupation (Dutch title + description); every 8th alternative job title
  is a query for its occupation.

Measured on 2026-11-28 (all-MiniLM-L6-v2, BM25 with Dutch/English stemming, convex fusion with
dense weight 0.7, RRF k=60 for comparison):

    Coursera, 165 items, 170 queries     recall@10  ndcg@10   mrr
        dense                              0.413     0.443   0.661
        lexical                            0.229     0.271   0.506
        fused                              0.407     0.446   0.679
        rrf                                0.384     0.416   0.625

    ESCO nl, 1504 items, 1204 queries
        dense                              0.553     0.427   0.394
        lexical                            0.424     0.348   0.327
        fused                              0.589     0.457   0.423
        rrf                                0.576     0.449   0.418

Absolute fusion (recommender.fusion.absolute_fusion, what /v1/search ranks questions with: cosine on
a fixed 0.25..0.70 scale, BM25 scaled by the best hit, equal weights), measured 2026-12-04:

    Coursera                               0.390     0.423   0.635   (0.95x dense's nDCG)
    ESCO nl                                0.592     0.471   0.440   (1.10x dense's nDCG)

On Dutch it is the best of all five; on the English tags, which the descriptions rarely name, no
fusion beats dense (a grid of weights 0.25-0.5 and scales 0.15-0.3 / 0.6-0.8 gave 0.420-0.441
against dense's 0.443), so there the target of 1.1x the better part is not met.

On Dutch text, where the English model is weaker and stemmed words carry the meaning, fusion
beats both parts clearly. On the English Coursera tags, broad categories ("Leadership and
Management") that are rarely written in the 20-word descriptions, BM25 has little to add: fusion
keeps dense's recall within 0.01 and slightly improves nDCG and MRR. The weight 0.7 was chosen on
these same two sets (0.6 and 0.8 were also measured), so the margins below are deliberately wider
than the tuning could buy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.embedding import Encoder
from recommender.evaluation import (
    METHOD_ABSOLUTE,
    METHOD_DENSE,
    METHOD_FUSED,
    METHOD_LEXICAL,
    METHOD_RRF,
    METHODS,
    coursera_csv_items,
    esco_occupation_items,
    evaluate_skill_retrieval,
)

K = 10
METRICS = (f"recall@{K}", f"ndcg@{K}")
TIE_MARGIN = 0.01  # English: fused may trail its best part by at most this
WIN_MARGIN = 0.01  # Dutch: fused must beat its best part by at least this

pytestmark = pytest.mark.slow

Report = dict[str, dict[str, float]]


@pytest.fixture(scope="module")
def english(encoder: Encoder, shared_data: Path) -> Report:
    items = coursera_csv_items(shared_data / "coursera_sample" / "coursera.csv")
    return evaluate_skill_retrieval(items, encoder.encode, k=K)


@pytest.fixture(scope="module")
def dutch(encoder: Encoder, shared_data: Path) -> Report:
    items = esco_occupation_items(shared_data / "esco" / "occupations_nl.csv", query_every=8, item_every=2)
    return evaluate_skill_retrieval(items, encoder.encode, k=K, min_items=1)


def _best_part(report: Report, metric: str) -> float:
    return max(report[METHOD_DENSE][metric], report[METHOD_LEXICAL][metric])


def test_every_method_retrieves_relevant_items(english: Report, dutch: Report) -> None:
    assert english["data"]["queries"] >= 100
    assert dutch["data"]["queries"] >= 1000
    for report in (english, dutch):
        for method in METHODS:
            for metric in METRICS:
                assert report[method][metric] > 0, (method, metric, report)


def test_fusion_beats_both_parts_on_dutch(dutch: Report) -> None:
    for metric in METRICS:
        assert dutch[METHOD_FUSED][metric] >= _best_part(dutch, metric) + WIN_MARGIN, (metric, dutch)


def test_fusion_matches_dense_on_english_tags_and_beats_lexical(english: Report) -> None:
    for metric in METRICS:
        assert english[METHOD_FUSED][metric] > english[METHOD_LEXICAL][metric], (metric, english)
        assert english[METHOD_FUSED][metric] >= _best_part(english, metric) - TIE_MARGIN, (metric, english)


def test_score_fusion_is_not_worse_than_rank_fusion(english: Report, dutch: Report) -> None:
    for report in (english, dutch):
        for metric in METRICS:
            assert report[METHOD_FUSED][metric] >= report[METHOD_RRF][metric], (metric, report)


def test_search_fusion_is_the_best_on_dutch_and_close_to_dense_on_english_tags(
    english: Report, dutch: Report
) -> None:
    ndcg = f"ndcg@{K}"
    assert dutch[METHOD_ABSOLUTE][ndcg] >= 1.09 * _best_part(dutch, ndcg), dutch
    assert all(dutch[METHOD_ABSOLUTE][ndcg] >= dutch[m][ndcg] for m in METHODS), dutch
    assert english[METHOD_ABSOLUTE][ndcg] >= 0.93 * _best_part(english, ndcg), english
