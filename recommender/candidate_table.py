"""Ranking a request's candidates as arrays over the catalog's columns, and turning only the shortlist
into objects.

`recommender.ranking.score_candidates` states the rules (features, weights, the language fallback,
what is left out) on one `Candidate` object each; a path request at 100,000 units has several hundred
candidates, and building and scoring an object each was a large part of its time. `rank_table` does
the same over numpy arrays: the same features, the same filters, the same order, with the unit's
facts read from `CatalogColumns` by row. `tests/recommender/test_candidate_table.py` checks that it
gives what `score_candidates` gives on the same input. `shortlist` then hands `ranking.diversify`
only the units it could pick (the best POOL_PER_PICK x k per gap) as `ScoredCandidate`s, which is
what the path builder reads.

Pure: numpy and stdlib.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from recommender.catalog_columns import NO_CODE, CatalogColumns
from recommender.gaps import Gap
from recommender.ranking import (
    FALLBACK_LANGUAGE_SCORE,
    FEATURES,
    FORMAT_FLOOR,
    FORMAT_STEP,
    FRESHNESS_HALF_LIFE_DAYS,
    GOOD_MATCH,
    LANGUAGE_DECAY,
    LEVEL_FIT_BY_DISTANCE,
    LEVEL_ORDER,
    MAX_RATING,
    NO_FORMAT_PREFERENCE_SCORE,
    OTHER_FORMAT_SCORE,
    POOL_PER_PICK,
    UNKNOWN_FRESHNESS_SCORE,
    UNKNOWN_LEVEL_FIT,
    UNKNOWN_RATING_SCORE,
    Candidate,
    Learner,
    ScoredCandidate,
    mmr_order,
    reasons_of,
    resolve_weights,
    title_similarity,
    wanted_band,
)
from recommender.tagging import language_code

_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class CandidateTable:
    """One entry per (unit, gap): the unit's row in the columns, the gap's skill, how relevant the
    unit is to it (0..1), and why it is thought to teach it (evidence kind and detail)."""

    rows: np.ndarray
    skills: np.ndarray
    relevance: np.ndarray
    evidence: Sequence[str]
    detail: Sequence[str]

    @property
    def size(self) -> int:
        return int(self.rows.shape[0])


@dataclass(frozen=True)
class RankedTable:
    """The usable entries of a CandidateTable, best first: `entries` index the table; `features` has
    one column per name of `ranking.FEATURES`; `score` is rounded like `score_candidates`' score."""

    table: CandidateTable
    entries: np.ndarray
    features: np.ndarray
    score: np.ndarray
    excluded_by_language: frozenset[int]
    done_in_language: frozenset[int]


@dataclass(frozen=True)
class _RowFacts:
    """Per entry of the table: the unit's facts the rules read, from the columns."""

    language: np.ndarray  # index into `codes`
    codes: tuple[str, ...]  # language codes ("nl", "en") of the columns' languages
    level: np.ndarray  # index in LEVEL_ORDER, -1 unknown or mixed
    item: np.ndarray
    unit: np.ndarray


def _facts(table: CandidateTable, columns: CatalogColumns) -> _RowFacts:
    codes = tuple(language_code(name) for name in columns.languages)
    level_index = np.array(
        [
            LEVEL_ORDER.index(t) if (t := name.strip().lower()) in LEVEL_ORDER else -1
            for name in columns.levels
        ]
        + [-1],
        dtype=np.int64,
    )
    level_codes = columns.level[table.rows].astype(np.int64)
    return _RowFacts(
        language=columns.language[table.rows].astype(np.int64),
        codes=codes,
        level=level_index[np.where(level_codes == NO_CODE, len(columns.levels), level_codes)],
        item=columns.item_id[table.rows],
        unit=columns.unit_id[table.rows],
    )


def _in(codes: tuple[str, ...], wanted: Sequence[str]) -> np.ndarray:
    """Per language of the columns: is its code among `wanted`."""
    return np.array([code in wanted for code in codes], dtype=np.bool_)


def _per_skill(skills: np.ndarray, value: Mapping[int, float]) -> np.ndarray:
    return np.array([value.get(int(s), 0.0) for s in skills.tolist()], dtype=np.float64)


