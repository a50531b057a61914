"""Retrieval for a path: the units dense search (the skill's stored vector in the FAISS snapshot) and
BM25 (its Dutch and English labels) find for each gap, fused, each turned into a relevance on an
absolute scale with the evidence a step's `why` quotes.

What retrieval finds for a skill depends on the skill (its labels and vector) and the snapshot, not
on the employee: every analyst's path asks the same eight skills. So the signals are kept per
snapshot version in a bounded LRU (service.paths.process_cache, one per runtime: per served process)
and a path request for a role already asked for does no search at all. A new snapshot has a new version, so nothing stale is used.

No text is encoded here (but an ad-hoc label's): every cosine threshold is a point on the encoder's
calibration (recommender.embedding.Calibration), so a model with another cosine scale keeps their
meaning.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from models import taxonomy_repository as tax
from recommender.catalog_columns import CatalogColumns
from recommender.embedding import Calibration, vectors_from_bytes
from recommender.explanations import LABEL, SIMILARITY, TEXT
from recommender.fusion import convex_fusion
from recommender.index import SearchHit
from recommender.lexical import LexicalIndex
from recommender.tagging import AGREEING_SHARE, as_mention
from service.core.runtime import Runtime
from service.paths.process_cache import process_cache

DENSE_K = 40
LEXICAL_K = 40
RETRIEVED_WEIGHT = 0.85  # a retrieved unit is a little less certain than one tagged with the skill
RETRIEVED_PER_GAP = 20
LEXICAL_MIN_COVERAGE = 0.5  # a BM25 hit must hold at least half of a skill label (idf-weighted)
LEXICAL_STRONG_SHARE = 0.5  # a BM25 score at least half the best hit's counts in full
CACHED_PROBES = 4096  # skills whose retrieval a process keeps: a few hundred per company in practice


@dataclass(frozen=True)
class Signal:
    """A unit retrieval found for a gap: its row in the catalog columns, its relevance (already
    weighted by RETRIEVED_WEIGHT), the evidence kind and what backs it."""

    row: int
    relevance: float
    evidence: str
    detail: str


@dataclass(frozen=True)
class Probe:
    """What one gap is looked for with: its labels (BM25) and a vector (dense)."""

    skill_id: int
    names: tuple[str, ...]
    vector: np.ndarray | None
    ad_hoc: bool = False


def _dense_relevance(similarity: float, scale: Calibration) -> float:
    """A cosine of the encoder to 0..1: at or below the scale's floor is noise (all-MiniLM-L6-v2: 0.40),
    at or above its full a clear match (0.70)."""
    return scale.relevance(similarity)


def probes_for(
    runtime: Runtime,
    session: Session,
    tenant_id: int,
    skill_ids: Sequence[int],
    labels: Mapping[int, str],
    text_skills: Mapping[int, str],
) -> list[Probe]:
    """Taxonomy skills are looked for with their stored vector and their Dutch and English labels; an
    ad-hoc label with its own words, encoded now (the one case a path request encodes text)."""
    skills = tax.get_skills(session, tenant_id, [s for s in skill_ids if s > 0])
    probes: list[Probe] = []
    ad_hoc = [s for s in skill_ids if s in text_skills]
    if ad_hoc:
        vectors = runtime.encoder().encode([text_skills[s] for s in ad_hoc], kind="query")
        probes += [
            Probe(s, label_variants(text_skills[s]), vectors[i], ad_hoc=True) for i, s in enumerate(ad_hoc)
        ]
    for skill_id in skill_ids:
        skill = skills.get(skill_id)
        if skill is None:
            continue
        names = tuple(sorted(filter(None, {skill.label_en, skill.label_nl, labels.get(skill_id)})))
        vector = (
            vectors_from_bytes([skill.embedding], len(skill.embedding) // 4)[0]
            if skill.embedding is not None
            else None
        )
        probes.append(Probe(skill.id, names, vector))
    return probes


_PARENTHESIS = re.compile(r"\(([^()]*)\)")


def label_variants(label: str) -> tuple[str, ...]:
    """A label as given, and, when it holds a parenthesis, with it left out and the parenthesis alone:
    "data visualization (dataviz)" is looked for as that, "data visualization" and "dataviz"."""
    variants = [label]
    inner = [part.strip() for part in _PARENTHESIS.findall(label) if part.strip()]
    outer = " ".join(_PARENTHESIS.sub(" ", label).split())
    variants += [v for v in (outer, *inner) if v and v not in variants]
    return tuple(variants)


@dataclass
class _Match:
    """What retrieval found of one unit for one gap: the dense cosine and the share of a label it holds."""

    cosine: float = 0.0
    coverage: float = 0.0  # of the best-matching label, idf-weighted, 0..1
    bm25_share: float = 0.0  # its BM25 against the best lexical hit's, capped at 1 from LEXICAL_STRONG_SHARE
    label: str = ""  # the label (Dutch or English, or a variant of an ad-hoc one) it holds most of


def _search(runtime: Runtime, tenant_slug: str, probes: Sequence[Probe]) -> dict[int, dict[int, _Match]]:
    """skill id -> {unit id: match} from dense search with the skill's vector and BM25 on its labels.
    The two scored lists are fused (convex combination of normalised scores, see recommender.fusion)
    to pick the shortlist; `_strength` then turns a match into a relevance on an absolute scale, so a
    weak match stays weak whatever its place: the best of several poor BM25 hits is still poor."""
    snapshot = runtime.dense_snapshot(tenant_slug)  # None when built with another model
    lexical = runtime.lexical(tenant_slug)
    floor = runtime.calibration().floor
    with_vector = [p for p in probes if p.vector is not None]
    rows: list[list[SearchHit]] = []
    if snapshot is not None and with_vector:
        rows = snapshot.search(
            np.vstack([p.vector for p in with_vector if p.vector is not None]).astype(np.float32), DENSE_K
        )
    dense_hits = {
        p.skill_id: [h for h in row if h.score >= floor] for p, row in zip(with_vector, rows, strict=False)
    }
    found: dict[int, dict[int, _Match]] = {}
    for probe in probes:
        hits = dense_hits.get(probe.skill_id, [])
        dense = [(h.unit_id, h.score) for h in hits]
        matches: dict[int, _Match] = {h.unit_id: _Match(cosine=h.score) for h in hits}
        words: list[tuple[int, float]] = []
        if lexical is not None:
            scored = lexical.search(" ".join(probe.names), LEXICAL_K)
            hit_ids = [unit_id for unit_id, _ in scored]
            per_name = {name: lexical.label_coverage([name], hit_ids) for name in probe.names}
            words = [
                (unit_id, score)
                for unit_id, score in scored
                if max(cover[unit_id] for cover in per_name.values()) >= LEXICAL_MIN_COVERAGE
            ]
            best = max((score for _, score in words), default=0.0)
            for unit_id, score in words:
                match = matches.setdefault(unit_id, _Match())
                match.label, match.coverage = max(
                    ((name, cover[unit_id]) for name, cover in per_name.items()), key=lambda pair: pair[1]
                )
                match.bm25_share = min(1.0, score / (LEXICAL_STRONG_SHARE * best))
        fused = convex_fusion(dense, words)[:RETRIEVED_PER_GAP]
        found[probe.skill_id] = {unit_id: matches[unit_id] for unit_id, _ in fused}
    return found


def _names_in_title(
    lexical: LexicalIndex | None, names: Sequence[str], columns: CatalogColumns, row: int
) -> bool:
    """Does the unit's or its item's title hold every word of one of the labels (stemmed)?"""
    if lexical is None:
        return False
    title = set(lexical.query_terms(f"{columns.item_title.text(row)} {columns.unit_title.text(row)}"))
    return any(terms and set(terms) <= title for terms in (lexical.query_terms(name) for name in names))


def _strength(
    match: _Match, in_title: bool, ad_hoc: bool, names: Sequence[str], scale: Calibration
) -> tuple[float, str, str]:
    """(relevance 0..1, evidence, detail) of a retrieved unit. A label in a title is a lesson on it;
    a label only somewhere in the text counts in full when the meaning agrees (cosine at least
    AGREEING_SHARE of the way up `scale`), else as a mention (MENTION_SHARE): a page that names
    "incident response" once is not a lesson on it. The detail is the label found, or the raw cosine."""
    dense = _dense_relevance(match.cosine, scale) if match.cosine else 0.0
    # coverage squared: a label missing its telling word ("business writing in Dutch" in a course on
    # business writing in English) is not that skill
    lexical = match.coverage**2 * match.bm25_share
    lexical = as_mention(lexical, in_title, match.cosine, scale.at(AGREEING_SHARE))
    if lexical >= dense and lexical > 0:
        return lexical, TEXT if ad_hoc else LABEL, match.label or names[0]
    return dense, TEXT if ad_hoc else SIMILARITY, names[0] if ad_hoc else f"{match.cosine:.2f}"


def _key(tenant_slug: str, version: int, model: str, probe: Probe) -> tuple[object, ...]:
    vector = b"" if probe.vector is None else hashlib.sha256(probe.vector.tobytes()).digest()
    return (tenant_slug, version, model, probe.skill_id, probe.names, probe.ad_hoc, vector)


def retrieved_signals(
    runtime: Runtime,
    tenant_slug: str,
    session: Session,
    tenant_id: int,
    columns: CatalogColumns,
    version: int,
    skill_ids: Sequence[int],
    labels: Mapping[int, str],
    text_skills: Mapping[int, str],
) -> dict[int, tuple[Signal, ...]]:
    """skill id -> the units retrieval finds for it in the snapshot of `version` (those its `columns`
    hold), from the process's cache where the same skill was asked for on the same snapshot."""
    model = runtime.encoder_model
    probes = probes_for(runtime, session, tenant_id, skill_ids, labels, text_skills)
    cache = process_cache(runtime, "retrieval", CACHED_PROBES)
    found: dict[int, tuple[Signal, ...]] = {}
    missing: list[Probe] = []
    for probe in probes:
        cached = cache.get(_key(tenant_slug, version, model, probe))
        if isinstance(cached, tuple):
            found[probe.skill_id] = cached
        else:
            missing.append(probe)
    if missing:
        lexical = runtime.lexical(tenant_slug)
        scale = runtime.calibration()
        searched = _search(runtime, tenant_slug, missing)
        for probe in missing:
            hits = searched[probe.skill_id]
            signals: list[Signal] = []
            rows = columns.rows_of(list(hits)).tolist()
            for row, match in zip(rows, hits.values(), strict=True):
                if row < 0:
                    continue  # not in the published catalog (retired since)
                in_title = match.coverage > 0 and _names_in_title(lexical, [match.label], columns, row)
                relevance, evidence, detail = _strength(match, in_title, probe.ad_hoc, probe.names, scale)
                signals.append(Signal(row, RETRIEVED_WEIGHT * relevance, evidence, detail))
            found[probe.skill_id] = tuple(signals)
            cache.put(_key(tenant_slug, version, model, probe), found[probe.skill_id])
    return found
