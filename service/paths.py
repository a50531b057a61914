"""Learning paths: candidates per gap (tags, dense and lexical retrieval, fused), ranked (by the rules,
or by the tenant's active learned model), fitted into the time budget, stored with the model version
and the impressions (each step's ranking features) that retraining learns from.

No text is encoded here: dense retrieval searches the FAISS snapshot with the skills' stored vectors.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import path_repository as paths_repo
from models import repositories as repo
from models import taxonomy_repository as tax
from models.repositories import UnitCard
from models.tables import Employee, LearningPath, Role, Skill
from recommender.embedding import vectors_from_bytes
from recommender.feedback import NO_HISTORY, History
from recommender.fusion import convex_fusion
from recommender.gaps import Gap
from recommender.index import SearchHit, Snapshot
from recommender.learning import rescore
from recommender.paths import Budget, PathStep, build_path
from recommender.ranking import (
    Candidate,
    Learner,
    ScoredCandidate,
    diversify,
    score_candidates,
    skills_excluded_by_language,
)
from service.feedback import learning_history
from service.gaps import employee_gaps
from service.runtime import Runtime
from service.schemas.catalog import activity_id, unit_url

MODEL_VERSION = "rules-1"  # the hand-set ranking weights; retrained rankers get their own versions
DENSE_K = 40
LEXICAL_K = 40
SHORTLIST_PER_GAP = 8
RETRIEVED_WEIGHT = 0.85  # a retrieved unit is a little less certain than one tagged with the skill
RETRIEVED_PER_GAP = 20
# A step must clearly teach its gap: a two-word label found in the text (0.75), a declared skill,
# or a retrieved unit at cosine 0.65 / holding 85% of a label. Weaker matches (one shared word, even
# repeated: 0.70; a loose embedding tag) made paths that filled spare minutes with unrelated pages.
MIN_STEP_RELEVANCE = 0.72
DENSE_FLOOR, DENSE_FULL = 0.40, 0.70
LEXICAL_MIN_COVERAGE = 0.5  # a BM25 hit must hold at least half of a skill label (idf-weighted)


@dataclass(frozen=True)
class PlanInput:
    gaps: Sequence[Gap]
    labels: Mapping[int, str]
    learner: Learner
    budget: Budget
    language: str
    role_name: str | None = None
    show_levels: bool = True  # False: the tenant hides this employee's gap scores from this caller


def _dense_relevance(similarity: float) -> float:
    """Cosine similarity of all-MiniLM-L6-v2 to 0..1: below DENSE_FLOOR is noise, DENSE_FULL a clear match."""
    return min(1.0, max(0.0, (similarity - DENSE_FLOOR) / (DENSE_FULL - DENSE_FLOOR)))


def _dense_hits(snapshot: Snapshot | None, skills: Sequence[Skill]) -> dict[int, list[SearchHit]]:
    """skill id -> units at least DENSE_FLOOR similar to its stored vector, all skills in one search."""
    embedded = [skill for skill in skills if skill.embedding is not None]
    if snapshot is None or not embedded:
        return {}
    blobs = [skill.embedding for skill in embedded if skill.embedding is not None]
    matrix = vectors_from_bytes(blobs, len(blobs[0]) // 4)
    rows = snapshot.search(matrix, DENSE_K)
    return {
        skill.id: [hit for hit in row if hit.score >= DENSE_FLOOR]
        for skill, row in zip(embedded, rows, strict=True)
    }


def _retrieve(
    runtime: Runtime,
    tenant_slug: str,
    session: Session,
    tenant_id: int,
    gaps: Sequence[Gap],
    labels: Mapping[int, str],
) -> dict[int, dict[int, float]]:
    """skill id -> {unit id: relevance 0..1} from dense search with the skill's stored vector and BM25 on
    its labels. The two scored lists are fused (convex combination of normalised scores, see
    recommender.fusion) to pick the shortlist; a unit's relevance is its strongest absolute signal
    (cosine similarity mapped to 0..1, or how much of a skill label the unit holds), so a weak
    match stays weak whatever its place: the best of several poor BM25 hits is still poor."""
    snapshot = runtime.snapshot(tenant_slug)
    skills = tax.get_skills(session, tenant_id, [g.skill_id for g in gaps])
    lexical = runtime.lexical(tenant_slug)
    dense_hits = _dense_hits(snapshot, [skills[g.skill_id] for g in gaps if g.skill_id in skills])
    found: dict[int, dict[int, float]] = {}
    for gap in gaps:
        skill = skills.get(gap.skill_id)
        if skill is None:
            continue
        hits = dense_hits.get(skill.id, [])
        dense = [(h.unit_id, h.score) for h in hits]
        signal = {h.unit_id: _dense_relevance(h.score) for h in hits}
        words: list[tuple[int, float]] = []
        if lexical is not None:
            names = sorted(filter(None, {skill.label_en, skill.label_nl, labels.get(gap.skill_id)}))
            scored = lexical.search(" ".join(names), LEXICAL_K)
            coverage = lexical.label_coverage(names, [unit_id for unit_id, _ in scored])
            words = [
                (unit_id, score) for unit_id, score in scored if coverage[unit_id] >= LEXICAL_MIN_COVERAGE
            ]
            for unit_id, _ in words:
                signal[unit_id] = max(signal.get(unit_id, 0.0), coverage[unit_id])
        fused = convex_fusion(dense, words)[:RETRIEVED_PER_GAP]
        found[gap.skill_id] = {unit_id: RETRIEVED_WEIGHT * signal[unit_id] for unit_id, _ in fused}
    return found


def _candidate(unit: UnitCard, skill_id: int, relevance: float) -> Candidate:
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
        title=unit.unit_title
        if unit.unit_title == unit.item_title
        else f"{unit.item_title}: {unit.unit_title}",
    )


def gather_candidates(
    runtime: Runtime,
    tenant_slug: str,
    session: Session,
    tenant_id: int,
    gaps: Sequence[Gap],
    labels: Mapping[int, str],
    languages: Sequence[str] = (),
) -> tuple[list[Candidate], dict[int, UnitCard]]:
    """Tagged units (those in `languages` first) and retrieved units for every open gap; one
    candidate per (unit, gap)."""
    relevance: dict[tuple[int, int], float] = {}
    units: dict[int, UnitCard] = {}
    skill_ids = [g.skill_id for g in gaps]
    for skill_id, confidence, unit in tax.tagged_unit_cards(session, tenant_id, skill_ids, languages):
        units[unit.unit_id] = unit
        relevance[(unit.unit_id, skill_id)] = max(confidence, relevance.get((unit.unit_id, skill_id), 0.0))
    retrieved = _retrieve(runtime, tenant_slug, session, tenant_id, gaps, labels)
    missing = {unit_id for hits in retrieved.values() for unit_id in hits} - set(units)
    units.update(repo.unit_cards(session, tenant_id, sorted(missing)))
    for skill_id, hits in retrieved.items():
        for unit_id, score in hits.items():
            if unit_id in units:
                relevance[(unit_id, skill_id)] = max(score, relevance.get((unit_id, skill_id), 0.0))
    candidates = [
        _candidate(units[unit_id], skill_id, score)
        for (unit_id, skill_id), score in relevance.items()
        if score >= MIN_STEP_RELEVANCE
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
        runtime, tenant_slug, session, tenant_id, open_gaps, plan.labels, plan.learner.languages
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
    )
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
                "why": step.why,
                "why_without_levels": step.why_without_levels,  # kept, not answered (PathStepPublic)
                "score": round(step.score, 4),
                "source": unit.source,
                "external_id": unit.external_id,
                "activity_id": activity_id(unit.source, unit.external_id, unit.position),
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
            }
            for u in path.uncovered
        ],
        "total_minutes": path.total_minutes,
        "budget_minutes": plan.budget.total,
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
) -> PlanInput:
    """What a path for this employee towards `role` is planned from: their open gaps, their languages
    and what they already finished or dismissed."""
    result = employee_gaps(session, tenant_id, employee, role, now)
    return PlanInput(
        gaps=result.gaps,
        labels=result.labels,
        learner=learner_for(employee, languages, learning_history(session, tenant_id, employee)),
        budget=budget,
        language="nl" if employee.language == "nl" else "en",
        role_name=role.name,
    )


def learner_for(
    employee: Employee | None, languages: Sequence[str] | None, history: History = NO_HISTORY
) -> Learner:
    """Languages: the request's, else the employee's own first and English as fallback. History: what
    the employee finished or dismissed (service.feedback.learning_history), left out of the path."""
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
