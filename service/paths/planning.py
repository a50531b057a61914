"""Learning paths: candidates per gap (tags, dense and lexical retrieval, fused), ranked (by the rules,
or by the tenant's active learned model), fitted into the time budget, stored with the model version
and the impressions (each step's ranking features) that retraining learns from.

No text is encoded here (but an ad-hoc label's): dense retrieval searches the FAISS snapshot with the
skills' stored vectors. Every cosine threshold is a point on the encoder's calibration
(recommender.embedding.Calibration), so a model with another cosine scale keeps their meaning.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from ingest.skills import resolve_skill
from models import path_repository as paths_repo
from models import repositories as repo
from models import taxonomy_repository as tax
from models.repositories import UnitCard
from models.tables import Employee, LearningPath, Role, Skill
from recommender.embedding import Calibration, vectors_from_bytes
from recommender.errors import LeerpadError
from recommender.explanations import CONFIRMED, DECLARED, LABEL, SIMILARITY, TEXT, explain_uncovered
from recommender.feedback import NO_HISTORY, History
from recommender.fusion import convex_fusion
from recommender.gaps import Gap, LevelEstimate, Requirement, compute_gaps
from recommender.index import SearchHit
from recommender.lexical import LexicalIndex
from recommender.paths import Budget, PathStep, build_path
from recommender.ranking import (
    Candidate,
    Learner,
    ScoredCandidate,
    diversify,
    score_candidates,
    skills_done_in_language,
    skills_excluded_by_language,
)
from recommender.ranking_model import rescore
from recommender.tagging import AGREEING_SHARE, as_mention, language_code
from service.core.activities import activity_id, unit_url
from service.core.runtime import Runtime
from service.events.feedback import learning_history
from service.paths.schemas import AdHocSkill
from service.paths.step_relevance import skills_with_tagged_content, step_relevance_bar
from service.people.gaps import ContentCheck, employee_gaps

MODEL_VERSION = "rules-1"  # the hand-set ranking weights; retrained rankers get their own versions
DENSE_K = 40
LEXICAL_K = 40
SHORTLIST_PER_GAP = 8
RETRIEVED_WEIGHT = 0.85  # a retrieved unit is a little less certain than one tagged with the skill
RETRIEVED_PER_GAP = 20
LEXICAL_MIN_COVERAGE = 0.5  # a BM25 hit must hold at least half of a skill label (idf-weighted)
LEXICAL_STRONG_SHARE = 0.5  # a BM25 score at least half the best hit's counts in full


@dataclass(frozen=True)
class PlanInput:
    gaps: Sequence[Gap]
    labels: Mapping[int, str]
    learner: Learner
    budget: Budget
    language: str
    role_name: str | None = None
    show_levels: bool = True  # False: the tenant hides this employee's gap scores from this caller
    # ad-hoc labels that match no skill of the tenant, by their (negative) gap skill id: found by text
    text_skills: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Probe:
    """What one gap is looked for with: its labels (BM25) and a vector (dense)."""

    skill_id: int
    names: tuple[str, ...]
    vector: np.ndarray | None
    ad_hoc: bool = False


def _dense_relevance(similarity: float, scale: Calibration) -> float:
    """A cosine of the encoder to 0..1: at or below the scale's floor is noise (all-MiniLM-L6-v2: 0.40),
    at or above its full a clear match (0.70)."""
    return scale.relevance(similarity)


def _probes(
    runtime: Runtime,
    session: Session,
    tenant_id: int,
    skill_ids: Sequence[int],
    labels: Mapping[int, str],
    text_skills: Mapping[int, str],
) -> list[_Probe]:
    """Taxonomy skills are looked for with their stored vector and their Dutch and English labels; an
    ad-hoc label with its own words, encoded now (the one case a path request encodes text)."""
    skills = tax.get_skills(session, tenant_id, [s for s in skill_ids if s > 0])
    probes: list[_Probe] = []
    ad_hoc = [s for s in skill_ids if s in text_skills]
    if ad_hoc:
        vectors = runtime.encoder().encode([text_skills[s] for s in ad_hoc], kind="query")
        probes += [
            _Probe(s, label_variants(text_skills[s]), vectors[i], ad_hoc=True) for i, s in enumerate(ad_hoc)
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
        probes.append(_Probe(skill.id, names, vector))
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


def _retrieve(runtime: Runtime, tenant_slug: str, probes: Sequence[_Probe]) -> dict[int, dict[int, _Match]]:
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


def _names_in_title(lexical: LexicalIndex | None, names: Sequence[str], card: UnitCard) -> bool:
    """Does the unit's or its item's title hold every word of one of the labels (stemmed)?"""
    if lexical is None:
        return False
    title = set(lexical.query_terms(f"{card.item_title} {card.unit_title}"))
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


def _candidate(unit: UnitCard, skill_id: int, relevance: float, evidence: str, detail: str) -> Candidate:
    return Candidate(
        unit_id=unit.unit_id,
        item_id=unit.item_id,
        skill_id=skill_id,
        relevance=min(1.0, relevance),
        minutes=max(1, unit.minutes),
        language=unit.language,
        format=unit.format,
        level=unit.level,
        rating=unit.rating,
        updated_at=unit.updated_at,
        position=unit.position,
        title=step_title(unit.item_title, unit.unit_title),
        evidence=evidence,
        evidence_detail=detail,
        minutes_known=unit.minutes_known,
        in_item=unit.unit_title.strip() != unit.item_title.strip(),
    )


def content_check(runtime: Runtime, tenant_slug: str, session: Session, tenant_id: int) -> ContentCheck:
    """Which skills have content, by the same evidence and bar as a path's steps: a stored tag, or a
    unit retrieval finds now (label in a title, meaning). So /gaps `has_content` and the reports'
    uncovered skills never call a gap empty that a path fills, nor the other way round."""

    def check(skill_ids: Sequence[int]) -> set[int]:
        tagged = skills_with_tagged_content(session, tenant_id, skill_ids)
        rest = [s for s in skill_ids if s not in tagged]
        if not rest:
            return tagged
        candidates, _ = gather_candidates(runtime, tenant_slug, session, tenant_id, rest, {})
        return tagged | {c.skill_id for c in candidates}

    return check


def step_title(item_title: str, unit_title: str) -> str:
    """The item's title, and the unit's after it when it adds something ("Guide: Joins")."""
    item, unit = item_title.strip(), unit_title.strip()
    if not unit or unit.casefold() in item.casefold():
        return item
    if item.casefold() in unit.casefold():
        return unit
    return f"{item}: {unit}"


def _tag_detail(tagged: tax.TaggedUnit, labels: Mapping[int, str]) -> str:
    """What a step's `why` quotes for a stored tag: the text's own words for a label tag (empty for a
    tag made before they were kept: the explanation then says "or another name for it"), the skill's
    label for a declared or confirmed one, the confidence for an embedding tag."""
    if tagged.evidence == LABEL:
        return tagged.phrase
    if tagged.evidence in (DECLARED, CONFIRMED):
        return labels.get(tagged.skill_id, "")
    return f"{tagged.confidence:.2f}"


def gather_candidates(
    runtime: Runtime,
    tenant_slug: str,
    session: Session,
    tenant_id: int,
    skill_ids: Sequence[int],
    labels: Mapping[int, str],
    languages: Sequence[str] = (),
    text_skills: Mapping[int, str] | None = None,
) -> tuple[list[Candidate], dict[int, UnitCard]]:
    """Tagged units (those in `languages` first) and retrieved units for every skill of `skill_ids`
    (taxonomy ids, and the negative ids of `text_skills`); one candidate per (unit, skill), carrying
    the evidence of its strongest signal. Only candidates as relevant as the tenant's bar
    (service.paths.step_relevance) are kept: every step must clearly teach its gap."""
    found: dict[tuple[int, int], tuple[float, str, str]] = {}
    bar = step_relevance_bar(session, tenant_id)
    units: dict[int, UnitCard] = {}
    for tagged in tax.tagged_unit_cards(session, tenant_id, [s for s in skill_ids if s > 0], languages):
        unit, skill_id, confidence = tagged.card, tagged.skill_id, tagged.confidence
        units[unit.unit_id] = unit
        if confidence > found.get((unit.unit_id, skill_id), (0.0, "", ""))[0]:
            found[(unit.unit_id, skill_id)] = (confidence, tagged.evidence, _tag_detail(tagged, labels))
    probes = _probes(runtime, session, tenant_id, skill_ids, labels, text_skills or {})
    retrieved = _retrieve(runtime, tenant_slug, probes)
    missing = {unit_id for hits in retrieved.values() for unit_id in hits} - set(units)
    units.update(repo.unit_cards(session, tenant_id, sorted(missing)))
    lexical = runtime.lexical(tenant_slug)
    by_skill = {probe.skill_id: probe for probe in probes}
    scale = runtime.calibration()
    for skill_id, hits in retrieved.items():
        probe = by_skill[skill_id]
        for unit_id, match in hits.items():
            card = units.get(unit_id)
            if card is None:
                continue
            in_title = match.coverage > 0 and _names_in_title(lexical, [match.label], card)
            relevance, evidence, detail = _strength(match, in_title, probe.ad_hoc, probe.names, scale)
            signal = (RETRIEVED_WEIGHT * relevance, evidence, detail)
            if signal[0] > found.get((unit_id, skill_id), (0.0, "", ""))[0]:
                found[(unit_id, skill_id)] = signal
    candidates = [
        _candidate(units[unit_id], skill_id, *signal)
        for (unit_id, skill_id), signal in found.items()
        if signal[0] >= bar
    ]
    return candidates, units


@dataclass(frozen=True)
class PlannedPath:
    """The response body (without path_id) and, kept out of it, one impression per step."""

    body: dict[str, Any]
    impressions: list[dict[str, Any]]


def _impressions(steps: Sequence[PathStep], shortlist: Sequence[ScoredCandidate]) -> list[dict[str, Any]]:
    """Per step, the entry that gave it its score: unit, item, skill, its ranking features and the score
    the model in use gave them (what a retraining run needs to know of what was shown)."""
    entries = {(s.candidate.unit_id, s.candidate.skill_id): s for s in shortlist}
    shown = []
    for step in steps:
        found = [
            entries[(step.unit_id, skill)] for skill, _ in step.addresses if (step.unit_id, skill) in entries
        ]
        if not found:
            continue
        best = max(found, key=lambda entry: entry.score)
        shown.append(
            {
                "unit_id": step.unit_id,
                "item_id": step.item_id,
                "skill_id": best.candidate.skill_id,
                "features": dict(best.features),
                "score": best.score,
            }
        )
    return shown


def plan_path(
    runtime: Runtime, tenant_slug: str, session: Session, tenant_id: int, plan: PlanInput, now: datetime
) -> PlannedPath:
    """Rank candidates (the active learned model re-scores the rules' features) and build the path."""
    open_gaps = [g for g in plan.gaps if g.gap > 0]
    by_skill = {g.skill_id: g for g in open_gaps}
    candidates, units = gather_candidates(
        runtime,
        tenant_slug,
        session,
        tenant_id,
        [g.skill_id for g in open_gaps],
        plan.labels,
        plan.learner.languages,
        plan.text_skills,
    )
    ranked = score_candidates(candidates, by_skill, plan.learner, now)
    model = runtime.ranking_model(session, tenant_id)
    if model is not None:
        ranked = rescore(ranked, model)
    shortlist: list[ScoredCandidate] = []
    for skill_id in by_skill:
        shortlist += diversify([s for s in ranked if s.candidate.skill_id == skill_id], k=SHORTLIST_PER_GAP)
    path = build_path(
        shortlist,
        open_gaps,
        plan.budget,
        language=plan.language,
        skill_labels=plan.labels,
        excluded_by_language=skills_excluded_by_language(candidates, by_skill, plan.learner),
        role_name=plan.role_name,
        show_levels=plan.show_levels,
        learner_languages=plan.learner.languages,
        now=now,
        done_in_learner_language=skills_done_in_language(candidates, by_skill, plan.learner),
    )
    dutch = plan.language == "nl"
    steps = []
    for step in path.steps:
        unit = units[step.unit_id]
        steps.append(
            {
                "item_id": unit.item_id,
                "unit_id": unit.unit_id,
                "title": step.title,
                "url": unit_url(unit.url, unit.anchor),
                "minutes": step.minutes,
                "week": step.week,
                "last_week": step.last_week,
                "language": unit.language,
                "format": unit.format,
                "addresses": [
                    {
                        "skill": plan.labels.get(skill_id, str(skill_id)),
                        "skill_id": skill_id,
                        "gap": round(amount, 2) if plan.show_levels else None,
                    }
                    for skill_id, amount in step.addresses
                ],
                "evidence": [
                    {
                        "skill": plan.labels.get(skill_id, str(skill_id)),
                        "skill_id": skill_id,
                        "kind": kind,
                        "detail": detail,
                    }
                    for skill_id, kind, detail in step.evidence
                ],
                "why": step.why,
                "why_without_levels": step.why_without_levels,  # kept, not answered (PathStepPublic)
                "score": round(step.score, 4),
                "source": unit.source,
                "external_id": unit.external_id,
                "activity_id": activity_id(unit.source, unit.external_id, unit.position),
                "part": step.part,
                "parts": step.parts,
                "unit_minutes": step.unit_minutes,
                "partial": step.partial,
                "remaining_minutes": step.remaining_minutes,
                "language_fallback": step.language_fallback,
            }
        )
    gap_by_skill = {g.skill_id: g for g in plan.gaps}

    def shown(size: float) -> float | None:
        return size if plan.show_levels else None

    body = {
        "steps": steps,
        "covered_gaps": [
            {"skill_id": s, "skill": plan.labels.get(s, str(s)), "gap": shown(gap_by_skill[s].gap)}
            for s in path.covered
        ],
        "uncovered_gaps": [
            {
                "skill_id": u.skill_id,
                "skill": plan.labels.get(u.skill_id, str(u.skill_id)),
                "gap": shown(gap_by_skill[u.skill_id].gap),
                "reason": u.reason,
                "closed": u.closed,
                "explanation": explain_uncovered(
                    u.reason,
                    plan.labels.get(u.skill_id, str(u.skill_id)),
                    u.closed if plan.show_levels else 0.0,
                    dutch,
                ),
            }
            for u in path.uncovered
        ],
        "total_minutes": path.total_minutes,
        "budget_minutes": plan.budget.total,
        "minutes_per_week": plan.budget.minutes_per_week,
        "weeks": plan.budget.weeks,
        "covered_priority_share": round(path.covered_priority_share, 4),
        "model_version": model.version if model is not None else MODEL_VERSION,
    }
    return PlannedPath(body, _impressions(path.steps, shortlist))


def without_gap_scores(response: dict[str, Any]) -> dict[str, Any]:
    """A stored path as a caller sees it who may not see this employee's gap scores: no gap sizes,
    and each step's reason without where the learner is now. Paths stored before that reason was
    kept separately fall back to naming the skills the step addresses."""
    hidden = dict(response)

    def no_size(gaps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**gap, "gap": None} for gap in gaps]

    steps = []
    for step in response.get("steps", []):
        skills = ", ".join(str(a.get("skill")) for a in step.get("addresses", []))
        why = step.get("why_without_levels") or f"Addresses: {skills}."
        if all(a.get("gap") is None for a in step.get("addresses", [])):
            why = step.get("why", why)  # stored with the levels left out already
        steps.append({**step, "addresses": no_size(step.get("addresses", [])), "why": why})
    hidden["steps"] = steps
    hidden["covered_gaps"] = no_size(response.get("covered_gaps", []))
    hidden["uncovered_gaps"] = no_size(response.get("uncovered_gaps", []))
    return hidden


