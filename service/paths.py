"""Learning paths: candidates per gap (tags, dense and lexical retrieval, fused), ranked, fitted into
the time budget, stored with the model version.

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
from models.tables import Employee, LearningPath, MicroUnit
from recommender.embedding import vectors_from_bytes
from recommender.fusion import reciprocal_rank_fusion
from recommender.gaps import Gap
from recommender.paths import Budget, build_path
from recommender.ranking import (
    Candidate,
    Learner,
    ScoredCandidate,
    diversify,
    score_candidates,
    skills_excluded_by_language,
)
from service.runtime import Runtime
from service.schemas.catalog import activity_id, unit_url

MODEL_VERSION = "rules-1"  # the hand-set ranking weights; retrained rankers get their own versions
DENSE_K = 40
LEXICAL_K = 40
SHORTLIST_PER_GAP = 8
RETRIEVED_WEIGHT = 0.85  # a retrieved unit is a little less certain than one tagged with the skill
RETRIEVED_PER_GAP = 20
DENSE_FLOOR, DENSE_FULL = 0.40, 0.70
LEXICAL_FLOOR = 0.5  # BM25 hits below half the best hit's score are left out


@dataclass(frozen=True)
class PlanInput:
    gaps: Sequence[Gap]
    labels: Mapping[int, str]
    learner: Learner
    budget: Budget
    language: str
    role_name: str | None = None


def _dense_relevance(similarity: float) -> float:
    """Cosine similarity of all-MiniLM-L6-v2 to 0..1: below DENSE_FLOOR is noise, DENSE_FULL a clear match."""
    return min(1.0, max(0.0, (similarity - DENSE_FLOOR) / (DENSE_FULL - DENSE_FLOOR)))


def _retrieve(
    runtime: Runtime,
    tenant_slug: str,
    session: Session,
    tenant_id: int,
    gaps: Sequence[Gap],
    labels: Mapping[int, str],
) -> dict[int, dict[int, float]]:
    """skill id -> {unit id: relevance 0..1} from dense search with the skill's stored vector and BM25 on
    its labels. The two rankings are fused (reciprocal rank fusion) to pick the shortlist; a unit's
    relevance is its strongest raw signal, so a weak match stays weak whatever its rank."""
    snapshot = runtime.snapshot(tenant_slug)
    skills = tax.get_skills(session, tenant_id, [g.skill_id for g in gaps])
    lexical = runtime.lexical(tenant_slug)
    found: dict[int, dict[int, float]] = {}
    for gap in gaps:
        skill = skills.get(gap.skill_id)
        if skill is None:
            continue
        signal: dict[int, float] = {}
        rankings: list[list[int]] = []
        if snapshot is not None and skill.embedding is not None:
            vector = vectors_from_bytes([skill.embedding], len(skill.embedding) // 4)
            hits = [h for h in snapshot.search(vector, DENSE_K)[0] if h.score >= DENSE_FLOOR]
            rankings.append([h.unit_id for h in hits])
            for hit in hits:
                signal[hit.unit_id] = _dense_relevance(hit.score)
        if lexical is not None:
            query = " ".join(filter(None, {skill.label_en, skill.label_nl, labels.get(gap.skill_id)}))
            scored = lexical.search(query, LEXICAL_K)
            best = scored[0][1] if scored else 0.0
            kept = [
                (unit_id, score / best) for unit_id, score in scored if best and score >= LEXICAL_FLOOR * best
            ]
            rankings.append([unit_id for unit_id, _ in kept])
            for unit_id, share in kept:
                signal[unit_id] = max(signal.get(unit_id, 0.0), share)
        fused = reciprocal_rank_fusion([r for r in rankings if r])[:RETRIEVED_PER_GAP]
        found[gap.skill_id] = {unit_id: RETRIEVED_WEIGHT * signal[unit_id] for unit_id, _ in fused}
    return found


def _candidate(unit: MicroUnit, skill_id: int, relevance: float) -> Candidate:
    item = unit.item
    return Candidate(
        unit_id=unit.id,
        item_id=item.id,
        skill_id=skill_id,
        relevance=min(1.0, relevance),
        minutes=max(1, unit.minutes),
        language=item.language,
        format=item.format,
        level=item.level,
        rating=item.rating,
        updated_at=item.source_updated_at or item.updated_at,
        position=unit.position,
        title=unit.title if unit.title == item.title else f"{item.title}: {unit.title}",
    )


def gather_candidates(
    runtime: Runtime,
    tenant_slug: str,
    session: Session,
    tenant_id: int,
    gaps: Sequence[Gap],
    labels: Mapping[int, str],
) -> tuple[list[Candidate], dict[int, MicroUnit]]:
    """Tagged units and retrieved units for every open gap; one candidate per (unit, gap)."""
    relevance: dict[tuple[int, int], float] = {}
    units: dict[int, MicroUnit] = {}
    for skill_id, confidence, unit in tax.tagged_units(session, tenant_id, [g.skill_id for g in gaps]):
        units[unit.id] = unit
        relevance[(unit.id, skill_id)] = max(confidence, relevance.get((unit.id, skill_id), 0.0))
    retrieved = _retrieve(runtime, tenant_slug, session, tenant_id, gaps, labels)
    missing = {unit_id for hits in retrieved.values() for unit_id in hits} - set(units)
    units.update(repo.units_with_items(session, tenant_id, sorted(missing)))
    for skill_id, hits in retrieved.items():
        for unit_id, score in hits.items():
            if unit_id in units:
                relevance[(unit_id, skill_id)] = max(score, relevance.get((unit_id, skill_id), 0.0))
    candidates = [
        _candidate(units[unit_id], skill_id, score) for (unit_id, skill_id), score in relevance.items()
    ]
    return candidates, units


def plan_path(
    runtime: Runtime, tenant_slug: str, session: Session, tenant_id: int, plan: PlanInput, now: datetime
) -> dict[str, Any]:
    """Rank candidates and build the path; returns the response body (without path_id)."""
    open_gaps = [g for g in plan.gaps if g.gap > 0]
    by_skill = {g.skill_id: g for g in open_gaps}
    candidates, units = gather_candidates(runtime, tenant_slug, session, tenant_id, open_gaps, plan.labels)
    ranked = score_candidates(candidates, by_skill, plan.learner, now)
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
    )
    steps = []
    for step in path.steps:
        unit = units[step.unit_id]
        item = unit.item
        steps.append(
            {
                "item_id": item.id,
                "unit_id": unit.id,
                "title": step.title,
                "url": unit_url(item.url, unit.anchor),
                "minutes": step.minutes,
                "week": step.week,
                "language": item.language,
                "format": item.format,
                "addresses": [
                    {
                        "skill": plan.labels.get(skill_id, str(skill_id)),
                        "skill_id": skill_id,
                        "gap": round(amount, 2),
                    }
                    for skill_id, amount in step.addresses
                ],
                "why": step.why,
                "score": round(step.score, 4),
                "source": item.source,
                "external_id": item.external_id,
                "activity_id": activity_id(item.source, item.external_id, unit.position),
            }
        )
    gap_by_skill = {g.skill_id: g for g in plan.gaps}
    return {
        "steps": steps,
        "covered_gaps": [
            {"skill_id": s, "skill": plan.labels.get(s, str(s)), "gap": gap_by_skill[s].gap}
            for s in path.covered
        ],
        "uncovered_gaps": [
            {
                "skill_id": u.skill_id,
                "skill": plan.labels.get(u.skill_id, str(u.skill_id)),
                "gap": gap_by_skill[u.skill_id].gap,
                "reason": u.reason,
            }
            for u in path.uncovered
        ],
        "total_minutes": path.total_minutes,
        "budget_minutes": plan.budget.total,
        "covered_priority_share": round(path.covered_priority_share, 4),
        "model_version": MODEL_VERSION,
    }


def store_path(
    session: Session,
    tenant_id: int,
    employee: Employee | None,
    request: dict[str, Any],
    body: dict[str, Any],
    index_version: int | None,
) -> str:
    key = uuid.uuid4().hex
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
        ),
    )
    return key


def learner_for(employee: Employee | None, languages: Sequence[str] | None) -> Learner:
    """Languages: the request's, else the employee's own first and English as fallback."""
    preferences = dict(employee.preferences or {}) if employee else {}
    own = employee.language if employee else "en"
    chosen = tuple(languages) if languages else tuple(dict.fromkeys([own, *preferences.get("languages", [])]))
    formats = tuple(str(f) for f in preferences.get("formats", []) if isinstance(f, str))
    return Learner(languages=chosen or ("en",), formats=formats)
