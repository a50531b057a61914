"""Labelled interactions: what an employee did with a unit a path showed them, as a training row.

Pure (stdlib): the service reads impressions (which units a path showed, with the ranking features
they had) and learning events from the database and hands them over as the dataclasses below;
docs/ranking-model.md explains the choices for L&D.

Labels (`label_interactions`). An impression is one unit shown to one employee at `shown_at`, with
the feature dict `score_candidates` gave it. Events of that employee on that unit within `window`
after `shown_at` decide its outcome:

    an explicit rating (the last one in the window) decides when there is one:
        scaled score >= RATING_POSITIVE (0.6, three stars of five) -> positive, below -> negative
    otherwise completed or passed                                  -> positive
    otherwise dismissed or failed                                  -> negative
    otherwise, once the window is over                             -> weak negative
    otherwise (window still open, nothing decisive yet)            -> left out: not known yet

Other verbs (registered, launched, progressed, answered, ...) decide nothing. A weak negative counts
as a negative with weight WEAK_NEGATIVE_WEIGHT when training (ignoring a recommendation says less
than dismissing it) and as "not relevant" when evaluating.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

POSITIVE = "positive"
NEGATIVE = "negative"
WEAK_NEGATIVE = "weak_negative"
OUTCOMES: tuple[str, ...] = (POSITIVE, NEGATIVE, WEAK_NEGATIVE)
# Training weight per outcome: an ignored recommendation may simply not have been looked at yet.
OUTCOME_WEIGHTS: Mapping[str, float] = MappingProxyType({POSITIVE: 1.0, NEGATIVE: 1.0, WEAK_NEGATIVE: 0.3})
WEAK_NEGATIVE_WEIGHT = OUTCOME_WEIGHTS[WEAK_NEGATIVE]

POSITIVE_VERBS = frozenset({"completed", "passed", "mastered"})
NEGATIVE_VERBS = frozenset({"dismissed", "failed"})
RATED_VERB = "rated"
RATING_POSITIVE = 0.6  # xAPI result.score.scaled; 3 of 5 stars = 0.6
DEFAULT_WINDOW = timedelta(days=28)  # a recommendation not acted on in four weeks was passed over


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a naive timestamp is read as UTC (the database stores UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _frozen_features(features: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType({str(name): float(value) for name, value in features.items()})


@dataclass(frozen=True)
class Impression:
    """One unit shown to one employee by a path, with the ranking features it had then."""

    employee: str
    unit_id: int
    features: Mapping[str, float] = field(hash=False)
    shown_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", _frozen_features(self.features))
        object.__setattr__(self, "shown_at", _utc(self.shown_at))


@dataclass(frozen=True)
class LearningEvent:
    """What an employee did with a unit: an xAPI verb (an IRI or its last segment), an optional scaled
    score (result.score.scaled, used for "rated") and when."""

    employee: str
    unit_id: int
    verb: str
    at: datetime
    score: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "verb", normalise_verb(self.verb))
        object.__setattr__(self, "at", _utc(self.at))


@dataclass(frozen=True)
class Interaction:
    """A labelled impression: the training and evaluation row."""

    employee: str
    unit_id: int
    features: Mapping[str, float] = field(hash=False)
    shown_at: datetime
    outcome: str

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {self.outcome!r}")
        object.__setattr__(self, "features", _frozen_features(self.features))
        object.__setattr__(self, "shown_at", _utc(self.shown_at))

    @property
    def label(self) -> int:
        """1 for a positive, 0 for a negative or weak negative."""
        return 1 if self.outcome == POSITIVE else 0

    @property
    def weight(self) -> float:
        return OUTCOME_WEIGHTS[self.outcome]


def normalise_verb(verb: str) -> str:
    """'http://adlnet.gov/expapi/verbs/completed' -> 'completed'; 'Dismissed' -> 'dismissed'."""
    text = verb.strip().rstrip("/")
    return text.rsplit("/", 1)[-1].rsplit("#", 1)[-1].strip().lower()


def outcome_of(events: Sequence[LearningEvent]) -> str | None:
    """The outcome the events in one impression's window give, or None when none is decisive."""
    ratings = [e for e in events if e.verb == RATED_VERB and e.score is not None and math.isfinite(e.score)]
    if ratings:
        last = max(ratings, key=lambda e: e.at)
        assert last.score is not None
        return POSITIVE if last.score >= RATING_POSITIVE else NEGATIVE
    if any(e.verb in POSITIVE_VERBS for e in events):
        return POSITIVE
    if any(e.verb in NEGATIVE_VERBS for e in events):
        return NEGATIVE
    return None


def label_interactions(
    impressions: Iterable[Impression],
    events: Iterable[LearningEvent],
    window: timedelta = DEFAULT_WINDOW,
    now: datetime | None = None,
) -> list[Interaction]:
    """Label each impression by the events of its employee on its unit in [shown_at, shown_at + window).

    An event counts for every impression whose window holds it (a unit shown in two weekly paths and
    then completed was a good recommendation both times). An impression with no decisive event is a
    weak negative once its window has ended by `now` (default: the latest timestamp given) and is
    left out before that. The result is sorted by time, employee and unit.
    """
    if window <= timedelta(0):
        raise ValueError(f"window must be positive, got {window}")
    shown = list(impressions)
    by_key: dict[tuple[str, int], list[LearningEvent]] = {}
    for event in events:
        by_key.setdefault((event.employee, event.unit_id), []).append(event)
    if now is None:
        moments = [i.shown_at for i in shown] + [e.at for group in by_key.values() for e in group]
        if not moments:
            return []
        now = max(moments)
    now = _utc(now)

    labelled: list[Interaction] = []
    for impression in shown:
        end = impression.shown_at + window
        in_window = [
            e
            for e in by_key.get((impression.employee, impression.unit_id), ())
            if impression.shown_at <= e.at < end
        ]
        outcome = outcome_of(in_window)
        if outcome is None:
            if now < end:
                continue  # not known yet
            outcome = WEAK_NEGATIVE
        labelled.append(
            Interaction(
                employee=impression.employee,
                unit_id=impression.unit_id,
                features=impression.features,
                shown_at=impression.shown_at,
                outcome=outcome,
            )
        )
    labelled.sort(key=lambda i: (i.shown_at, i.employee, i.unit_id))
    return labelled