def rank_table(
    table: CandidateTable,
    columns: CatalogColumns,
    gaps: Mapping[int, Gap],
    learner: Learner,
    now: datetime,
    weights: Mapping[str, float] | None = None,
    model: Callable[[np.ndarray], np.ndarray] | None = None,
) -> RankedTable:
    """`ranking.score_candidates` over arrays (see there for the rules), with the language facts the
    path builder needs (`skills_excluded_by_language`, `skills_done_in_language`) from the same masks.
    `model`, when given, scores the feature matrix instead of the rules' weights (a learned ranker)."""
    facts = _facts(table, columns)
    open_gaps = {skill: gap for skill, gap in gaps.items() if gap.gap > 0}
    preferred = [language_code(x) for x in learner.languages]
    in_preferred = _in(facts.codes, preferred)[facts.language] if table.size else np.zeros(0, bool)
    in_fallback = (
        _in(facts.codes, [language_code(x) for x in learner.fallback_languages])[facts.language]
        if table.size
        else np.zeros(0, bool)
    )
    is_open = np.isin(table.skills, np.array(sorted(open_gaps), dtype=np.int64))
    blocked = np.array(sorted(learner.completed | learner.dismissed), dtype=np.int64)
    done_unit = np.isin(facts.unit, np.array(sorted(learner.completed_units), dtype=np.int64))
    usable = is_open & ~np.isin(facts.item, blocked) & ~done_unit
    band = _per_skill(table.skills, {s: wanted_band(g.current, g.required) for s, g in open_gaps.items()})
    not_below = (facts.level < 0) | (facts.level >= band)
    good_preferred = in_preferred & (table.relevance >= GOOD_MATCH) & not_below & is_open

    usable_skills = set(np.unique(table.skills[usable]).tolist())
    with_preferred = set(np.unique(table.skills[usable & good_preferred]).tolist())
    falls_back = np.isin(table.skills, np.array(sorted(usable_skills - with_preferred), dtype=np.int64))
    allowed = in_preferred | (falls_back & in_fallback)
    kept = usable & allowed
    excluded = frozenset(usable_skills - set(np.unique(table.skills[kept]).tolist()))
    completed = np.isin(facts.item, np.array(sorted(learner.completed), dtype=np.int64)) | done_unit
    done_preferred = completed & in_preferred & (table.relevance >= GOOD_MATCH) & is_open  # any level
    done = frozenset(np.unique(table.skills[done_preferred]).tolist())

    entries = np.flatnonzero(kept)
    features = _features(table, columns, facts, entries, open_gaps, learner, preferred, now)
    if model is None:
        resolved = resolve_weights(weights)
        vector = np.array([resolved[name] for name in FEATURES], dtype=np.float64)
        raw = features @ vector / math.fsum(resolved.values())
    else:
        raw = np.asarray(model(features), dtype=np.float64)
        raw = np.clip(np.nan_to_num(raw, nan=0.0, posinf=0.0, neginf=0.0), 0.0, 1.0)
    score = np.round(raw, 6)
    relevance = features[:, 0]
    order = np.lexsort((table.skills[entries], facts.unit[entries], -relevance, -score))
    return RankedTable(
        table=table,
        entries=entries[order],
        features=features[order],
        score=score[order],
        excluded_by_language=excluded,
        done_in_language=done,
    )


