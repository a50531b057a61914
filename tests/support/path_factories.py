"""Small builders for ranking and path tests: every field has a dull default, tests set what matters."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np

from recommender.gaps import Gap
from recommender.ranking import Candidate, Learner, ScoredCandidate

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEVELS = ("beginner", "intermediate", "advanced", None)


def gap(
    skill_id: int,
    required: int = 4,
    current: float = 2.0,
    importance: float = 1.0,
    confidence: float = 0.5,
) -> Gap:
    size = round(max(0.0, required - current), 2)
    return Gap(
        skill_id=skill_id,
        required=required,
        current=current,
        gap=size,
        importance=importance,
        priority=round(importance * size * (0.5 + 0.5 * confidence), 4),
        confidence=confidence,
        evidence_count=1,
        has_content=True,
    )


def cand(
    unit_id: int,
    skill_id: int = 1,
    *,
    item_id: int | None = None,
    relevance: float = 0.8,
    minutes: int = 10,
    language: str = "nl",
    format: str = "video",
    level: str | None = "intermediate",
    rating: float | None = 4.0,
    updated_days_ago: float | None = 100.0,
    position: int = 0,
    title: str | None = None,
    vector: np.ndarray | None = None,
    evidence: str = "similarity",
    evidence_detail: str = "",
) -> Candidate:
    return Candidate(
        unit_id=unit_id,
        item_id=unit_id if item_id is None else item_id,
        skill_id=skill_id,
        relevance=relevance,
        minutes=minutes,
        language=language,
        format=format,
        level=level,
        rating=rating,
        updated_at=None if updated_days_ago is None else NOW - timedelta(days=updated_days_ago),
        position=position,
        title=f"Unit {unit_id}" if title is None else title,
        vector=vector,
        evidence=evidence,
        evidence_detail=evidence_detail,
    )


def scored(
    candidate: Candidate, score: float = 0.7, reasons: tuple[str, ...] = ("language:nl",)
) -> ScoredCandidate:
    return ScoredCandidate(candidate=candidate, score=score, reasons=reasons, features={})


DUTCH = Learner(languages=("nl",))


def random_case(rng: random.Random) -> tuple[list[Gap], list[ScoredCandidate]]:
    """A random set of gaps and scored units: some units serve two gaps, some items have parts,
    some gaps have nothing."""
    skills = list(range(1, rng.randint(1, 6) + 1))
    gaps = [
        gap(
            s,
            required=rng.randint(1, 5),
            current=round(rng.uniform(0, 0.9), 2),
            importance=rng.choice([0.5, 1.0]),
        )
        for s in skills
    ]
    entries: list[ScoredCandidate] = []
    unit_id = 0
    for item_id in range(1, rng.randint(0, 14) + 1):
        level = rng.choice(LEVELS)
        for position in range(rng.choice([1, 1, 1, 2, 3])):
            unit_id += 1
            minutes = rng.choice([3, 5, 8, 10, 12, 15, 20, 30, 45, 60, 90])
            for skill in rng.sample(skills, rng.choice([1, 1, 1, 2]) if len(skills) > 1 else 1):
                c = cand(
                    unit_id,
                    skill,
                    item_id=item_id,
                    relevance=round(rng.uniform(0.05, 1.0), 2),
                    minutes=minutes,
                    level=level,
                    position=position,
                )
                entries.append(scored(c, score=round(rng.uniform(0.2, 1.0), 3)))
    return gaps, entries