def store_path(
    session: Session,
    tenant_id: int,
    employee: Employee | None,
    request: dict[str, Any],
    planned: PlannedPath,
    index_version: int | None,
) -> str:
    """Keep the path as given (body["path_id"] is set) with its impressions, the training data."""
    key = uuid.uuid4().hex
    body = planned.body
    body["path_id"] = key
    paths_repo.save_path(
        session,
        LearningPath(
            tenant_id=tenant_id,
            path_key=key,
            employee_id=employee.id if employee else None,
            request=request,
            response=body,
            model_version=body["model_version"],
            index_version=index_version,
            impressions=planned.impressions,
        ),
    )
    return key


def employee_plan(
    session: Session,
    tenant_id: int,
    employee: Employee,
    role: Role,
    budget: Budget,
    languages: Sequence[str] | None,
    now: datetime,
    has_content: ContentCheck,
) -> PlanInput:
    """What a path for this employee towards `role` is planned from: their open gaps, their languages
    and what they already finished or dismissed."""
    result = employee_gaps(session, tenant_id, employee, role, now, has_content)
    return PlanInput(
        gaps=result.gaps,
        labels=result.labels,
        learner=learner_for(employee, languages, learning_history(session, tenant_id, employee)),
        budget=budget,
        language="nl" if employee.language == "nl" else "en",
        role_name=role.name,
    )


