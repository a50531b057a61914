"""Just-in-time search: the micro-units that best answer a free-text question, by the same hybrid
retrieval as paths (dense search on the FAISS snapshot and BM25 with Dutch and English stemming,
fused by `recommender.fusion.convex_fusion`) and the same language rule (the learner's languages
first; another language only when none of theirs answers, and then the hit says so).

Why hybrid: the bundled encoder is English, so a Dutch question that names a page's words
("datalek melden") needs the lexical half; an English paraphrase needs the dense half.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import repositories as repo
from models.tables import MicroUnit
from recommender.tagging import language_code
from service.runtime import Runtime

DENSE_K = 60
LEXICAL_K = 60
# Dense cosine (all-MiniLM-L6-v2, a short question against a unit) to 0..1: below the floor is noise.
QUERY_DENSE_FLOOR, QUERY_DENSE_FULL = 0.25, 0.70
LEXICAL_WEIGHT = 0.5  # BM25 (scaled by the best hit) and dense weigh the same: a named word counts
UNITS_PER_ITEM = 2  # a search answer should offer several items, not five parts of one page


@dataclass(frozen=True)
class Found:
    unit: MicroUnit
    score: float  # fused, 0..1
    language_fallback: bool


def fuse(dense: Sequence[tuple[int, float]], words: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """(unit id, score 0..1), best first: the dense cosine mapped to 0..1 on an absolute scale (a weak
    best hit stays weak, unlike min-max scaling) mixed with BM25 scaled by the best lexical hit (so
    the unit that holds the question's words best gets the whole lexical weight)."""
    span = QUERY_DENSE_FULL - QUERY_DENSE_FLOOR
    scores: dict[int, float] = {
        unit: (1 - LEXICAL_WEIGHT) * min(1.0, max(0.0, (cosine - QUERY_DENSE_FLOOR) / span))
        for unit, cosine in dense
    }
    best = max((score for _, score in words), default=0.0)
    for unit, score in words:
        if best > 0:
            scores[unit] = scores.get(unit, 0.0) + LEXICAL_WEIGHT * score / best
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def search_units(
    runtime: Runtime,
    session: Session,
    tenant_slug: str,
    tenant_id: int,
    query: str,
    limit: int,
    languages: Sequence[str] = (),
    only_language: str | None = None,
    max_minutes: int | None = None,
) -> list[Found]:
    """The best units for `query`, at most UNITS_PER_ITEM per item. With `languages`, units in them
    come first and others only fill what they leave empty (marked `language_fallback`);
    `only_language` keeps that language alone."""
    snapshot = runtime.snapshot(tenant_slug)
    dense: list[tuple[int, float]] = []
    if snapshot is not None:
        vector = runtime.encoder().encode([query])
        dense = [(hit.unit_id, hit.score) for hit in snapshot.search(vector, DENSE_K)[0]]
    lexical = runtime.lexical(tenant_slug)
    words = lexical.search(query, LEXICAL_K) if lexical is not None else []
    fused = fuse(dense, words)
    units = repo.units_with_items(session, tenant_id, [unit_id for unit_id, _ in fused])
    wanted = {language_code(x) or x for x in languages}
    own: list[Found] = []
    other: list[Found] = []
    per_item: dict[int, int] = {}
    for unit_id, score in fused:
        unit = units.get(unit_id)
        if unit is None:
            continue
        item_language = language_code(unit.item.language) or unit.item.language
        if only_language and item_language != (language_code(only_language) or only_language):
            continue
        if max_minutes and unit.minutes > max_minutes:
            continue
        if per_item.get(unit.item_id, 0) >= UNITS_PER_ITEM:
            continue
        per_item[unit.item_id] = per_item.get(unit.item_id, 0) + 1
        fallback = bool(wanted) and item_language not in wanted
        (other if fallback else own).append(Found(unit, score, fallback))
    return (own + other)[:limit]
