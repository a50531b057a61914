"""Learning paths: candidates per gap (stored tags, and dense and lexical retrieval fused: see
service.paths.retrieval), ranked (by the rules, or by the tenant's active learned model), fitted into
the time budget, stored with the model version and the impressions (each step's ranking features)
that retraining learns from.

A path request reads no catalog row: what it needs of every unit is in the snapshot's catalog columns
and the tag table kept beside them (`Runtime.catalog`), and it works on their row numbers
(recommender.candidate_table) until the few units it shows. Only the employee's own evidence and
history come from the database.
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
from models import taxonomy_repository as tax
from models.tables import Employee, LearningPath, Role, Skill
from recommender.candidate_table import CandidateTable, rank_table, shortlist
from recommender.errors import LeerpadError
from recommender.explanations import CONFIRMED, DECLARED, LABEL, explain_uncovered
from recommender.feedback import NO_HISTORY, History
from recommender.gaps import Gap, LevelEstimate, Requirement, compute_gaps
from recommender.paths import Budget, PathStep, build_path
from recommender.ranking import Learner, ScoredCandidate
from recommender.ranking_model import score_feature_matrix
from recommender.tagging import language_code
from service.core.activities import activity_id, unit_url
from service.core.runtime import Runtime
from service.events.feedback import learning_history
from service.paths.process_cache import process_cache
from service.paths.request_catalog import RequestCatalog, request_catalog
from service.paths.retrieval import label_variants, retrieved_signals
from service.paths.schemas import AdHocSkill
from service.paths.step_relevance import step_relevance_bar
from service.people.employees import DEFAULT_WEEKS, stored_preference, weekly_goal
from service.people.gaps import ContentCheck, employee_gaps

MODEL_VERSION = "rules-1"  # the hand-set ranking weights; retrained rankers get their own versions
SHORTLIST_PER_GAP = 8
NO_TAG = -1  # a candidate found by retrieval, not by a stored tag


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


def content_check(runtime: Runtime, tenant_slug: str, session: Session, tenant_id: int) -> ContentCheck:
    """Which skills have content, by the same evidence and bar as a path's steps: a stored tag, or a
    unit retrieval finds now (label in a title, meaning). So /gaps `has_content` and the reports'
    uncovered skills never call a gap empty that a path fills, nor the other way round."""

    def check(skill_ids: Sequence[int]) -> set[int]:
        catalog = request_catalog(runtime, session, tenant_id)
        tagged = catalog.tags.covered(skill_ids, step_relevance_bar(session, tenant_id))
        rest = [s for s in skill_ids if s not in tagged]
        if not rest:
            return tagged
        candidates = gather_candidates(runtime, tenant_slug, session, tenant_id, catalog, rest, {})
        return tagged | set(candidates.skills.tolist())

    return check


@dataclass(frozen=True)
class SkillCandidates:
    """One skill's candidates: catalog rows, relevance, evidence kind and detail, in step."""

    rows: tuple[int, ...]
    relevance: tuple[float, ...]
    evidence: tuple[str, ...]
    detail: tuple[str, ...]


NO_CANDIDATES = SkillCandidates((), (), (), ())
CACHED_SKILL_PARTS = 4096  # (skill, languages) pairs a process keeps: a few hundred per company


def _tag_detail(evidence: str, phrase: str, confidence: float, label: str) -> str:
    """What a step's `why` quotes for a stored tag: the text's own words for a label tag (empty for a
    tag made before they were kept: the explanation then says "or another name for it"), the skill's
    label for a declared or confirmed one, the confidence for an embedding tag."""
    if evidence == LABEL:
        return phrase
    if evidence in (DECLARED, CONFIRMED):
        return label
    return f"{confidence:.2f}"


