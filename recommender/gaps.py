"""The skills-gap model: evidence of an employee's level in, ranked gaps against a role profile out.

Pure Python (stdlib only) so that the service, the reports and the model-behaviour tests all use the
same arithmetic. The model is deliberately simple enough to explain to an employee or a works
council; docs/skills-model.md describes it in plain language.

Estimator. Each piece of evidence gets a weight = source weight x recency weight, where the source
weight says how much we trust that kind of evidence (a test more than a self-rating) and the
recency weight halves every HALF_LIFE_DAYS (skills change; old evidence says less). Then:

    level      = sum(w_i * level_i) / W                     with W = sum(w_i)
    sd         = sqrt(sum(w_i * (level_i - level)^2) / W)   (weighted spread of the evidence)
    confidence = (1 - exp(-W / CONFIDENCE_SCALE)) / (1 + sd)

A weighted mean rather than "latest wins" or "maximum" so that one odd data point moves the
estimate without replacing it, and so that the monotonicity argument in `compute_gaps` holds.

Gaps. gap = max(0, required - current) and

    priority = importance * gap * (0.5 + 0.5 * confidence)

Importance multiplies, so at equal size and confidence an essential skill outranks an optional one
and at equal importance a larger gap outranks a smaller one. Confidence only scales between one
half and one, so a doubtful gap is discounted but never hidden: a two-level gap nobody has assessed
(confidence 0.1) still outranks a certain one-level gap of the same importance.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

LEVELS: dict[int, str] = {
    0: "no exposure",
    1: "aware: knows the terms",
    2: "novice: does simple tasks with help",
    3: "competent: works independently on routine tasks",
    4: "proficient: handles complex cases and helps others",
    5: "expert: sets the standard, teaches, shapes practice",
}
MIN_LEVEL = 0
MAX_LEVEL = 5

SOURCES = ("self", "manager", "test", "360", "badge", "completion")

# How much one piece of fresh evidence counts, by source. An observed test is the most direct
# measurement; a manager sees the work; a 360 averages colleagues who see parts of it; finishing a
# course shows exposure more than mastery; a self-rating is known to be the least calibrated. A
# verified badge from another issuer (service/badges) attests an assessment made elsewhere, by criteria
# the company did not set: more than finishing a course, less than colleagues who see the work.
SOURCE_WEIGHTS: dict[str, float] = {
    "test": 1.0,
    "manager": 0.8,
    "360": 0.7,
    "badge": 0.6,
    "completion": 0.5,
    "self": 0.4,
}

HALF_LIFE_DAYS = 365.0  # evidence a year old counts half, two years old a quarter
CONFIDENCE_SCALE = 1.5  # total weight at which confidence (before disagreement) reaches 1 - 1/e ~ 0.63
NO_EVIDENCE_CONFIDENCE = 0.1  # the confidence of "level 0" assumed for a skill nobody has assessed
_SECONDS_PER_DAY = 86_400.0


def _check_aware(value: object, what: str) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got the naive datetime {value.isoformat()})")


def _check_level(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what} must be a number from {MIN_LEVEL} to {MAX_LEVEL}, got {value!r}")
    if not MIN_LEVEL <= float(value) <= MAX_LEVEL:  # also refuses NaN
        raise ValueError(f"{what} must be from {MIN_LEVEL} to {MAX_LEVEL}, got {value!r}")


@dataclass(frozen=True)
class Evidence:
    """One observation of an employee's level in one skill. Validated on creation, so bad input
    fails where it enters rather than deep inside a ranking."""

    level: float
    source: str
    observed_at: datetime

    def __post_init__(self) -> None:
        _check_level(self.level, "evidence level")
        if self.source not in SOURCE_WEIGHTS:
            raise ValueError(f"unknown evidence source {self.source!r}; expected one of {', '.join(SOURCES)}")
        _check_aware(self.observed_at, "evidence observed_at")


@dataclass(frozen=True)
class LevelEstimate:
    """The estimated current level of one skill and how sure we are of it."""

    level: float
    confidence: float
    evidence_count: int
    sources: tuple[str, ...]


def _weight(item: Evidence, now: datetime) -> float:
    """Source weight times recency. Evidence dated after `now` (clock skew, a test booked ahead)
    counts as fresh rather than as more than fresh."""
    age_days = max(0.0, (now - item.observed_at).total_seconds() / _SECONDS_PER_DAY)
    return SOURCE_WEIGHTS[item.source] * math.pow(0.5, age_days / HALF_LIFE_DAYS)


def estimate_level(evidence: Sequence[Evidence], now: datetime) -> LevelEstimate | None:
    """Combine all evidence for one skill into a level and a confidence; None when there is none.

    Confidence rises with the total weight of the evidence (more, fresher, better sources) and
    falls with its spread: three tests that agree say more than three that contradict each other.
    """
    _check_aware(now, "now")
    if not evidence:
        return None
    for item in evidence:
        if not isinstance(item, Evidence):
            raise ValueError(f"evidence must be Evidence objects, got {type(item).__name__}")
    weights = [_weight(item, now) for item in evidence]
    total = math.fsum(weights)
    if total <= 0.0:
        # Only reachable with evidence so old that its weight underflows to zero (thousands of
        # years): fall back to an unweighted mean, which knows nothing and says so.
        weights = [1e-300] * len(evidence)
        total = math.fsum(weights)
    mean = math.fsum(w * item.level for w, item in zip(weights, evidence, strict=True)) / total
    mean = min(float(MAX_LEVEL), max(float(MIN_LEVEL), mean))  # guards float noise only
    variance = (
        math.fsum(w * (item.level - mean) ** 2 for w, item in zip(weights, evidence, strict=True)) / total
    )
    spread = math.sqrt(max(0.0, variance))
    confidence = (1.0 - math.exp(-total / CONFIDENCE_SCALE)) / (1.0 + spread)
    present = {item.source for item in evidence}
    return LevelEstimate(
        level=mean,
        confidence=confidence,
        evidence_count=len(evidence),
        sources=tuple(source for source in SOURCES if source in present),
    )


@dataclass(frozen=True)
class Requirement:
    """One skill a role needs, at which level, and how much it matters (essential 1.0, optional 0.5)."""

    skill_id: int
    level: int
    importance: float

    def __post_init__(self) -> None:
        if isinstance(self.level, bool) or not isinstance(self.level, numbers.Integral):
            raise ValueError(
                f"required level of skill {self.skill_id} must be a whole number from {MIN_LEVEL} to "
                f"{MAX_LEVEL}, got {self.level!r}"
            )
        _check_level(self.level, f"required level of skill {self.skill_id}")
        if isinstance(self.importance, bool) or not isinstance(self.importance, numbers.Real):
            raise ValueError(f"importance of skill {self.skill_id} must be a number from 0 to 1")
        if not 0.0 <= float(self.importance) <= 1.0:
            raise ValueError(
                f"importance of skill {self.skill_id} must be from 0 to 1, got {self.importance!r}"
            )


@dataclass(frozen=True)
class Gap:
    """How far one employee is from what their role needs in one skill, ready to rank and show."""

    skill_id: int
    required: int
    current: float
    gap: float
    importance: float
    priority: float
    confidence: float
    evidence_count: int
    has_content: bool


def _priority(importance: float, gap: float, confidence: float) -> float:
    """Importance-weighted size; confidence scales it between one half and one, never to zero."""
    return importance * gap * (0.5 + 0.5 * confidence)


def compute_gaps(
    requirements: Sequence[Requirement],
    estimates: Mapping[int, LevelEstimate],
    covered_skills: Collection[int] | None = None,
    include_closed: bool = False,
) -> list[Gap]:
    """Turn a role profile and level estimates into gaps, highest priority first.

    A skill without an estimate counts as level 0 with confidence NO_EVIDENCE_CONFIDENCE: nobody
    has shown the skill, so the whole requirement is open, but we say we are unsure.

    Why new evidence at or above the target never widens a gap (tested in tests/model): let the
    current estimate c be the weighted mean of the old evidence, total weight W, and add a point
    x >= t (the target) with weight w > 0. Recency weights depend only on each point's own date and
    `now`, so the old weights do not change, and the new mean is c' = (W*c + w*x) / (W + w), a
    convex combination of c and x, so c' lies between them. If c >= t, then c' >= min(c, x) >= t
    and the gap stays 0. If c < t <= x, then c' >= c and the gap t - c' <= t - c. With no old
    evidence c' = x >= t and the gap goes from t to 0. Rounding to 2 decimals is non-decreasing,
    so it keeps the order.
    """
    seen: set[int] = set()
    gaps: list[Gap] = []
    for requirement in requirements:
        if requirement.skill_id in seen:
            raise ValueError(
                f"skill {requirement.skill_id} is required more than once; merge the requirements first"
            )
        seen.add(requirement.skill_id)
        estimate = estimates.get(requirement.skill_id)
        has_content = covered_skills is None or requirement.skill_id in covered_skills
        if estimate is None:
            gap = _unevidenced_gap(requirement, has_content)
        else:
            gap = _gap(requirement, estimate.level, estimate.confidence, estimate.evidence_count, has_content)
        if gap.gap == 0.0 and not include_closed:
            continue
        gaps.append(gap)
    gaps.sort(key=lambda g: (-g.priority, -g.importance, g.skill_id))
    return gaps


def _gap(requirement: Requirement, current: float, confidence: float, count: int, has_content: bool) -> Gap:
    size = round(max(0.0, requirement.level - current), 2)
    importance = float(requirement.importance)
    return Gap(
        skill_id=requirement.skill_id,
        required=int(requirement.level),
        current=round(current, 2),
        gap=size,
        importance=importance,
        priority=round(_priority(importance, size, confidence), 4),
        confidence=round(confidence, 3),
        evidence_count=count,
        has_content=has_content,
    )


@lru_cache(maxsize=4096)
def _unevidenced_gap(requirement: Requirement, has_content: bool) -> Gap:
    """The gap of a skill without evidence depends on the requirement alone, and most of a role's
    skills have none for most employees: a report of 5,000 people builds each once (a Gap is frozen,
    so sharing one is safe)."""
    return _gap(requirement, 0.0, NO_EVIDENCE_CONFIDENCE, 0, has_content)
