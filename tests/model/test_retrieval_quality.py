"""Model-behaviour test: skill retrieval on real Coursera items with the real bundled encoder.

Each Coursera tag that at least 3 items declare is a query; the items declaring it are relevant;
tags are held out of the indexed text (title + description). See recommender.evaluation.

Measured on 2026-11-28 (165 items, 170 skill queries, all-MiniLM-L6-v2, BM25, RRF k=60 over the
top 100 of each):

    method    recall@10  ndcg@10   mrr
    dense       0.413     0.443   0.661
    lexical     0.229     0.271   0.506
    fused       0.384     0.416   0.625

On this English-only catalog, whose descriptions are about 20 words cut mid-sentence and whose
tags are broad categories ("Leadership and Management") rarely written in the text, BM25 is much
weaker than the English model, and plain RRF trails dense by about 0.03. Weighting the lexical
list down until fusion "passes" only turns BM25 into a tie-breaker inside the dense top 10 (it
can then never add an item), which would defeat the point of BM25 for Dutch text; so the bar
"fused >= max(dense, lexical) - 0.01" is kept as a strict xfail until fusion really earns it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.embedding import Encoder
from recommender.evaluation import (
    METHOD_DENSE,
    METHOD_FUSED,
    METHOD_LEXICAL,
    METHODS,
    coursera_csv_items,
    evaluate_skill_retrieval,
)

K = 10
METRICS = (f"recall@{K}", f"ndcg@{K}")
MARGIN = 0.01
DENSE_SLACK = 0.05  # measured gap of fused below dense: 0.029 recall, 0.027 nDCG

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(encoder: Encoder, shared_data: Path) -> dict[str, dict[str, float]]:
    items = coursera_csv_items(shared_data / "coursera_sample" / "coursera.csv")
    return evaluate_skill_retrieval(items, encoder.encode, k=K)


def test_every_method_retrieves_relevant_items(report: dict[str, dict[str, float]]) -> None:
    assert report["data"]["queries"] >= 100
    for method in METHODS:
        for metric in METRICS:
            assert report[method][metric] > 0, (method, metric, report)


def test_fusion_beats_lexical_and_stays_near_dense(report: dict[str, dict[str, float]]) -> None:
    for metric in METRICS:
        assert report[METHOD_FUSED][metric] > report[METHOD_LEXICAL][metric], (metric, report)
        assert report[METHOD_FUSED][metric] >= report[METHOD_DENSE][metric] - DENSE_SLACK, (metric, report)


@pytest.mark.xfail(
    strict=True,
    reason="on English-only Coursera data plain RRF trails dense by ~0.03 (see the module docstring)",
)
def test_fusion_at_least_matches_its_best_part(report: dict[str, dict[str, float]]) -> None:
    for metric in METRICS:
        best_part = max(report[METHOD_DENSE][metric], report[METHOD_LEXICAL][metric])
        assert report[METHOD_FUSED][metric] >= best_part - MARGIN, (metric, report)
