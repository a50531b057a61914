"""Fusing rankings from different retrievers (dense FAISS, lexical BM25) into one.

Two fusions live here.

Convex combination of normalised scores (`convex_fusion`, what Leerpad uses): each retriever's
scores over its own top list are min-max scaled to 0..1, then mixed as

    cc(d) = w * dense(d) + (1 - w) * lexical(d),   a list that lacks d contributes 0

Cosine similarities and BM25 scores live on unrelated scales (BM25 grows with query length and
corpus statistics), which the per-query scaling removes; unlike rank fusion it keeps how far apart
two hits are, so a lexical list of equally weak partial matches cannot push a clear dense hit
down. Bruch, Gai and Ingber (ACM TOIS 2023, "An analysis of fusion functions for hybrid
retrieval") found it at least as good as rank fusion once the weight is set; DENSE_WEIGHT = 0.7
was chosen on the two evaluations in recommender/evaluation.py (English Coursera tags and Dutch
ESCO job titles), see tests/model/test_retrieval_quality.py for the figures.

Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009) uses only ranks:

    rrf(d) = sum over rankings i that contain d of  w_i / (k + rank_i(d)),   rank counted from 1

k = 60 (the paper's value) damps the difference between the first few places, so one retriever's
top hit cannot outvote agreement lower down; a document missing from a ranking gets nothing from
it. Weights default to 1.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

RRF_K = 60
DENSE_WEIGHT = 0.7

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


def convex_fusion(
    dense: Sequence[tuple[T, float]],
    lexical: Sequence[tuple[T, float]],
    dense_weight: float = DENSE_WEIGHT,
) -> list[tuple[T, float]]:
    """(id, fused score 0..1) over the ids of both scored lists, best first.

    Each list is (id, raw score) as its retriever returned it; its scores are min-max scaled on
    their own (see `normalise_scores`). An id repeated within one list counts with its best score.
    Ties keep first-met order (dense list first), so the result is deterministic.
    """
    if not 0.0 <= dense_weight <= 1.0:
        raise ValueError(f"dense_weight must lie in 0..1, got {dense_weight}")
    fused: dict[T, float] = {}
    for scored, weight in ((dense, dense_weight), (lexical, 1.0 - dense_weight)):
        best: dict[T, float] = {}
        for item, score in scored:
            if item not in best or score > best[item]:
                best[item] = score
        for item, share in normalise_scores(list(best.items())):
            fused[item] = fused.get(item, 0.0) + weight * share
    return sorted(fused.items(), key=lambda pair: -pair[1])


# Absolute fusion (`absolute_fusion`, what /v1/search uses for free-text questions).
# The defaults are all-MiniLM-L6-v2's scale for a short question against a unit (below the floor is
# noise); service/paths/search.py passes the configured encoder's (recommender.embedding.SEARCH_CALIBRATIONS).
ABSOLUTE_DENSE_FLOOR = 0.25
ABSOLUTE_DENSE_FULL = 0.70
ABSOLUTE_LEXICAL_WEIGHT = 0.5


def absolute_fusion(
    dense: Sequence[tuple[T, float]],
    lexical: Sequence[tuple[T, float]],
    floor: float = ABSOLUTE_DENSE_FLOOR,
    full: float = ABSOLUTE_DENSE_FULL,
    lexical_weight: float = ABSOLUTE_LEXICAL_WEIGHT,
) -> list[tuple[T, float]]:
    """(id, score 0..1), best first: the cosine mapped to 0..1 on a fixed scale (floor -> 0, full -> 1),
    so a weak best dense hit stays weak (min-max scaling would make it 1), mixed with BM25 scaled by
    the best lexical hit, so the text that holds a question's words best gets the whole lexical weight.
    Ties go to the id met first."""
    if not 0.0 <= lexical_weight <= 1.0:
        raise ValueError(f"lexical_weight must be from 0 to 1, got {lexical_weight!r}")
    if full <= floor:
        raise ValueError(f"full ({full}) must be above floor ({floor})")
    scores: dict[T, float] = {}
    for item, cosine in dense:
        if item not in scores:
            scores[item] = (1.0 - lexical_weight) * min(1.0, max(0.0, (cosine - floor) / (full - floor)))
    best = max((score for _, score in lexical), default=0.0)
    seen: set[T] = set()
    for item, score in lexical:
        if item in seen or best <= 0:
            continue
        seen.add(item)
        scores[item] = scores.get(item, 0.0) + lexical_weight * score / best
    order = {item: index for index, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda pair: (-pair[1], order[pair[0]]))