def _features(
    table: CandidateTable,
    columns: CatalogColumns,
    facts: _RowFacts,
    entries: np.ndarray,
    gaps: Mapping[int, Gap],
    learner: Learner,
    preferred: Sequence[str],
    now: datetime,
) -> np.ndarray:
    """The seven features of `ranking.FEATURES`, one row per entry, as `score_candidates` sets them."""
    rows = table.rows[entries]
    skills = table.skills[entries]
    relevance = np.clip(np.nan_to_num(table.relevance[entries], nan=0.0, posinf=0.0, neginf=0.0), 0.0, 1.0)

    level = facts.level[entries]
    band = _per_skill(skills, {s: wanted_band(g.current, g.required) for s, g in gaps.items()}).astype(
        np.int64
    )
    fit_of = np.array([LEVEL_FIT_BY_DISTANCE[d] for d in range(-2, 3)], dtype=np.float64)
    level_fit = np.where(level < 0, UNKNOWN_LEVEL_FIT, fit_of[np.clip(level - band, -2, 2) + 2])

    top = max((g.priority for g in gaps.values()), default=0.0)
    priority = (
        _per_skill(skills, {s: g.priority / top for s, g in gaps.items()})
        if top > 0
        else np.zeros(len(entries))
    )

    by_code = np.array(
        [
            LANGUAGE_DECAY ** preferred.index(c) if c in preferred else FALLBACK_LANGUAGE_SCORE
            for c in facts.codes
        ]
        + [0.0],
        dtype=np.float64,
    )
    language = by_code[facts.language[entries]]

    rating = columns.rating[rows].astype(np.float64)
    quality = np.where(np.isfinite(rating), np.clip(rating / MAX_RATING, 0.0, 1.0), UNKNOWN_RATING_SCORE)

    if learner.formats:
        wanted = [x.strip().lower() for x in learner.formats]
        per_format = [
            max(FORMAT_FLOOR, 1.0 - FORMAT_STEP * wanted.index(t))
            if (t := f.strip().lower()) in wanted
            else OTHER_FORMAT_SCORE
            for f in columns.formats
        ]
        form = np.array(per_format + [0.0], dtype=np.float64)[columns.format[rows].astype(np.int64)]
    else:
        form = np.full(len(entries), NO_FORMAT_PREFERENCE_SCORE)

    age = _age_days(columns.updated[rows], now)
    freshness = np.where(
        np.isnan(age), UNKNOWN_FRESHNESS_SCORE, np.power(0.5, age / FRESHNESS_HALF_LIFE_DAYS)
    )
    return np.column_stack([relevance, level_fit, priority, language, quality, form, freshness])


def _age_days(updated: np.ndarray, now: datetime) -> np.ndarray:
    """Days since each source date (NaN unknown); a naive `now` is read as UTC, as the columns are."""
    moment = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return np.maximum(0.0, (moment.timestamp() - updated) / _SECONDS_PER_DAY)


def scored_candidate(
    ranked: RankedTable,
    place: int,
    columns: CatalogColumns,
    learner: Learner,
    now: datetime,
) -> ScoredCandidate:
    """The entry at `place` of the ranked table as the object the path builder reads, with the reasons
    `score_candidates` gives it."""
    table = ranked.table
    entry = int(ranked.entries[place])
    row = int(table.rows[entry])
    language, format_, level, rating, updated_at = columns.described(row)  # no string it does not need
    features = dict(zip(FEATURES, ranked.features[place].tolist(), strict=True))
    candidate = Candidate(
        unit_id=int(columns.unit_id[row]),
        item_id=int(columns.item_id[row]),
        skill_id=int(table.skills[entry]),
        relevance=float(table.relevance[entry]),
        minutes=max(1, int(columns.minutes[row])),
        language=language,
        format=format_,
        level=level,
        rating=rating,
        updated_at=updated_at,
        position=int(columns.position[row]),
        title=columns.title.text(row),
        evidence=table.evidence[entry],
        evidence_detail=table.detail[entry],
        minutes_known=bool(columns.minutes_known[row]),
        in_item=bool(columns.in_item[row]),
    )
    score = float(ranked.score[place])
    return ScoredCandidate(candidate, score, reasons_of(candidate, features, learner, now), features)


def shortlist(
    ranked: RankedTable,
    skill_ids: Sequence[int],
    k: int,
    columns: CatalogColumns,
    learner: Learner,
    now: datetime,
) -> list[ScoredCandidate]:
    """Per gap, in the order given, the k units `ranking.diversify` would pick among its ranked
    entries (the same pool, similarity and MMR, on arrays); only those become objects."""
    picked: list[ScoredCandidate] = []
    skills = ranked.table.skills[ranked.entries]
    rows = ranked.table.rows[ranked.entries]
    for skill_id in skill_ids:
        places = np.flatnonzero(skills == skill_id)
        if places.size == 0:
            continue
        # one entry per unit for one gap: the pool is its best POOL_PER_PICK x k, by score then unit id
        pool = places[np.lexsort((rows[places], -ranked.score[places]))][: POOL_PER_PICK * k]
        pool_rows = rows[pool].tolist()
        items = columns.item_id[pool_rows]
        similarity = title_similarity(columns.title_incidence(pool_rows), items)
        chosen = mmr_order(ranked.score[pool], items, similarity, k, positions=columns.position[pool_rows])
        picked += [scored_candidate(ranked, int(pool[i]), columns, learner, now) for i in chosen]
    return picked
