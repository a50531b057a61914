"""What learning events mean for the model: evidence for the gaps, history for the ranking.

Pure (stdlib only). The service reads an employee's events on catalog items as `ItemEvent`s and the
skills each item is tagged with; docs/skills-model.md ("Evidence from learning events") explains
the rules below for L&D and the works council.

Evidence. An item teaches the skills it is tagged with, at the level of the item:

    passed     source "test",       level ITEM_LEVELS[item level]
    failed     source "test",       that level minus one (not below 0)
    completed  source "completion", that level (weight 0.5 in recommender.gaps: exposure, not mastery)
    experienced, rated, dismissed   no evidence: they say nothing about what the employee can do

A statement about one unit of an item counts for the item. Per item, only the latest test result
(passed or failed) and the latest completion count: a passed retake replaces the failure, and
an LMS that reports every unit of a course, or the same completion twice under new ids, does not
multiply the evidence. The score is not used for the level: the pass mark is the LMS's, and a pass
at 60% scaled down would sit below a fail.

History. A completed or passed item is done, so none of its units is planned again; a completed or
passed unit is done, the rest of its item is not. A dismissed unit dismisses its item: the employee
said no to that content, and `recommender.ranking` never brings a dismissed item back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from recommender.gaps import MIN_LEVEL, Evidence

# The level an item's content stands for (docs/skills-model.md: beginner content takes a learner to
# novice, intermediate to competent, advanced to proficient). Unknown or mixed: the middle.
ITEM_LEVELS: dict[str, int] = {"beginner": 2, "intermediate": 3, "advanced": 4}
UNKNOWN_ITEM_LEVEL = 3

TEST_VERBS = frozenset({"passed", "failed"})
COMPLETION_VERBS = frozenset({"completed"})
DONE_VERBS = frozenset({"completed", "passed"})
DISMISSED_VERBS = frozenset({"dismissed"})


@dataclass(frozen=True)
class ItemEvent:
    """One learning event of one employee on a catalog item, or on one unit of it (`about_unit`).

    `unit_id` is None for the whole item, and also for a unit that a re-ingest has since removed."""

    verb: str  # completed, passed, failed, experienced, rated, dismissed
    item_id: int
    unit_id: int | None
    about_unit: bool
    item_level: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class History:
    """What the ranking leaves out: items done or dismissed, and single units done."""

    completed_items: frozenset[int] = frozenset()
    completed_units: frozenset[int] = frozenset()
    dismissed_items: frozenset[int] = frozenset()


NO_HISTORY = History()


def item_level(level: str | None) -> int:
    """The skill level (0 to 5) an item of this catalog level stands for."""
    return ITEM_LEVELS.get((level or "").strip().lower(), UNKNOWN_ITEM_LEVEL)


class EvidenceEvent(Protocol):
    """What evidence reads of an event: an `ItemEvent`, or a plain row of these four columns (a
    report reads the events of a whole company, and needs nothing about units)."""

    @property
    def verb(self) -> str: ...
    @property
    def item_id(self) -> int: ...
    @property
    def item_level(self) -> str | None: ...
    @property
    def occurred_at(self) -> datetime: ...


E = TypeVar("E", bound=EvidenceEvent)


def _evidence(event: EvidenceEvent) -> Evidence | None:
    level = item_level(event.item_level)
    if event.verb == "passed":
        return Evidence(level, "test", event.occurred_at)
    if event.verb == "failed":
        return Evidence(max(MIN_LEVEL, level - 1), "test", event.occurred_at)
    if event.verb in COMPLETION_VERBS:
        return Evidence(level, "completion", event.occurred_at)
    return None


def _latest_per_item(events: Iterable[E], verbs: Collection[str]) -> list[E]:
    latest: dict[int, E] = {}
    for event in events:
        if event.verb not in verbs:
            continue
        known = latest.get(event.item_id)
        if known is None or event.occurred_at >= known.occurred_at:
            latest[event.item_id] = event
    return [latest[item_id] for item_id in sorted(latest)]


def evidence_from_events(
    events: Iterable[EvidenceEvent],
    skills_by_item: Mapping[int, Collection[int]],
    only: Collection[int] | None = None,
) -> dict[int, list[Evidence]]:
    """skill id -> evidence, from each item's latest test result and latest completion; with `only`,
    for those skills alone (an event teaching none of them makes no evidence)."""
    events = list(events)
    grouped: dict[int, list[Evidence]] = {}
    for event in _latest_per_item(events, TEST_VERBS) + _latest_per_item(events, COMPLETION_VERBS):
        skills = sorted(s for s in set(skills_by_item.get(event.item_id, ())) if only is None or s in only)
        if not skills:
            continue
        evidence = _evidence(event)
        if evidence is None:
            continue
        for skill_id in skills:
            grouped.setdefault(skill_id, []).append(evidence)
    return grouped


def history_from_events(events: Iterable[ItemEvent]) -> History:
    """Items done or dismissed and units done; a removed unit's event leaves nothing to exclude."""
    completed_items: set[int] = set()
    completed_units: set[int] = set()
    dismissed: set[int] = set()
    for event in events:
        if event.verb in DISMISSED_VERBS:
            dismissed.add(event.item_id)
        elif event.verb in DONE_VERBS and not event.about_unit:
            completed_items.add(event.item_id)
        elif event.verb in DONE_VERBS and event.unit_id is not None:
            completed_units.add(event.unit_id)
    return History(frozenset(completed_items), frozenset(completed_units), frozenset(dismissed))
