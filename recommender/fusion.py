"""Fusing rankings from different retrievers (dense FAISS, lexical BM25) into one.

Why rank fusion rather than adding scores: cosine similarities and BM25 scores live on unrelated
scales (BM25 grows with query length and corpus statistics), so any fixed mix of raw scores is
fragile. Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009) uses only ranks:

    rrf(d) = sum over rankings i that contain d of  w_i / (k + rank_i(d)),   rank counted from 1

k = 60 (the paper's value) damps the difference between the first few places, so one retriever's
top hit cannot outvote agreement lower down; a document missing from a ranking gets nothing from
it. Weights default to 1.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

RRF_K = 60

T = TypeVar("T", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[T]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[T, float]]:
    """(id, fused score) over all ids in any ranking, best first.

    An id repeated within one ranking counts at its first place only. Ties keep the order in which
    ids were first met (ranking by ranking, place by place), so the result is deterministic.
    """
    if k < 0:
        raise ValueError(f"k must not be negative, got {k}")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    scores: dict[T, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[T] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    # sorted() is stable: equal scores stay in first-met order.
    return sorted(scores.items(), key=lambda pair: -pair[1])


def normalise_scores(scored: Sequence[tuple[T, float]]) -> list[tuple[T, float]]:
    """Min-max scale scores onto 0..1 (for display or a threshold); all-equal scores become 1.0."""
    if not scored:
        return []
    values = [score for _, score in scored]
    low, high = min(values), max(values)
    if high == low:
        return [(item, 1.0) for item, _ in scored]
    span = high - low
    return [(item, (score - low) / span) for item, score in scored]