def gather_candidates(
    runtime: Runtime,
    tenant_slug: str,
    session: Session,
    tenant_id: int,
    catalog: RequestCatalog,
    skill_ids: Sequence[int],
    labels: Mapping[int, str],
    languages: Sequence[str] = (),
    text_skills: Mapping[int, str] | None = None,
) -> CandidateTable:
    """Tagged units (those in `languages` first) and retrieved units for every skill of `skill_ids`
    (taxonomy ids, and the negative ids of `text_skills`); one candidate per (unit, skill), carrying
    the evidence of its strongest signal. Only candidates as relevant as the tenant's bar
    (service.paths.step_relevance) are kept: every step must clearly teach its gap. Every fact about
    a unit comes from the catalog's columns: no catalog row is read.

    What a skill gets does not depend on the employee but through their languages, so each skill's
    part is kept per process (service.paths.process_cache) under everything it is made of: the
    snapshot and tags versions, the encoder, the bar, the languages and the skill's label."""
    text_skills = text_skills or {}
    bar = step_relevance_bar(session, tenant_id)
    cache = process_cache(runtime, "skill candidates", CACHED_SKILL_PARTS)
    wanted = tuple(sorted(set(languages)))

    def key(skill_id: int) -> tuple[object, ...]:
        label = labels.get(skill_id, ""), text_skills.get(skill_id, "")
        return (
            tenant_slug,
            catalog.version,
            catalog.tags_version,
            runtime.encoder_model,
            bar,
            wanted,
            skill_id,
            label,
        )

    parts: dict[int, SkillCandidates] = {}
    missing: list[int] = []
    for skill_id in skill_ids:
        cached = cache.get(key(skill_id)) if catalog.version >= 0 else None
        if isinstance(cached, SkillCandidates):
            parts[skill_id] = cached
        else:
            missing.append(skill_id)
    if missing:
        found = _gather(
            runtime, tenant_slug, session, tenant_id, catalog, missing, labels, wanted, text_skills, bar
        )
        for skill_id in missing:
            parts[skill_id] = found.get(skill_id, NO_CANDIDATES)
            if catalog.version >= 0:
                cache.put(key(skill_id), parts[skill_id])
    ordered = [(skill_id, parts[skill_id]) for skill_id in dict.fromkeys(skill_ids)]
    return CandidateTable(
        rows=np.array([row for _, part in ordered for row in part.rows], dtype=np.int64),
        skills=np.array([skill_id for skill_id, part in ordered for _ in part.rows], dtype=np.int64),
        relevance=np.array([value for _, part in ordered for value in part.relevance], dtype=np.float64),
        evidence=[value for _, part in ordered for value in part.evidence],
        detail=[value for _, part in ordered for value in part.detail],
    )


