"""Ranking the micro-units retrieved for an employee's gaps, and keeping the shortlist varied.

Pure (numpy and stdlib), so the API, the evaluation notebooks and the retraining job score the
same way. Input is plain dataclasses: the service turns database rows into `Candidate`s.

Score. Every candidate (one unit retrieved for one gap) gets seven features, each in 0..1, and

    score = sum(WEIGHTS[f] * feature[f]) / sum(WEIGHTS)

a weighted mean, so the score stays in 0..1 whatever weights are passed. Default weights:

    relevance  0.30  how well the unit matches the gap (fused retrieval score or tag confidence)
    level      0.20  does the unit's level fit the learner's next step (`level_fit`)
    priority   0.15  the gap's priority divided by the largest priority among the gaps
    language   0.15  1.0 the first preferred language, x0.7 for each later one, 0.3 a fallback
    quality    0.10  rating / 5; unknown 0.6 (a little above average: most content is fine)
    format     0.05  1.0 the first preferred format, -0.1 for each later one (at least 0.6),
                     0.3 any other format, 0.5 for every unit when the learner prefers none
    freshness  0.05  0.5 ** (age in days / 730): halves every two years; unknown 0.5

Relevance and level fit carry half the weight: a unit that does not teach the skill, or that the
learner cannot follow, is useless however good it is. Language weighs as much as priority because
a Dutch speaker should see the Dutch unit first when an English one is only slightly better.

Languages. `Learner.languages` are the languages the learner reads, in order of preference. A
unit in another language is excluded, except that a skill with no good unit in those languages
(none with relevance at least GOOD_MATCH) falls back to units in `Learner.fallback_languages`
(English by default: most Dutch employees read it, while an English speaker is not sent Dutch).
Why "good" and not "any": a Dutch page that only shares a word with the skill must not shut out
the English course that teaches it; the language feature still puts a comparable Dutch unit first. `skills_excluded_by_language` tells the path
builder which gaps lost all their units this way, so it can say "no_language".

Completed and dismissed items (and completed single units) are removed before anything else, so a
dismissed item never comes back and a completed one is not planned twice; the language fallback is
decided after that, so a skill whose only Dutch unit was dismissed falls back to English.

Diversity: `diversify` is maximal marginal relevance (Carbonell & Goldstein 1998) over units,
with the cosine of unit vectors or, without vectors, a title and same-item similarity, plus two hard
limits so that a shortlist never holds five copies of one thing.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from recommender.gaps import Gap
from recommender.tagging import language_code

FEATURES: tuple[str, ...] = ("relevance", "level", "priority", "language", "quality", "format", "freshness")
WEIGHTS: dict[str, float] = {
    "relevance": 0.30,
    "level": 0.20,
    "priority": 0.15,
    "language": 0.15,
    "quality": 0.10,
    "format": 0.05,
    "freshness": 0.05,
}

LEVEL_ORDER: tuple[str, ...] = ("beginner", "intermediate", "advanced")
UNKNOWN_LEVEL_FIT = 0.6
# Fit by how many bands the unit is above (+) or below (-) the band the learner needs next. Too hard
# costs more than too easy: an easy unit still repeats something useful, a hard one loses the learner.
LEVEL_FIT_BY_DISTANCE: dict[int, float] = {-2: 0.2, -1: 0.5, 0: 1.0, 1: 0.4, 2: 0.1}

LANGUAGE_DECAY = 0.7  # each later preferred language scores 0.7 times the one before
FALLBACK_LANGUAGE_SCORE = 0.3
FORMAT_STEP = 0.1
FORMAT_FLOOR = 0.6
OTHER_FORMAT_SCORE = 0.3
NO_FORMAT_PREFERENCE_SCORE = 0.5
UNKNOWN_RATING_SCORE = 0.6
MAX_RATING = 5.0
FRESHNESS_HALF_LIFE_DAYS = 730.0
UNKNOWN_FRESHNESS_SCORE = 0.5

# Thresholds for reason codes: only say what is clearly true.
HIGH_RATING = 4.3
FRESH_DAYS = 365.0
STRONG_MATCH = 0.75
GOOD_MATCH = 0.6  # a unit in the learner's own language this relevant keeps the fallback language out
TOP_GAP = 0.75

_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Candidate:
    """One micro-unit that could help close one gap (a unit retrieved for two gaps is two candidates)."""

    unit_id: int
    item_id: int
    skill_id: int
    relevance: float
    minutes: int
    language: str
    format: str
    level: str | None
    rating: float | None
    updated_at: datetime | None
    position: int
    title: str
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)
    # Why the unit is thought to teach the skill (see recommender.explanations.EVIDENCE_KINDS) and
    # what backs it: the matched label, or the cosine similarity as text.
    evidence: str = "similarity"
    evidence_detail: str = ""
    minutes_known: bool = True  # False: the source gave no duration (a course page's reading time)
    in_item: bool = False  # one of several units of its item (a module of a course, a section of a page)


@dataclass(frozen=True)
class Learner:
    """What the ranking needs to know about the person: languages read, formats liked, history
    (`completed` and `dismissed` are item ids, `completed_units` unit ids of items not finished)."""

    languages: tuple[str, ...]
    formats: tuple[str, ...] = ()
    completed: frozenset[int] = frozenset()
    dismissed: frozenset[int] = frozenset()
    completed_units: frozenset[int] = frozenset()
    fallback_languages: tuple[str, ...] = ("en",)


@dataclass(frozen=True)
class ScoredCandidate:
    candidate: Candidate
    score: float
    reasons: tuple[str, ...]
    features: dict[str, float]


def _level_index(level: str | None) -> int | None:
    if level is None:
        return None
    text = level.strip().lower()
    return LEVEL_ORDER.index(text) if text in LEVEL_ORDER else None


def level_fit(item_level: str | None, current: float, target: int) -> float:
    """How well a unit's level suits the learner's next step from `current` towards `target`.

    The next step starts at s = floor(current), kept below the target; beginner content suits a
    step from level 0 or 1, intermediate from 2 or 3, advanced from 4 (docs/skills-model.md: level 2
    writes simple queries alone, level 4 handles complex cases). 1.0 on the matching band,
    `LEVEL_FIT_BY_DISTANCE` off it, `UNKNOWN_LEVEL_FIT` when the unit's level is unknown or mixed.
    """
    index = _level_index(item_level)
    if index is None:
        return UNKNOWN_LEVEL_FIT
    return LEVEL_FIT_BY_DISTANCE[index - wanted_band(current, target)]


def wanted_band(current: float, target: int) -> int:
    """The index in LEVEL_ORDER of the content a learner at `current` needs next towards `target`."""
    start = math.floor(current + 1e-9)
    start = min(start, max(int(target) - 1, 0))
    start = min(max(start, 0), 4)
    return 0 if start < 2 else 1 if start < 4 else 2


def below_band(item_level: str | None, current: float, target: int) -> bool:
    """True for content of a stated level under the learner's next band: "Python installeren" for
    someone who already writes Python at level 3. Unknown or mixed levels are never below."""
    index = _level_index(item_level)
    return index is not None and index < wanted_band(current, target)


def above_role(item_level: str | None, target: int) -> bool:
    """True for content of a stated level past the band of someone at the role's own level: an advanced
    SQL course for a role that asks SQL at level 3 (advanced content is for level 4 and up). A path may
    climb from the basics to advanced content, but never past what the role asks. Unknown or mixed
    levels never are."""
    index = _level_index(item_level)
    # the band someone who has reached the role's level would take next: past it is past the role
    return index is not None and index > wanted_band(target, target + 1)


def _language_score(language: str, learner: Learner) -> float:
    preferred = [language_code(x) for x in learner.languages]
    if language in preferred:
        return LANGUAGE_DECAY ** preferred.index(language)
    return FALLBACK_LANGUAGE_SCORE


def _format_score(fmt: str, learner: Learner) -> float:
    if not learner.formats:
        return NO_FORMAT_PREFERENCE_SCORE
    preferred = [x.strip().lower() for x in learner.formats]
    text = fmt.strip().lower()
    if text in preferred:
        return max(FORMAT_FLOOR, 1.0 - FORMAT_STEP * preferred.index(text))
    return OTHER_FORMAT_SCORE


def _quality_score(rating: float | None) -> float:
    if rating is None or not math.isfinite(rating):
        return UNKNOWN_RATING_SCORE
    return min(1.0, max(0.0, rating / MAX_RATING))


def _age_days(updated_at: datetime | None, now: datetime) -> float | None:
    if updated_at is None:
        return None
    if (updated_at.tzinfo is None) != (now.tzinfo is None):
        # one naive, one aware: compare wall-clock values rather than fail a whole path request
        updated_at = updated_at.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - updated_at).total_seconds() / _SECONDS_PER_DAY)


def _freshness_score(age_days: float | None) -> float:
    if age_days is None:
        return UNKNOWN_FRESHNESS_SCORE
    return math.pow(0.5, age_days / FRESHNESS_HALF_LIFE_DAYS)


def resolve_weights(weights: Mapping[str, float] | None) -> dict[str, float]:
    """Defaults overlaid with the caller's; unknown names and negative weights are mistakes."""
    resolved = dict(WEIGHTS)
    for name, value in (weights or {}).items():
        if name not in WEIGHTS:
            raise ValueError(f"unknown ranking feature {name!r}; expected one of {', '.join(FEATURES)}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"weight of {name!r} must be a non-negative number, got {value!r}")
        resolved[name] = float(value)
    if sum(resolved.values()) <= 0:
        raise ValueError("at least one ranking weight must be positive")
    return resolved


def _open_gaps(gaps: Mapping[int, Gap]) -> dict[int, Gap]:
    return {skill: gap for skill, gap in gaps.items() if gap.gap > 0}


def _not_done(candidates: Sequence[Candidate], learner: Learner, gaps: Mapping[int, Gap]) -> list[Candidate]:
    """Candidates for an open gap whose item the learner has neither completed nor dismissed, and
    whose unit the learner has not completed."""
    blocked = learner.completed | learner.dismissed
    return [
        c
        for c in candidates
        if c.item_id not in blocked and c.unit_id not in learner.completed_units and c.skill_id in gaps
    ]


def _allowed_languages(
    candidates: Sequence[Candidate], learner: Learner, gaps: Mapping[int, Gap]
) -> dict[int, frozenset[str]]:
    """Per skill, the languages its units may be in: the learner's own when a good unit (relevance at
    least GOOD_MATCH, not below the learner's level band) has one of them, otherwise the fallback
    languages too: Dutch beginner content does not keep out English content at the learner's level."""
    preferred = frozenset(language_code(x) for x in learner.languages)
    fallback = frozenset(language_code(x) for x in learner.fallback_languages)
    has_preferred = {c.skill_id for c in candidates if _good_in(c, preferred, gaps)}
    skills = {c.skill_id for c in candidates}
    return {skill: preferred if skill in has_preferred else preferred | fallback for skill in skills}


def _good_in(candidate: Candidate, languages: frozenset[str], gaps: Mapping[int, Gap]) -> bool:
    """A good unit (relevance at least GOOD_MATCH, not below the learner's level band) in one of
    `languages`: what keeps the fallback languages out of a skill's path."""
    gap = gaps[candidate.skill_id]
    return (
        language_code(candidate.language) in languages
        and candidate.relevance >= GOOD_MATCH
        and not below_band(candidate.level, gap.current, gap.required)
    )


def skills_done_in_language(
    candidates: Sequence[Candidate], gaps: Mapping[int, Gap], learner: Learner
) -> frozenset[int]:
    """Open gaps with a relevant unit (GOOD_MATCH) in the learner's own languages that the learner
    has completed, at any level: one they have outgrown since is content they did, not content
    missing.

    A step in a fallback language for such a skill goes on from what the learner did; its why must
    not say that nothing exists in their language."""
    open_gaps = _open_gaps(gaps)
    preferred = frozenset(language_code(x) for x in learner.languages)
    return frozenset(
        c.skill_id
        for c in candidates
        if c.skill_id in open_gaps
        and (c.item_id in learner.completed or c.unit_id in learner.completed_units)
        and language_code(c.language) in preferred
        and c.relevance >= GOOD_MATCH
    )


def skills_excluded_by_language(
    candidates: Sequence[Candidate], gaps: Mapping[int, Gap], learner: Learner
) -> frozenset[int]:
    """Skills that had units the learner may still take, all in languages the learner does not read.

    The path builder reports these gaps as "no_language" rather than "no_content".
    """
    open_gaps = _open_gaps(gaps)
    usable = _not_done(candidates, learner, open_gaps)
    allowed = _allowed_languages(usable, learner, open_gaps)
    kept = {c.skill_id for c in usable if language_code(c.language) in allowed[c.skill_id]}
    return frozenset(allowed) - kept


def score_candidates(
    candidates: Sequence[Candidate],
    gaps: Mapping[int, Gap],
    learner: Learner,
    now: datetime,
    weights: Mapping[str, float] | None = None,
) -> list[ScoredCandidate]:
    """Score every usable candidate, best first.

    Dropped: completed and dismissed items, completed units, candidates for a skill with no open
    gap in `gaps`, and units in a language the learner does not read (see the module docstring for
    the fallback).
    The same unit retrieved twice for one gap is kept once, with its higher relevance.
    Ties are broken by relevance, then by ids, so the order is the same for the same input.
    """
    resolved = resolve_weights(weights)
    total_weight = math.fsum(resolved.values())
    open_gaps = _open_gaps(gaps)
    usable = _not_done(candidates, learner, open_gaps)
    allowed = _allowed_languages(usable, learner, open_gaps)
    top_priority = max((g.priority for g in open_gaps.values()), default=0.0)

    best: dict[tuple[int, int], Candidate] = {}
    for candidate in usable:
        if language_code(candidate.language) not in allowed[candidate.skill_id]:
            continue
        key = (candidate.unit_id, candidate.skill_id)
        if key not in best or candidate.relevance > best[key].relevance:
            best[key] = candidate

    scored: list[ScoredCandidate] = []
    for candidate in best.values():
        gap = open_gaps[candidate.skill_id]
        language = language_code(candidate.language)
        age = _age_days(candidate.updated_at, now)
        relevance = candidate.relevance if math.isfinite(candidate.relevance) else 0.0
        features = {
            "relevance": min(1.0, max(0.0, relevance)),
            "level": level_fit(candidate.level, gap.current, gap.required),
            "priority": gap.priority / top_priority if top_priority > 0 else 0.0,
            "language": _language_score(language, learner),
            "quality": _quality_score(candidate.rating),
            "format": _format_score(candidate.format, learner),
            "freshness": _freshness_score(age),
        }
        score = math.fsum(resolved[name] * features[name] for name in FEATURES) / total_weight
        reasons = reasons_of(candidate, features, learner, now)
        scored.append(
            ScoredCandidate(candidate=candidate, score=round(score, 6), reasons=reasons, features=features)
        )
    scored.sort(key=rank_order)
    return scored


def reasons_of(
    candidate: Candidate, features: Mapping[str, float], learner: Learner, now: datetime
) -> tuple[str, ...]:
    """The reason codes of a scored candidate: only what is clearly true (see the thresholds above)."""
    language = language_code(candidate.language)
    preferred = [language_code(x) for x in learner.languages]
    reasons = [f"language:{language}" if language in preferred else f"language_fallback:{language}"]
    if features["relevance"] >= STRONG_MATCH:
        reasons.append("strong_match")
    if features["level"] == 1.0:
        reasons.append("level_fit")
    if features["priority"] >= TOP_GAP:
        reasons.append("top_gap")
    if learner.formats and features["format"] >= FORMAT_FLOOR:
        reasons.append(f"format:{candidate.format.strip().lower()}")
    if candidate.rating is not None and candidate.rating >= HIGH_RATING:
        reasons.append("high_rating")
    age = _age_days(candidate.updated_at, now)
    if age is not None and age <= FRESH_DAYS:
        reasons.append("fresh")
    return tuple(reasons)


def rank_order(scored: ScoredCandidate) -> tuple[float, float, int, int]:
    """Best first: by score, ties by relevance, then by ids, so the same input gives the same order."""
    return (-scored.score, -scored.features["relevance"], scored.candidate.unit_id, scored.candidate.skill_id)


# --------------------------------------------------------------------------------------------------
# Diversity
# --------------------------------------------------------------------------------------------------

SAME_ITEM_SIMILARITY = 0.5  # without vectors: parts of one item are related, not copies
DUPLICATE_THRESHOLD = 0.95
POOL_PER_PICK = 6
_WORD = re.compile(r"\w+")


def _unit_vector(entries: Sequence[ScoredCandidate]) -> np.ndarray | None:
    for entry in entries:
        vector = entry.candidate.vector
        if vector is None:
            continue
        array = np.asarray(vector, dtype=np.float64).ravel()
        norm = float(np.linalg.norm(array))
        if array.size and math.isfinite(norm) and norm > 0:
            return array / norm
    return None


@functools.lru_cache(maxsize=65_536)
def title_words(title: str) -> frozenset[str]:
    """A title's words, case and accents left out: what two titles are compared by (remembered: the
    same titles come back in request after request)."""
    text = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return frozenset(_WORD.findall(text))


def similarity_matrix(
    titles: Sequence[str], items: Sequence[int], vectors: Sequence[np.ndarray | None] | None = None
) -> np.ndarray:
    """Pairwise similarity of units: the cosine of their unit vectors when both have one (clipped to
    0..1); otherwise the overlap of their title words (`title_similarity`)."""
    words = [title_words(t) for t in titles]
    vocabulary = {word: number for number, word in enumerate(sorted(set().union(*words)))}
    incidence = np.zeros((len(titles), len(vocabulary)), dtype=np.float64)
    for row, found in enumerate(words):
        incidence[row, [vocabulary[w] for w in found]] = 1.0
    similarity = title_similarity(incidence, items)
    if vectors is not None:
        present = [(i, v) for i, v in enumerate(vectors) if v is not None]
        if len(present) > 1 and len({v.shape for _, v in present}) == 1:
            with_vector = [i for i, _ in present]
            stacked = np.vstack([v for _, v in present])
            if stacked.ndim == 2:
                cosine = np.clip(stacked @ stacked.T, 0.0, 1.0)
                index = np.asarray(with_vector)
                similarity[np.ix_(index, index)] = cosine
    return similarity


def title_similarity(incidence: np.ndarray, items: Sequence[int] | np.ndarray) -> np.ndarray:
    """From a (unit, word) 0/1 matrix of title words: |a & b| / |a | b| for every pair (1.0 for two
    empty titles), at least SAME_ITEM_SIMILARITY for parts of one item. All pairs at once."""
    sizes = incidence.sum(axis=1)
    shared = incidence @ incidence.T
    union = sizes[:, None] + sizes[None, :] - shared
    with np.errstate(divide="ignore", invalid="ignore"):
        overlap = np.where(union > 0, shared / np.where(union > 0, union, 1.0), 1.0)
    item_array = np.asarray(items, dtype=np.int64)
    same_item = item_array[:, None] == item_array[None, :]
    return np.asarray(np.maximum(overlap, np.where(same_item, SAME_ITEM_SIMILARITY, 0.0)), dtype=np.float64)


def mmr_order(
    scores: Sequence[float] | np.ndarray,
    items: Sequence[int] | np.ndarray,
    similarity: np.ndarray,
    k: int,
    lambda_: float = 0.7,
    max_per_item: int = 3,
    duplicate_threshold: float = DUPLICATE_THRESHOLD,
    positions: Sequence[int] | np.ndarray | None = None,
) -> list[int]:
    """Up to k positions of a pool sorted best first, picked by maximal marginal relevance (see
    `diversify`): ties go to the earlier position; a unit at least `duplicate_threshold` similar to a
    picked one, or beyond `max_per_item` of its item, is never picked. With `positions` (each unit's
    place in its item), the units picked of one item at one score are its first ones at that score
    (`_first_modules`)."""
    count = len(scores)
    score = np.asarray(scores, dtype=np.float64)
    item_array = np.asarray(items, dtype=np.int64)
    closest = np.zeros(count)
    alive = np.ones(count, dtype=np.bool_)
    per_item: dict[int, int] = {}
    picked: list[int] = []
    while len(picked) < k:
        if picked:
            alive &= closest < duplicate_threshold
        full = [item for item, n in per_item.items() if n >= max_per_item]
        if full:
            alive &= ~np.isin(item_array, full)
        if not alive.any():
            break
        value = np.where(alive, lambda_ * score - (1.0 - lambda_) * closest, -np.inf)
        best = int(np.argmax(value))  # the first of equal values: the higher-scored unit
        alive[best] = False
        picked.append(best)
        per_item[int(item_array[best])] = per_item.get(int(item_array[best]), 0) + 1
        closest = np.maximum(closest, similarity[:, best])
    if positions is None:
        return picked
    return _first_modules(picked, score, item_array, np.asarray(positions, dtype=np.int64))


def _first_modules(
    picked: list[int], score: np.ndarray, items: np.ndarray, positions: np.ndarray
) -> list[int]:
    """MMR tells modules of one course with the same score apart only by their titles' words (a long
    title shares fewer words with the other picks), so it could start a course at its last module.
    Each pick is swapped for the earliest module of its item with the same score not picked yet: the
    author's order decides between modules that are equally good, never a better one."""
    chosen = set(picked)
    result = list(picked)
    for slot, index in enumerate(picked):
        same = np.flatnonzero((items == items[index]) & (score == score[index]))
        earlier = [int(i) for i in same if positions[i] < positions[index] and int(i) not in chosen]
        if earlier:
            first = min(earlier, key=lambda i: (positions[i], i))
            chosen.discard(index)
            chosen.add(first)
            result[slot] = first
    return result


def diversify(
    scored: Sequence[ScoredCandidate],
    k: int,
    lambda_: float = 0.7,
    max_per_item: int = 3,
    duplicate_threshold: float = DUPLICATE_THRESHOLD,
) -> list[ScoredCandidate]:
    """Pick up to `k` units by maximal marginal relevance: each pick maximises

        lambda_ * score - (1 - lambda_) * (highest similarity to a unit already picked)

    MMR alone still takes a near-copy when nothing else is left, so two hard limits hold too: a unit
    at least `duplicate_threshold` similar to a picked one is never picked (fewer than `k` rather
    than copies), and at most `max_per_item` units come from one item.

    `k` counts units, not entries: a unit retrieved for two gaps keeps both entries (next to each
    other, best first) so the path builder can credit it for both.
    """
    if not 0.0 <= lambda_ <= 1.0:
        raise ValueError(f"lambda_ must be from 0 to 1, got {lambda_!r}")
    if k <= 0 or max_per_item <= 0:
        return []
    by_unit: dict[int, list[ScoredCandidate]] = {}
    for entry in scored:
        by_unit.setdefault(entry.candidate.unit_id, []).append(entry)
    # Only the best units can be picked: MMR over the top POOL_PER_PICK * k is the same choice in
    # practice and keeps the pairwise similarities from growing with the catalog.
    pool = sorted(
        (sorted(entries, key=lambda s: (-s.score, s.candidate.skill_id)) for entries in by_unit.values()),
        key=lambda entries: (-entries[0].score, entries[0].candidate.unit_id),
    )[: POOL_PER_PICK * k]
    firsts = [entries[0].candidate for entries in pool]
    similarity = similarity_matrix(
        [c.title for c in firsts], [c.item_id for c in firsts], [_unit_vector(entries) for entries in pool]
    )
    chosen = mmr_order(
        [entries[0].score for entries in pool],
        [c.item_id for c in firsts],
        similarity,
        k,
        lambda_,
        max_per_item,
        duplicate_threshold,
        [c.position for c in firsts],
    )
    return [entry for index in chosen for entry in pool[index]]