_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def _resolve_label(session: Session, tenant_id: int, label: str) -> Skill | None:
    """The tenant's skill a label names, as given or as one of its variants: "data visualization
    (dataviz)" is the skill "Data Visualization" of a catalog that declares it."""
    for variant in label_variants(label):
        skill = resolve_skill(session, tenant_id, variant)
        if skill is not None:
            return skill
    return None


def ad_hoc_plan(
    session: Session,
    tenant_id: int,
    skills: Sequence[AdHocSkill],
    budget: Budget,
    languages: Sequence[str] | None,
    has_content: ContentCheck,
) -> tuple[PlanInput, list[dict[str, Any]]]:
    """A plan for a skill list an LMS sends (POST /v1/recommendations), and how each label matched:
    a skill of the tenant ("taxonomy"), or, for a label that matches none, the label's own words
    and meaning in the content ("text", found by hybrid retrieval, a negative skill id). Only labels
    without a letter are refused: an LMS that keeps no taxonomy here must still get a path."""
    chosen = list(languages or ["en"])
    dutch = language_code(chosen[0]) == "nl"
    requirements: list[Requirement] = []
    estimates: dict[int, LevelEstimate] = {}
    labels: dict[int, str] = {}
    text_skills: dict[int, str] = {}
    matched: list[dict[str, Any]] = []
    for index, entry in enumerate(skills):
        text = " ".join(entry.skill.split())
        skill = _resolve_label(session, tenant_id, text)
        if skill is not None:
            skill_id = skill.id
            label = (
                (skill.label_nl if dutch else skill.label_en) or skill.label_en or skill.label_nl or skill.key
            )
            kind = "taxonomy"
        elif not _LETTER.search(text):
            raise PathInputError(
                f"skills[{index}].skill: {entry.skill!r} is no skill label (it has no letter)"
            )
        else:
            skill_id, label, kind = -(len(text_skills) + 1), text, "text"
            text_skills[skill_id] = text
        if skill_id in labels:
            raise PathInputError(f"skills[{index}].skill: {entry.skill!r} is listed twice")
        requirements.append(Requirement(skill_id, entry.target, entry.importance))
        estimates[skill_id] = LevelEstimate(entry.current, 1.0, 1, ("lms",))
        labels[skill_id] = label
        matched.append({"skill": entry.skill, "matched": kind, "skill_id": skill_id, "resolved_to": label})
    known = [s for s in labels if s > 0]
    gaps = compute_gaps(requirements, estimates, has_content(known))
    plan = PlanInput(
        gaps=gaps,
        labels=labels,
        learner=learner_for(None, chosen),
        budget=budget,
        language="nl" if dutch else "en",
        text_skills=text_skills,
    )
    return plan, matched