def _gather(
    runtime: Runtime,
    tenant_slug: str,
    session: Session,
    tenant_id: int,
    catalog: RequestCatalog,
    skill_ids: Sequence[int],
    labels: Mapping[int, str],
    languages: Sequence[str],
    text_skills: Mapping[int, str],
    bar: float,
) -> dict[int, SkillCandidates]:
    """`gather_candidates` for the skills no cache held: per skill, its candidates as the bar keeps them."""
    columns, tags = catalog.columns, catalog.tags
    tagged = tags.best(columns, [s for s in skill_ids if s > 0], languages, tax.TAGGED_UNITS_PER_SKILL)
    # (row, skill) -> (relevance, tag entry or NO_TAG, evidence, detail); a tag's words are looked up
    # only for the candidates kept
    found: dict[tuple[int, int], tuple[float, int, str, str]] = {
        (row, skill): (confidence, entry, "", "")
        for row, skill, confidence, entry in zip(
            tagged.rows.tolist(),
            tagged.skills.tolist(),
            tagged.confidence.tolist(),
            tagged.entries.tolist(),
            strict=True,
        )
    }
    retrieved = retrieved_signals(
        runtime, tenant_slug, session, tenant_id, columns, catalog.version, skill_ids, labels, text_skills
    )
    for skill_id, signals in retrieved.items():
        for signal in signals:
            if (int(columns.item_id[signal.row]), skill_id) in tags.rejected:
                continue  # L&D said the item does not teach it, whatever its text names
            if signal.relevance > found.get((signal.row, skill_id), (0.0, NO_TAG, "", ""))[0]:
                found[(signal.row, skill_id)] = (signal.relevance, NO_TAG, signal.evidence, signal.detail)
    parts: dict[int, tuple[list[int], list[float], list[str], list[str]]] = {}
    for (row, skill_id), (relevance, entry, evidence, detail) in found.items():
        if relevance < bar:
            continue
        if entry != NO_TAG:
            evidence = tags.evidence_of(entry)
            detail = _tag_detail(evidence, tags.phrase_of(entry), relevance, labels.get(skill_id, ""))
        rows, relevances, evidences, details = parts.setdefault(skill_id, ([], [], [], []))
        rows.append(row)
        relevances.append(min(1.0, relevance))
        evidences.append(evidence)
        details.append(detail)
    return {
        skill_id: SkillCandidates(tuple(rows), tuple(relevances), tuple(evidences), tuple(details))
        for skill_id, (rows, relevances, evidences, details) in parts.items()
    }


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
    catalog = request_catalog(runtime, session, tenant_id)
    candidates = gather_candidates(
        runtime,
        tenant_slug,
        session,
        tenant_id,
        catalog,
        [g.skill_id for g in open_gaps],
        plan.labels,
        plan.learner.languages,
        plan.text_skills,
    )
    model = runtime.ranking_model(session, tenant_id)
    learned = model  # narrowed for the closure
    ranked = rank_table(
        candidates,
        catalog.columns,
        by_skill,
        plan.learner,
        now,
        model=None if learned is None else (lambda matrix: score_feature_matrix(learned, matrix)),
    )
    shortlisted = shortlist(ranked, list(by_skill), SHORTLIST_PER_GAP, catalog.columns, plan.learner, now)
    path = build_path(
        shortlisted,
        open_gaps,
        plan.budget,
        language=plan.language,
        skill_labels=plan.labels,
        excluded_by_language=ranked.excluded_by_language,
        role_name=plan.role_name,
        show_levels=plan.show_levels,
        learner_languages=plan.learner.languages,
        now=now,
        done_in_learner_language=ranked.done_in_language,
    )
    columns = catalog.columns
    step_ids = sorted({step.unit_id for step in path.steps})
    units = {
        unit_id: columns.unit(row)
        for unit_id, row in zip(step_ids, columns.rows_of(step_ids).tolist(), strict=True)
    }
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
                "learning_day": step.learning_day or None,
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
                    done=u.skill_id in ranked.done_in_language,
                ),
            }
            for u in path.uncovered
        ],
        "total_minutes": path.total_minutes,
        "budget_minutes": plan.budget.total,
        "minutes_per_week": plan.budget.minutes_per_week,
        "weeks": plan.budget.weeks,
        "covered_priority_share": round(path.covered_priority_share, 4),
        "learning_days": [
            {
                "date": day.day,
                "week": day.week,
                "minutes": day.minutes,
                "planned_minutes": sum(s.minutes for s in path.steps if s.learning_day == day.day),
            }
            for day in plan.budget.days_in_path
        ],
        "model_version": model.version if model is not None else MODEL_VERSION,
    }
    return PlannedPath(body, _impressions(path.steps, shortlisted))


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
    created_at: datetime | None = None,
) -> str:
    """Keep the path as given (body["path_id"] is set) with its impressions, the training data.
    `created_at`: when it was asked for, if not now (the demo's history plans paths in the past)."""
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
            **({"created_at": created_at} if created_at is not None else {}),
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


def budget_for(employee: Employee | None, minutes_per_week: int | None, weeks: int | None) -> Budget:
    """The request's numbers, else the employee's stored preferences (checked when they were stored,
    see service.people.schemas.EmployeeIn), else 60 minutes a week for 6 weeks."""
    return Budget(
        minutes_per_week if minutes_per_week is not None else weekly_goal(employee),
        weeks if weeks is not None else stored_preference(employee, "weeks", DEFAULT_WEEKS),
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
