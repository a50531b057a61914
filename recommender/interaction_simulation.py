"""Simulated learning feedback: employees shown weekly paths, and what they then did with each unit.

Leerpad has no real learning history to train the ranking model on yet, so the retraining machinery
(`recommender.training`) is exercised on simulated feedback. It is used by the model-behaviour tests
(tests/model/test_learning_behaviour.py) and the evaluation notebook. Pure (numpy and the
recommender's own code), no I/O, and deterministic: the same seed and sizes give the same data.

What is simulated. A catalog of CATALOG_SIZE micro-units over SKILLS skills, each with a random
length (5 to 45 minutes), language, format, level, rating and age. Each employee has a preferred
format (which the ranking knows: `Learner.formats`), reads Dutch and English or English only, and
has gaps in GAPS_PER_EMPLOYEE skills. Every week each employee is shown a path: POOL of the units for
their gaps, with a random relevance, are ranked by the real `recommender.ranking.score_candidates`,
and the top PER_PATH are shown (an `Impression` with the feature dict the ranking gave). What the
employee then does is drawn per shown unit:

    completed (within 0.5 to 10 days)   with chance `completion_chance` (or NOISE_COMPLETION)
    otherwise dismissed (within 3 days) with chance DISMISS_CHANCE
    otherwise nothing                   (a weak negative once the labelling window is over)

as xAPI-style `LearningEvent`s, which `recommender.interactions.label_interactions` labels exactly as it
labels real statements.

The hidden preference. The employees' true behaviour (`completion_chance`) is not the rules'
weighted mean; it is a logistic model that the ranking weights get wrong on purpose:

    z = -3.2 + 3.0 [unit in the preferred format] + 1.0 [unit of 10 minutes or less]
             + 2.0 (level feature - 0.5) + 0.5 relevance

- they complete units in their own format far more often than the format weight (0.05) says;
- they complete short units more often, but length is not a ranking feature, so no model over the
  ranking features can learn this part (a deliberate blind spot);
- units at their level (the level feature) help, as the rules assume;
- relevance matters much less than its weight (0.30) says, and language, priority, quality and
  freshness do not matter at all.

The rules therefore rank mostly by relevance, and a learned model has something real to find. With
`noise=True` completion has nothing to do with the unit (NOISE_COMPLETION for every unit): there is
nothing to find, which is what a retraining run must not mistake for a gain.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from recommender.gaps import Gap
from recommender.interactions import Impression, Interaction, LearningEvent, label_interactions
from recommender.ranking import Candidate, Learner, score_candidates

START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)  # a Monday morning
EMPLOYEES = 60
WEEKS = 8
PER_PATH = 12  # units shown per weekly path
POOL = 25  # candidates ranked per weekly path
CATALOG_SIZE = 300
SKILLS = 8
GAPS_PER_EMPLOYEE = 3
FORMATS: tuple[str, ...] = ("video", "article", "podcast", "exercise")
LEVELS: tuple[str | None, ...] = ("beginner", "intermediate", "advanced", None)
MINUTES: tuple[int, ...] = (5, 10, 15, 30, 45)
LANGUAGES: tuple[str, ...] = ("nl", "en")
WINDOW = timedelta(days=14)  # labelling window: events within two weeks of a unit being shown count
LABEL_DELAY = timedelta(weeks=4)  # labels are read this long after the last path, so every window is over
XAPI_VERBS = "http://adlnet.gov/expapi/verbs/"

# The employees' true behaviour (see the module docstring): logit coefficients.
TRUE_INTERCEPT = -3.2
TRUE_PREFERRED_FORMAT = 3.0
TRUE_SHORT_UNIT = 1.0
SHORT_MINUTES = 10
TRUE_LEVEL = 2.0
TRUE_RELEVANCE = 0.5
NOISE_COMPLETION = 0.3  # with noise=True, every shown unit is completed with this chance
DISMISS_CHANCE = 0.3  # of a unit not completed


@dataclass(frozen=True)
class SimulatedLog:
    """What the service would have stored: impressions, learning events, and when they are labelled."""

    impressions: list[Impression]
    events: list[LearningEvent]
    labelled_at: datetime


def _gap(rng: np.random.Generator, skill: int) -> Gap:
    required, current, importance = (
        int(rng.integers(3, 6)),
        float(rng.uniform(0, 2.5)),
        float(rng.uniform(0.3, 1)),
    )
    size = round(required - current, 2)
    return Gap(
        skill_id=skill,
        required=required,
        current=current,
        gap=size,
        importance=importance,
        priority=round(importance * size * 0.75, 4),
        confidence=0.5,
        evidence_count=1,
        has_content=True,
    )


def _catalog(rng: np.random.Generator, start: datetime) -> list[Candidate]:
    return [
        Candidate(
            unit_id=unit,
            item_id=unit,
            skill_id=int(rng.integers(1, SKILLS + 1)),
            relevance=0.0,  # set per path: how well a unit matches depends on the search
            minutes=int(rng.choice(MINUTES)),
            language=str(rng.choice(LANGUAGES)),
            format=str(rng.choice(FORMATS)),
            level=LEVELS[int(rng.integers(0, len(LEVELS)))],
            rating=None if rng.random() < 0.2 else round(float(rng.uniform(2.5, 5.0)), 1),
            updated_at=start - timedelta(days=float(rng.uniform(0, 1500))),
            position=0,
            title=f"unit {unit}",
        )
        for unit in range(1, CATALOG_SIZE + 1)
    ]


def completion_chance(candidate: Candidate, features: Mapping[str, float], preferred_format: str) -> float:
    """The chance that an employee who prefers `preferred_format` completes a shown unit: the hidden
    preference of the module docstring, from the unit and the ranking features it was shown with."""
    z = (
        TRUE_INTERCEPT
        + TRUE_PREFERRED_FORMAT * (candidate.format == preferred_format)
        + TRUE_SHORT_UNIT * (candidate.minutes <= SHORT_MINUTES)
        + TRUE_LEVEL * (features["level"] - 0.5)
        + TRUE_RELEVANCE * features["relevance"]
    )
    return 1.0 / (1.0 + math.exp(-z))


def simulate_log(
    seed: int,
    start: datetime = START,
    noise: bool = False,
    *,
    employees: int = EMPLOYEES,
    weeks: int = WEEKS,
    per_path: int = PER_PATH,
    pool: int = POOL,
) -> SimulatedLog:
    """Impressions and xAPI events of `employees` employees, each shown a path every week for `weeks`
    weeks from `start` (each employee at their own hour within the first two days of the week)."""
    if employees < 1 or weeks < 1 or per_path < 1 or pool < 1:
        raise ValueError("employees, weeks, per_path and pool must be at least 1")
    rng = np.random.default_rng(seed)
    catalog = _catalog(rng, start)
    impressions: list[Impression] = []
    events: list[LearningEvent] = []
    for number in range(employees):
        employee = f"emp-{number:03d}"
        preferred_format = str(rng.choice(FORMATS))
        learner = Learner(languages=LANGUAGES if rng.random() < 0.7 else ("en",), formats=(preferred_format,))
        skills = rng.choice(np.arange(1, SKILLS + 1), size=GAPS_PER_EMPLOYEE, replace=False)
        gaps = {int(s): _gap(rng, int(s)) for s in skills}
        mine = [unit for unit in catalog if unit.skill_id in gaps]
        offset = timedelta(hours=float(rng.uniform(0, 48)))
        for week in range(weeks):
            shown_at = start + timedelta(weeks=week) + offset
            picks = rng.choice(len(mine), size=min(pool, len(mine)), replace=False)
            candidates = [
                dataclasses.replace(mine[int(i)], relevance=float(rng.uniform(0.3, 1.0))) for i in picks
            ]
            for scored in score_candidates(candidates, gaps, learner, shown_at)[:per_path]:
                unit = scored.candidate
                impressions.append(Impression(employee, unit.unit_id, scored.features, shown_at))
                chance = (
                    NOISE_COMPLETION if noise else completion_chance(unit, scored.features, preferred_format)
                )
                if rng.random() < chance:
                    later = shown_at + timedelta(days=float(rng.uniform(0.5, 10)))
                    events.append(LearningEvent(employee, unit.unit_id, XAPI_VERBS + "completed", later))
                elif rng.random() < DISMISS_CHANCE:
                    later = shown_at + timedelta(days=float(rng.uniform(0, 3)))
                    events.append(LearningEvent(employee, unit.unit_id, XAPI_VERBS + "dismissed", later))
    return SimulatedLog(impressions, events, start + timedelta(weeks=weeks) + LABEL_DELAY)


def simulate(
    seed: int,
    start: datetime = START,
    noise: bool = False,
    *,
    employees: int = EMPLOYEES,
    weeks: int = WEEKS,
    per_path: int = PER_PATH,
    pool: int = POOL,
) -> list[Interaction]:
    """`simulate_log`, labelled by `label_interactions` with a WINDOW-long window once every window is
    over: one interaction per impression, sorted by time, employee and unit.

    With `noise`, whether a unit is completed has nothing to do with the unit (NOISE_COMPLETION).
    """
    log = simulate_log(seed, start, noise, employees=employees, weeks=weeks, per_path=per_path, pool=pool)
    return label_interactions(log.impressions, log.events, WINDOW, now=log.labelled_at)