class PathInputError(LeerpadError):
    """A path request that cannot be planned; the message names the field."""


DEFAULT_MINUTES_PER_WEEK = 60
DEFAULT_WEEKS = 6


def budget_for(employee: Employee | None, minutes_per_week: int | None, weeks: int | None) -> Budget:
    """The request's numbers, else the employee's stored preferences (checked when they were stored,
    see service.people.schemas.EmployeeIn), else 60 minutes a week for 6 weeks."""
    preferences = dict(employee.preferences or {}) if employee else {}

    def stored(name: str, default: int) -> int:
        value = preferences.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default

    return Budget(
        minutes_per_week
        if minutes_per_week is not None
        else stored("minutes_per_week", DEFAULT_MINUTES_PER_WEEK),
        weeks if weeks is not None else stored("weeks", DEFAULT_WEEKS),
    )


def learner_for(
    employee: Employee | None, languages: Sequence[str] | None, history: History = NO_HISTORY
) -> Learner:
    """Languages: the request's, else the employee's own first and English as fallback. History: what
    the employee finished or dismissed (service.events.feedback.learning_history), left out of the path."""
    preferences = dict(employee.preferences or {}) if employee else {}
    own = employee.language if employee else "en"
    chosen = tuple(languages) if languages else tuple(dict.fromkeys([own, *preferences.get("languages", [])]))
    formats = tuple(str(f) for f in preferences.get("formats", []) if isinstance(f, str))
    return Learner(
        languages=chosen or ("en",),
        formats=formats,
        completed=history.completed_items,
        dismissed=history.dismissed_items,
        completed_units=history.completed_units,
    )
