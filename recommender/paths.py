"""Building a learning path: which scored units to take, in which order, in which week, and why.

Pure (stdlib and numpy, plus the dataclasses of `recommender.gaps` and `recommender.ranking`).

Steps. A path step is a micro-unit wherever the content allows. A unit longer than one week's
minutes (a whole course the source did not split) is cut into sessions of at most minutes_per_week,
as even as possible (300 minutes at 60 a week: five of 60), taken in order: session k only after
session k - 1. So no step is ever longer than minutes_per_week, and when the budget holds only the
first sessions of the only unit that teaches a gap, the path holds those, marked as partial with the
minutes that remain, instead of nothing.

In the author's order. A unit of an item is taken only after the unit before it in that item (by
position, among the candidates) is taken, unless that one would add nothing: a course is started at
its first module, not at its third (`ranking.mmr_order` already shortlists an item's first modules of
equal score).

Micro first. A unit of more than SHORT_MINUTES counts for a gap only once no micro-unit (at most
SHORT_MINUTES) that teaches that gap is left to take: a long course is chosen when the short content
on its gap is used up, never in place of it. A unit that fits the whole budget is taken whole (all
its sessions, in consecutive weeks) or not at all. A unit longer than the whole budget counts for a
gap only once the units that fit the budget and teach that gap are all taken (a 3-minute page does
not keep a course off a gap it barely starts); then its sessions are taken one at a time, in order,
and the path holds as many as fit: its first part, marked partial.

At the learner's level. Content whose stated level lies below the band the learner needs next
(beginner for someone at level 2 or more, intermediate from level 4; `ranking.below_band`), or above
the band the role's own level needs (advanced content for a role that asks level 3 or less;
`ranking.above_role`), is left out for a gap that content in step teaches: repeating the basics is not
a step forward, and a course past what the role asks is not the way to it. When such content is all
there is on a gap, it stays.

Selection: budgeted maximum coverage, solved greedily. Each open gap s has an amount to close, its
size g_s in levels, and a value per level w_s = priority_s / g_s (the gap model's importance and
confidence, see docs/skills-model.md). A unit (or session) u of m_u minutes retrieved for s with
relevance r_us closes a_us = m_u / minutes_per_gap_level * r_us levels of it, capped by what is still
open. Closing a gap is worth less the further it is closed: with c_s of g_s closed, x more levels are
worth x * (1 - (2 c_s + x) / (2 g_s)) (the integral of a worth per level falling from 1 at the start
to 0 at the end). So the first steps on every main gap come before the fourth module on one of them:
with worth linear in levels, two gaps taught by one course outbid the learner's largest gap, and a
backend developer with 20 minutes a week got four testing steps and none on API design, the gap
their role needed most. The greedy step takes the unit with the largest

    gain(u) / m_u,   gain(u) = sum over s of  w_s * y_us * (1 - (2 c_s + y_us) / (2 g_s)) * score_us,
    y_us = min(remaining_s, a_us)

among the units that still fit, until none adds anything: nothing is added to fill time. This is
the cost-effective greedy of Khuller, Moss & Naor (1999, "The budgeted maximum coverage problem");
their (1 - 1/e)/2 bound also needs a check of the best single element, which is left out on purpose:
it used to hand whole paths to one long course. For the plan as built it is a heuristic guided by
that result, not a proved ratio. Why greedy: it is fast enough to run on every request, every choice
it makes can be explained ("most gap closed per minute"), and exact knapsack-style solvers buy
little on a few dozen candidates of 5-15 minutes.

Budget: the total never exceeds minutes_per_week * weeks, and no week holds more than
minutes_per_week. A unit is taken only if the ordered plan with it still packs into the weeks.

Learning Days: a budget may hold Learning Days (`LearningDay`: the week it falls in, its date and its
minutes), a day budget beside the weekly one. Each is a slot of its own after its week's regular
time: the total grows by the days' minutes, a step goes into a day only when it fits what is left of
that day, and a step planned on one carries its date (`PathStep.learning_day`). Sessions are still cut
at minutes_per_week, so no step is longer than any slot it is put in. Without Learning Days the
slots are the weeks alone and every path is what it was.

Order, strongest rule first:
1. parts of one item, and sessions of one unit, in their order (the author's order wins any conflict);
2. prerequisite skills before the skills that need them: skills are ranked by depth in the
   prerequisite graph (Kahn's algorithm; a cycle is broken at its smallest skill id) and a unit
   ranks at the deepest skill it addresses, then at the shallowest;
3. the most important gap first: a unit ranks at the priority of the skill it is worth most for;
4. foundations first: beginner, intermediate, advanced, then units of unknown level by position;
5. within that, an item's parts stay together, better items first.
Weeks are filled in that order, each up to its weekly load and then its Learning Days (next-fit over
the slots, so week numbers never go down along the path). The weekly load is the smallest that still
ends within the weeks: a path shorter than the budget is spread over all its weeks (`_spread`), never
more than minutes_per_week in one.

A gap is covered when the chosen units close all of it. Any other gap is uncovered, and the reason
says what L&D or the employee can do about it: "no_content" when no unit was retrieved for it
(buy or write some), "all_done" when none is left because the learner did what there is in their
languages, "no_language" when its units were all in languages the learner does not read
(`excluded_by_language`, from `ranking.skills_excluded_by_language`), "not_enough_content" when
every usable unit for it is in the path and the gap is still open, and "no_time" when usable units
exist but the budget did not stretch to them (more weeks), and "too_long" when what is left is only
classroom or event sittings longer than a week (held at a set time, they are never cut into
sessions). An uncovered gap may still be partly worked on (`closed`).
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from recommender.explanations import GapFacts, StepFacts, explain_step
from recommender.gaps import Gap
from recommender.ranking import LEVEL_ORDER, ScoredCandidate, above_role, below_band
from recommender.tagging import language_code

NO_CONTENT = "no_content"
NO_TIME = "no_time"
NOT_ENOUGH_CONTENT = "not_enough_content"
TOO_LONG = "too_long"  # what is left is only classroom or event sittings longer than a week
NO_LANGUAGE = "no_language"
ALL_DONE = "all_done"  # the learner has done the content on it that suits them (their languages)
_EPS = 1e-9
# A gap of importance 0 still gets a sliver of value, so spare time goes to it rather than to nothing.
_MIN_LEVEL_VALUE = 1e-6
SHORT_MINUTES = 15  # a micro-unit: 5 to 15 minutes
# A step must clearly teach its gap: a two-word label found in the text (0.75), a declared skill,
# or a retrieved unit at cosine 0.65 / holding 85% of a label. Weaker matches (one shared word, even
# repeated: 0.70; a loose embedding tag) made paths that filled spare minutes with unrelated pages.
# The gap model's `has_content` and the reports' uncovered skills use the same bar.
MIN_STEP_RELEVANCE = 0.72
# Formats held at a set time: one sitting, never cut into weekly sessions.
SCHEDULED_FORMATS = frozenset({"classroom", "event"})


def _whole(name: str, value: object, least: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, got {value!r}")


@dataclass(frozen=True)
class LearningDay:
    """A Learning Day inside the path's weeks: the week it falls in (from 1), its date (ISO 8601) and
    the minutes of it the path may plan."""

    week: int
    day: str
    minutes: int

    def __post_init__(self) -> None:
        _whole("week", self.week, 1)
        _whole("minutes", self.minutes)


@dataclass(frozen=True)
class Budget:
    minutes_per_week: int
    weeks: int
    learning_days: tuple[LearningDay, ...] = ()  # a day budget beside the weekly one

    def __post_init__(self) -> None:
        for name in ("minutes_per_week", "weeks"):
            _whole(name, getattr(self, name))
        weeks = [day.week for day in self.learning_days]
        if weeks != sorted(weeks):
            raise ValueError("learning_days must be in the order of their weeks")

    # Worked out once per budget (it is frozen): the path builder asks them thousands of times.
    @functools.cached_property
    def days_in_path(self) -> tuple[LearningDay, ...]:
        return tuple(day for day in self.learning_days if day.week <= self.weeks)

    @functools.cached_property
    def total(self) -> int:
        return self.minutes_per_week * self.weeks + sum(day.minutes for day in self.days_in_path)

    @functools.cached_property
    def slots(self) -> tuple[tuple[int, str, int], ...]:
        """(week, Learning Day or "", minutes) in the order they are filled: each week's regular time,
        then the Learning Days in that week."""
        days: dict[int, list[LearningDay]] = {}
        for day in self.days_in_path:
            days.setdefault(day.week, []).append(day)
        slots: list[tuple[int, str, int]] = []
        for week in range(1, self.weeks + 1):
            slots.append((week, "", self.minutes_per_week))
            slots.extend((week, day.day, day.minutes) for day in days.get(week, ()))
        return tuple(slots)


@dataclass(frozen=True)
class PathStep:
    unit_id: int
    item_id: int
    title: str
    minutes: int
    week: int
    addresses: tuple[tuple[int, float], ...]
    why: str
    score: float
    last_week: int = 0  # the week the step ends in: always `week` now that no step spans weeks
    # `why` without where the learner is now: shown when the path is fetched again by a caller the
    # employer's setting no longer lets see gap scores.
    why_without_levels: str = ""
    part: int = 1  # a session of a unit longer than a week: which one, of how many
    parts: int = 1
    unit_minutes: int = 0  # the whole unit's minutes
    remaining_minutes: int = 0  # minutes of this unit left out of the path (a partial unit)
    # per addressed skill: (skill id, evidence kind, detail), see recommender.explanations
    evidence: tuple[tuple[int, str, str], ...] = ()
    language: str = ""
    language_fallback: bool = False  # in another language because none in the learner's teaches it
    length_unknown: bool = False  # the source gave no duration: a session of it, the rest unknown
    learning_day: str = ""  # the Learning Day (ISO date) the step is planned on; "" for the week's time

    @property
    def partial(self) -> bool:
        return self.remaining_minutes > 0 or self.length_unknown


@dataclass(frozen=True)
class UncoveredGap:
    skill_id: int
    reason: str
    closed: float = 0.0  # levels the path still closes of it (0 unless the budget ran out mid-way)


@dataclass(frozen=True)
class LearningPath:
    steps: tuple[PathStep, ...]
    covered: tuple[int, ...]
    uncovered: tuple[UncoveredGap, ...]
    total_minutes: int
    covered_priority_share: float


@dataclass
class _Unit:
    """One session of a unit (the whole unit when it fits a week) with every gap it was retrieved
    for (entries keyed by skill)."""

    unit_id: int
    item_id: int
    title: str
    minutes: int
    level: str | None
    format: str
    position: int
    language: str = ""
    part: int = 1
    parts: int = 1
    unit_minutes: int = 0
    minutes_known: bool = True
    entries: dict[int, ScoredCandidate] = field(default_factory=dict)
    amounts: dict[int, float] = field(default_factory=dict)  # a_us: levels it can close per skill

    @property
    def key(self) -> tuple[int, int]:
        return (self.unit_id, self.part)

    @property
    def cost(self) -> int:
        return max(1, self.minutes)

    @property
    def micro(self) -> bool:
        return self.unit_minutes <= SHORT_MINUTES

    @property
    def score(self) -> float:
        return max(e.score for e in self.entries.values())


def _skill_depths(prerequisites: Mapping[int, Collection[int]], skills: Collection[int]) -> dict[int, int]:
    """Depth of each skill in the prerequisite graph (0 = needs nothing earlier).

    Kahn's algorithm over every skill mentioned; when only cycles are left, the smallest remaining
    skill id is released with its unmet prerequisites ignored, so the result is deterministic.
    """
    nodes = set(skills)
    for skill, needs in prerequisites.items():
        nodes.add(skill)
        nodes.update(needs)
    needs_of = {node: set(prerequisites.get(node, ())) - {node} for node in nodes}
    dependents: dict[int, set[int]] = {node: set() for node in nodes}
    for node, needs in needs_of.items():
        for need in needs:
            dependents[need].add(node)
    waiting = {node: len(needs) for node, needs in needs_of.items()}
    depth = dict.fromkeys(nodes, 0)
    done: set[int] = set()
    ready = sorted(node for node, count in waiting.items() if count == 0)
    while len(done) < len(nodes):
        if not ready:
            ready = [min(node for node in nodes if node not in done)]  # break a cycle
        node = ready.pop(0)
        if node in done:
            continue
        done.add(node)
        for dependent in sorted(dependents[node]):
            if dependent in done:
                continue
            depth[dependent] = max(depth[dependent], depth[node] + 1)
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                ready.append(dependent)
        ready.sort()
    return depth


def _level_rank(level: str | None) -> int:
    text = (level or "").strip().lower()
    return LEVEL_ORDER.index(text) if text in LEVEL_ORDER else len(LEVEL_ORDER)


def _order_key(
    unit: _Unit,
    depth: Mapping[int, int],
    item_rank: Mapping[int, int],
    skill_rank: Mapping[int, int],
    value_per_level: Mapping[int, float],
    main_of: Mapping[tuple[int, int], int],
) -> tuple[int, ...]:
    """(skill depth, the rank of the unit's main skill, level, item, position, session, unit): the
    main skill is the one the unit is worth most for; skills rank by priority, so the most important
    gap is worked on first and a low-priority beginner course does not open the path."""
    depths = [depth.get(skill, 0) for skill in unit.entries]
    rank = _level_rank(unit.level)
    main = main_of.get(unit.key) or max(
        unit.entries, key=lambda s: (value_per_level.get(s, 0.0) * unit.amounts.get(s, 0.0), -s)
    )
    first = skill_rank.get(main, 0)
    place = (
        (item_rank[unit.item_id], unit.position)
        if rank < len(LEVEL_ORDER)
        else (unit.position, item_rank[unit.item_id])
    )
    return (max(depths), min(depths), first, rank, *place, unit.part, unit.unit_id)


def _parts_in_order(ordered: Sequence[_Unit]) -> list[_Unit]:
    """Each item's parts put back in their order (position, unit, session) within the places its parts
    took in `ordered`; an item with one unit in the plan keeps its place."""
    slots: dict[int, list[int]] = {}
    for index, unit in enumerate(ordered):
        slots.setdefault(unit.item_id, []).append(index)
    result = list(ordered)
    for indexes in slots.values():
        if len(indexes) == 1:
            continue
        parts = sorted((ordered[i] for i in indexes), key=lambda u: (u.position, u.unit_id, u.part))
        for index, part in zip(indexes, parts, strict=True):
            result[index] = part
    return result


def _place(units: Sequence[_Unit], budget: Budget) -> list[tuple[int, str]]:
    """The week and Learning Day ("" for the week's own time) of each unit, next-fit over the slots
    (`Budget.slots`): fill a slot in order, go on to the next when the next step does not fit. Every
    unit is at most minutes_per_week long (sessions), so none spans weeks; a Learning Day takes only
    what fits in it. Past the budget's weeks the slots are more weeks (so a plan that does not pack
    shows a week beyond them)."""
    slots = budget.slots
    placed: list[tuple[int, str]] = []
    index, used = 0, 0
    for unit in units:
        while True:
            if index < len(slots):
                week, day, room = slots[index]
            else:
                week, day, room = budget.weeks + 1 + index - len(slots), "", budget.minutes_per_week
            if used + unit.minutes <= room or (used == 0 and not day):
                break
            index, used = index + 1, 0
        used += unit.minutes
        placed.append((week, day))
    return placed


def _weeks(units: Sequence[_Unit], budget: Budget) -> list[int]:
    """The week of each unit (`_place`)."""
    return [week for week, _ in _place(units, budget)]


def _at_the_learners_level(
    scored: Sequence[ScoredCandidate], open_gaps: Mapping[int, Gap]
) -> list[ScoredCandidate]:
    """Drop a unit's claim on a gap when its stated level is out of step (below the learner's next band,
    or above what the role asks) and content in step teaches that gap: someone who writes Python at
    level 3 is not sent to "Python installeren" while intermediate Python exists, nor a product
    manager whose role asks SQL at level 3 to "Advanced SQL". Out-of-step content stays when it is all
    there is."""

    def out_of_step(entry: ScoredCandidate) -> bool:
        gap = open_gaps[entry.candidate.skill_id]
        level = entry.candidate.level
        return below_band(level, gap.current, gap.required) or above_role(level, gap.required)

    relevant = [e for e in scored if e.candidate.skill_id in open_gaps]
    in_step = {e.candidate.skill_id for e in relevant if not out_of_step(e)}
    return [e for e in relevant if e.candidate.skill_id not in in_step or not out_of_step(e)]


def _session_minutes(minutes: int, minutes_per_week: int) -> list[int]:
    """A unit cut into the fewest sessions of at most minutes_per_week, as even as possible."""
    if minutes <= minutes_per_week or minutes_per_week <= 0:
        return [minutes]
    count = math.ceil(minutes / minutes_per_week)
    base, extra = divmod(minutes, count)
    return [base + (1 if index < extra else 0) for index in range(count)]


def _collect_units(
    scored: Sequence[ScoredCandidate],
    open_gaps: Mapping[int, Gap],
    minutes_per_gap_level: int,
    budget: Budget,
) -> dict[tuple[int, int], _Unit]:
    """Every candidate unit, cut into sessions when it is longer than a week, keyed (unit, session)."""
    units: dict[tuple[int, int], _Unit] = {}
    for unit in _whole_units(scored, open_gaps).values():
        for session in _sessions(unit, budget, minutes_per_gap_level):
            units[session.key] = session
    return units


def _whole_units(scored: Sequence[ScoredCandidate], open_gaps: Mapping[int, Gap]) -> dict[int, _Unit]:
    """Each unit retrieved for an open gap once, with its best-scored entry per gap."""
    whole: dict[int, _Unit] = {}
    for entry in scored:
        c = entry.candidate
        if c.skill_id not in open_gaps:
            continue
        if c.minutes < 0:
            raise ValueError(f"unit {c.unit_id} has negative minutes ({c.minutes})")
        unit = whole.get(c.unit_id)
        if unit is None:
            unit = whole[c.unit_id] = _Unit(
                unit_id=c.unit_id,
                item_id=c.item_id,
                title=c.title,
                minutes=c.minutes,
                level=c.level,
                format=c.format,
                position=c.position,
                language=language_code(c.language),
                unit_minutes=c.minutes,
                minutes_known=c.minutes_known,
            )
        elif unit.minutes != c.minutes or unit.item_id != c.item_id:
            raise ValueError(f"unit {c.unit_id} appears with different minutes or items")
        previous = unit.entries.get(c.skill_id)
        if previous is None or entry.score > previous.score:
            unit.entries[c.skill_id] = entry
    return whole


def _sessions(unit: _Unit, budget: Budget, minutes_per_gap_level: int) -> list[_Unit]:
    """The unit's sessions, each with the levels a_us it can close per gap. A unit whose source gave
    no duration (a course known only by its description) counts as longer than the whole budget:
    weekly sessions of it, taken only when nothing of known length teaches its gap, and never
    claimed to be finished."""
    minutes_per_week = budget.minutes_per_week
    if not unit.minutes_known and minutes_per_week > 0:
        unit.unit_minutes = budget.total + 1
        lengths = [minutes_per_week] * max(1, budget.weeks)
    elif unit.format.strip().lower() in SCHEDULED_FORMATS:
        lengths = [unit.minutes]  # longer than a week: no session of it fits, so it is never taken
    else:
        lengths = _session_minutes(unit.minutes, minutes_per_week)
    sessions = []
    for part, minutes in enumerate(lengths, start=1):
        session = replace(
            unit, minutes=minutes, part=part, parts=len(lengths), entries=dict(unit.entries), amounts={}
        )
        for skill, entry in session.entries.items():
            relevance = min(1.0, max(0.0, entry.candidate.relevance))
            session.amounts[skill] = minutes / minutes_per_gap_level * relevance
        sessions.append(session)
    return sessions


def build_path(
    scored: Sequence[ScoredCandidate],
    gaps: Sequence[Gap],
    budget: Budget,
    *,
    language: str,
    skill_labels: Mapping[int, str],
    prerequisites: Mapping[int, Collection[int]] | None = None,
    minutes_per_gap_level: int = 60,
    excluded_by_language: Collection[int] = (),
    role_name: str | None = None,
    show_levels: bool = True,
    learner_languages: Sequence[str] = (),
    now: datetime | None = None,
    done_in_learner_language: Collection[int] = (),
) -> LearningPath:
    """Choose, order and schedule units for the open gaps within the budget (see the module docstring).

    `scored` may hold a unit several times, once per gap it was retrieved for; the step then
    addresses all of them. Closed gaps (size 0) are ignored. `role_name` only colours the why text;
    `learner_languages` says which languages the learner chose, so a step in another one says so;
    `done_in_learner_language` (ranking.skills_done_in_language) names the skills whose content in
    those languages the learner has done, so such a step says it goes on from there.
    """
    if minutes_per_gap_level <= 0:
        raise ValueError(f"minutes_per_gap_level must be positive, got {minutes_per_gap_level!r}")
    open_gaps = _open_gaps(gaps)
    value_per_level = {s: max(g.priority / g.gap, 0.0) + _MIN_LEVEL_VALUE for s, g in open_gaps.items()}
    units = _collect_units(
        _at_the_learners_level(scored, open_gaps), open_gaps, minutes_per_gap_level, budget
    )
    by_priority = sorted(open_gaps.values(), key=lambda g: (-g.priority, -g.importance, g.skill_id))
    ordering = _Ordering(
        depth=_skill_depths(prerequisites or {}, open_gaps),
        item_rank=_item_ranks(units.values()),
        skill_rank={g.skill_id: rank for rank, g in enumerate(by_priority)},
        value_per_level=value_per_level,
    )
    selection = _choose_units(units, open_gaps, budget, ordering)
    ordered, places = _schedule(selection)
    wording = _Wording.of(
        language, skill_labels, role_name, show_levels, learner_languages, now, done_in_learner_language
    )
    steps = _steps(ordered, places, selection, open_gaps, wording)
    covered, uncovered = _gap_outcomes(
        by_priority, units, selection, excluded_by_language, done_in_learner_language
    )
    return LearningPath(
        steps=tuple(steps),
        covered=tuple(covered),
        uncovered=tuple(uncovered),
        total_minutes=sum(step.minutes for step in steps),
        covered_priority_share=_covered_priority_share(open_gaps, selection.remaining),
    )


def _open_gaps(gaps: Sequence[Gap]) -> dict[int, Gap]:
    """The gaps still open (size above 0), by skill; a skill with two gaps is an error."""
    open_gaps: dict[int, Gap] = {}
    for gap in gaps:
        if gap.skill_id in open_gaps:
            raise ValueError(f"skill {gap.skill_id} has more than one gap")
        if gap.gap > 0:
            open_gaps[gap.skill_id] = gap
    return open_gaps


def _item_ranks(units: Iterable[_Unit]) -> dict[int, int]:
    """Items ranked by their best unit's score (ties by item id): better items come first in the order."""
    item_best: dict[int, float] = {}
    for unit in units:
        item_best[unit.item_id] = max(item_best.get(unit.item_id, 0.0), unit.score)
    return {item: rank for rank, item in enumerate(sorted(item_best, key=lambda i: (-item_best[i], i)))}


@dataclass
class _Ordering:
    """How a plan is put in order (`_order`), with what it remembers between the greedy's attempts:
    each unit's sort key, and the skill each chosen unit was credited most for (what its why names
    first; a unit being tried ranks at the skill it could be worth most for)."""

    depth: Mapping[int, int]
    item_rank: Mapping[int, int]
    skill_rank: Mapping[int, int]
    value_per_level: Mapping[int, float]
    keys: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    main_of: dict[tuple[int, int], int] = field(default_factory=dict)

    def key_of(self, unit: _Unit) -> tuple[int, ...]:
        """The unit's sort key (`_order_key`), remembered until its credit changes it."""
        known = self.keys.get(unit.key)
        if known is None:
            known = self.keys[unit.key] = _order_key(
                unit, self.depth, self.item_rank, self.skill_rank, self.value_per_level, self.main_of
            )
        return known

    def order(self, units: Sequence[_Unit]) -> list[_Unit]:
        """Sort by `_order_key`, then put each item's parts back in their order."""
        return _parts_in_order(sorted(units, key=self.key_of))

    def credit(self, unit: _Unit, amounts: Mapping[int, float]) -> None:
        """The unit now ranks at the skill it was credited most for."""
        if amounts:
            self.main_of[unit.key] = max(amounts, key=lambda s: (self.value_per_level[s] * amounts[s], -s))
            self.keys.pop(unit.key, None)


@dataclass(frozen=True)
class _Options:
    """Every usable session as a pick (the whole unit when it fits the budget, else the session), with
    what it brings per open skill as arrays, worked out once: the greedy weighs the same picks again
    and again, so each round is a few array operations instead of a loop per pick and skill."""

    units: list[_Unit]
    groups: list[list[_Unit]]
    amount: np.ndarray  # (pick, skill): levels the pick can close, summed over its sessions
    score: np.ndarray  # (pick, skill): its first session's score (0 where not retrieved for it)
    has: np.ndarray  # (pick, skill): retrieved for the skill
    micro: np.ndarray  # (pick,)
    oversized: np.ndarray  # (pick,): longer than the whole budget
    cost: np.ndarray  # (pick,): minutes of the whole pick
    keys: np.ndarray  # (pick, 2): (unit id, part) of its first session, the last tie-break
    first: np.ndarray  # (pick,): its unit's first session
    previous: np.ndarray  # (pick,): the place of the session before it among the options, -1 if none
    # (pick,): the place of the first session of the same item's unit just before it (by position)
    # among the options, -1 if none or if that one is longer than the whole budget
    earlier: np.ndarray

    @classmethod
    def of(cls, usable: Sequence[_Unit], selection: _Selection, skills: Sequence[int]) -> _Options:
        column = {s: number for number, s in enumerate(skills)}
        place = {unit.key: number for number, unit in enumerate(usable)}
        groups = [selection.group(unit) for unit in usable]
        amount = np.zeros((len(usable), len(skills)))
        score = np.zeros((len(usable), len(skills)))
        has = np.zeros((len(usable), len(skills)), dtype=np.bool_)
        for row, (unit, picks) in enumerate(zip(usable, groups, strict=True)):
            for s, entry in unit.entries.items():
                amount[row, column[s]] = math.fsum(u.amounts[s] for u in picks)
                score[row, column[s]] = entry.score
                has[row, column[s]] = True
        return cls(
            units=list(usable),
            groups=groups,
            amount=amount,
            score=score,
            has=has,
            micro=np.array([u.micro for u in usable], dtype=np.bool_),
            oversized=np.array([u.unit_minutes > selection.budget.total for u in usable], dtype=np.bool_),
            cost=np.array([sum(u.cost for u in picks) for picks in groups], dtype=np.float64),
            keys=np.array([u.key for u in usable], dtype=np.int64).reshape(len(usable), 2),
            first=np.array([u.part == 1 for u in usable], dtype=np.bool_),
            previous=np.array(
                [place.get((u.unit_id, u.part - 1), -1) for u in usable], dtype=np.int64
            ).reshape(len(usable)),
            earlier=_earlier_in_item(usable, selection.budget),
        )


def _earlier_in_item(usable: Sequence[_Unit], budget: Budget) -> np.ndarray:
    """For each first session, the place of the first session of its item's previous unit (by the
    author's position) among `usable`; -1 for later sessions, an item's first usable unit, and when
    that previous unit is longer than the whole budget (taken a session at a time, it must not hold
    the rest of the course back)."""
    earlier = np.full(len(usable), -1, dtype=np.int64)
    by_item: dict[int, list[tuple[int, int, int]]] = {}
    for place, unit in enumerate(usable):
        if unit.part == 1:
            by_item.setdefault(unit.item_id, []).append((unit.position, unit.unit_id, place))
    for units in by_item.values():
        units.sort()
        for (_, _, before), (_, _, place) in zip(units, units[1:], strict=False):
            if usable[before].unit_minutes <= budget.total:
                earlier[place] = before
    return earlier


@dataclass
class _Selection:
    """The greedy's state: what is chosen, what each chosen session is credited with, how much of each
    gap is still open, and the last order of the plan that packed into the weeks."""

    budget: Budget
    ordering: _Ordering
    remaining: dict[int, float]
    sizes: dict[int, float]  # each open gap's size in levels, for the diminishing worth of closing it
    # micro-units still to take per skill: while a skill has one, longer units earn nothing for it
    micro_left: dict[int, int]
    # units still to take per skill that fit the whole budget: while a skill has one, a unit longer
    # than the budget earns nothing for it (its first sessions come only once those are used up)
    fitting_left: dict[int, int]
    sessions: dict[int, list[_Unit]]  # the usable sessions of each unit, in order
    chosen: list[_Unit] = field(default_factory=list)
    taken: set[tuple[int, int]] = field(default_factory=set)
    credited: dict[tuple[int, int], dict[int, float]] = field(default_factory=dict)
    last_fit: list[_Unit] = field(default_factory=list)
    # the chosen sessions sorted by their keys (before parts are put back in order), kept as the plan
    # grows: trying a pick merges it in instead of sorting the whole plan again
    sorted_keys: list[tuple[int, ...]] = field(default_factory=list)
    sorted_units: list[_Unit] = field(default_factory=list)
    minutes: int = 0  # of the chosen sessions

    def counts(self, unit: _Unit, s: int) -> bool:
        """Whether the unit earns anything for skill s yet (micro first, what fits the budget first)."""
        if unit.unit_minutes > self.budget.total and self.fitting_left[s] > 0:
            return False
        return unit.micro or self.micro_left[s] == 0

    def group(self, unit: _Unit) -> list[_Unit]:
        """What one pick takes: a unit that fits the budget whole is taken whole (all its sessions);
        an oversized one a session at a time, in order (its first part, when nothing else fits)."""
        if unit.unit_minutes <= self.budget.total:
            return self.sessions[unit.unit_id]
        return [unit]

    def gains(self, options: _Options, places: np.ndarray) -> np.ndarray:
        """Of each pick at `places`: its gain (module docstring), summed over the
        skills the pick counts for yet (micro first, what fits the budget first; see `counts`)."""
        skills = list(self.remaining)
        remaining = np.array([self.remaining[s] for s in skills])
        size = np.array([self.sizes[s] for s in skills])
        value = np.array([self.ordering.value_per_level[s] for s in skills])
        micro_left = np.array([self.micro_left[s] for s in skills])
        fitting_left = np.array([self.fitting_left[s] for s in skills])
        oversized = options.oversized[places][:, None]
        micro = options.micro[places][:, None]
        counts = options.has[places] & ~(oversized & (fitting_left > 0)) & (micro | (micro_left == 0))
        closes = np.minimum(remaining, options.amount[places])
        closed = size - remaining  # diminishing worth per gap: see the module docstring
        worth = value * closes * (1.0 - (2.0 * closed + closes) / (2.0 * size)) * options.score[places]
        return np.asarray(np.where(counts, worth, 0.0).sum(axis=1), dtype=np.float64)

    def fits(self, picks: Sequence[_Unit]) -> bool:
        """Whether the plan with `picks` stays within the budget and, in order, packs into the weeks."""
        if self.minutes + sum(u.minutes for u in picks) > self.budget.total:
            return False
        keys, units = list(self.sorted_keys), list(self.sorted_units)
        for unit in picks:
            place = bisect.bisect(keys, self.ordering.key_of(unit))  # keys are unique: a total order
            keys.insert(place, self.ordering.key_of(unit))
            units.insert(place, unit)
        ordered = _parts_in_order(units)
        weeks = _weeks(ordered, self.budget)
        if weeks and weeks[-1] > self.budget.weeks:
            return False
        self.last_fit = ordered
        return True

    def best_pick(self, options: _Options, alive: np.ndarray) -> list[_Unit] | None:
        """Of the picks still `alive` that are ready, the one with the most gain per minute (then the
        most gain, then the lowest unit id and part) that still fits; None when no pick that fits adds
        anything. Ready: a unit taken whole is picked at its first session, and only once the unit
        before it in its item (the author's order) is taken or would add nothing (a course is not
        started at its third module); an oversized one session after session (its previous session
        taken)."""
        taken_before = np.zeros(len(options.units), dtype=np.bool_)
        has_previous = options.previous >= 0
        taken_before[has_previous] = ~alive[options.previous[has_previous]]
        candidates = np.flatnonzero(alive & (options.first | (options.oversized & taken_before)))
        if candidates.size == 0:
            return None
        all_gains = np.zeros(len(options.units))
        all_gains[candidates] = self.gains(options, candidates)
        earlier = options.earlier[candidates]
        waits = (earlier >= 0) & alive[earlier] & (all_gains[earlier] > _EPS)
        places = candidates[~waits]
        gains = all_gains[places]
        keys = options.keys[places]
        for at in np.lexsort((keys[:, 1], keys[:, 0], -gains, -gains / options.cost[places])).tolist():
            if gains[at] <= _EPS:
                return None
            picks = options.groups[int(places[at])]
            if self.fits(picks):
                return picks
        return None

    def take(self, pick: Sequence[_Unit]) -> None:
        """Credit each session with what it closes, and count the unit off its skills' micro and fitting
        units."""
        for unit in pick:
            amounts = self.credited[unit.key] = {}
            for s in unit.entries:
                amount = min(self.remaining[s], unit.amounts[s])
                if amount > _EPS and self.counts(unit, s):
                    amounts[s] = amount
                    self.remaining[s] -= amount
        first = pick[0]
        for s in first.entries:
            if first.part == 1 and first.amounts[s] > _EPS:
                self.micro_left[s] -= first.micro
                self.fitting_left[s] -= first.unit_minutes <= self.budget.total
        for unit in pick:
            self.ordering.credit(unit, self.credited[unit.key])
            key = self.ordering.key_of(unit)  # after the credit: it may rank at another skill now
            place = bisect.bisect(self.sorted_keys, key)
            self.sorted_keys.insert(place, key)
            self.sorted_units.insert(place, unit)
        self.chosen.extend(pick)
        self.minutes += sum(u.minutes for u in pick)
        self.taken.update(u.key for u in pick)


def _choose_units(
    units: Mapping[tuple[int, int], _Unit], open_gaps: Mapping[int, Gap], budget: Budget, ordering: _Ordering
) -> _Selection:
    """Budgeted maximum coverage, greedily: take the best pick that fits until none adds anything."""
    usable = sorted((u for u in units.values() if u.minutes <= budget.minutes_per_week), key=lambda u: u.key)
    micro_left: dict[int, int] = dict.fromkeys(open_gaps, 0)
    fitting_left: dict[int, int] = dict.fromkeys(open_gaps, 0)
    for unit in usable:
        for s, amount in unit.amounts.items():
            if amount > _EPS and unit.part == 1:
                micro_left[s] += unit.micro
                fitting_left[s] += unit.unit_minutes <= budget.total
    sessions: dict[int, list[_Unit]] = {}
    for unit in usable:
        sessions.setdefault(unit.unit_id, []).append(unit)
    selection = _Selection(
        budget=budget,
        ordering=ordering,
        remaining={s: g.gap for s, g in open_gaps.items()},
        sizes={s: g.gap for s, g in open_gaps.items()},
        micro_left=micro_left,
        fitting_left=fitting_left,
        sessions=sessions,
    )
    options = _Options.of(usable, selection, list(open_gaps))
    place_of = {unit.key: place for place, unit in enumerate(usable)}
    alive = np.ones(len(usable), dtype=np.bool_)
    while alive.any():
        pick = selection.best_pick(options, alive)
        if pick is None:
            break
        selection.take(pick)
        alive[[place_of[u.key] for u in pick]] = False
    # the later sessions of a unit taken whole may close nothing more (its skills closed before):
    # they stay, because the unit is taken whole, and are credited with their first skill at 0
    for unit in selection.chosen:
        if not selection.credited[unit.key]:
            selection.credited[unit.key] = {next(iter(unit.entries)): 0.0}
    return selection


def _schedule(selection: _Selection) -> tuple[list[_Unit], list[tuple[int, str]]]:
    """The chosen units in order, and the week and Learning Day of each (spread over the weeks,
    `_spread`)."""
    budget = selection.budget
    ordered = selection.ordering.order(selection.chosen)
    places = _place(ordered, budget)
    if places and places[-1][0] > budget.weeks:  # the last unit's credit moved it: keep the order that packed
        ordered = selection.last_fit
    return ordered, _spread(ordered, budget)


def _spread(ordered: Sequence[_Unit], budget: Budget) -> list[tuple[int, str]]:
    """The week and Learning Day of each unit when the path holds less than the budget: next-fit
    (`_place`) over every slot cut to the smallest share of its minutes that still ends within the
    weeks, so 89 minutes over six weeks of 60 become about 15 a week rather than two full weeks and
    four empty ones, and a path that a Learning Day could swallow whole keeps a little every week and
    leaves some for the next Learning Day (a habit of a little every week is the point of the path,
    and spaced sessions are remembered better). A unit longer than its week's share still goes alone
    into an empty week (`_place`). Next-fit never needs more weeks for larger slots, so the smallest
    share (in percent) is found by bisection."""
    if not ordered:
        return []

    def cut(percent: int) -> Budget:
        days = tuple(replace(d, minutes=math.ceil(d.minutes * percent / 100)) for d in budget.learning_days)
        return replace(
            budget, minutes_per_week=math.ceil(budget.minutes_per_week * percent / 100), learning_days=days
        )

    low, high = 1, 100
    while low < high:
        percent = (low + high) // 2
        if _place(ordered, cut(percent))[-1][0] <= budget.weeks:
            high = percent
        else:
            low = percent + 1
    return _place(ordered, cut(low))


@dataclass(frozen=True)
class _Wording:
    """What the why text of a step depends on besides the step: the learner's language and choices."""

    dutch: bool
    language: str
    wanted: list[str]  # the languages the learner chose, as codes
    skill_labels: Mapping[int, str]
    role_name: str | None
    show_levels: bool
    now: datetime | None
    done_in_wanted_language: frozenset[int]  # skills whose content in the learner's language is done

    @classmethod
    def of(
        cls,
        language: str,
        skill_labels: Mapping[int, str],
        role_name: str | None,
        show_levels: bool,
        learner_languages: Sequence[str],
        now: datetime | None,
        done_in_wanted_language: Collection[int] = (),
    ) -> _Wording:
        wanted = [language_code(x) or x for x in learner_languages]
        dutch = language_code(language) == "nl"
        done = frozenset(done_in_wanted_language)
        return cls(dutch, language, wanted, skill_labels, role_name, show_levels, now, done)

    def label(self, skill_id: int) -> str:
        return _label(skill_id, self.skill_labels, self.dutch)

    @property
    def wanted_language(self) -> str:
        return self.wanted[0] if self.wanted else language_code(self.language) or self.language


def _steps(
    ordered: Sequence[_Unit],
    places: Sequence[tuple[int, str]],
    selection: _Selection,
    open_gaps: Mapping[int, Gap],
    wording: _Wording,
) -> list[PathStep]:
    """One step per chosen session, in order, each with the skills it closes (the one it is worth
    most for first) and its why."""
    value_per_level = selection.ordering.value_per_level
    credited = selection.credited
    minutes_taken: dict[int, int] = {}
    for unit in selection.chosen:
        minutes_taken[unit.unit_id] = minutes_taken.get(unit.unit_id, 0) + unit.minutes
    # skills the path also teaches in the learner's own language (a fallback step adds to those)
    in_wanted_language = {
        skill for u in ordered if u.language == wording.wanted_language for skill in credited[u.key]
    }
    steps: list[PathStep] = []
    started: set[tuple[int, int]] = set()  # (item, main skill) of the steps so far
    for index, (unit, (week, day)) in enumerate(zip(ordered, places, strict=True)):
        addresses = sorted(credited[unit.key].items(), key=lambda p: (-value_per_level[p[0]] * p[1], p[0]))
        main = addresses[0][0]
        continues = (unit.item_id, main) in started and unit.parts == 1 and unit.minutes_known
        started.add((unit.item_id, main))
        follows = next(
            (u for u in ordered[index + 1 :] if main in credited[u.key] and u.unit_id != unit.unit_id), None
        )
        remaining_minutes = (
            unit.unit_minutes - minutes_taken[unit.unit_id] if unit.parts > 1 and unit.minutes_known else 0
        )
        step = _step(
            unit,
            week,
            addresses,
            follows,
            remaining_minutes,
            open_gaps[main],
            wording,
            main in in_wanted_language,
            continues,
        )
        steps.append(replace(step, learning_day=day) if day else step)
    return steps


def _step(
    unit: _Unit,
    week: int,
    addresses: Sequence[tuple[int, float]],
    follows: _Unit | None,
    remaining_minutes: int,
    gap: Gap,
    wording: _Wording,
    wanted_in_path: bool = False,
    continues: bool = False,
) -> PathStep:
    """The step for one session: `addresses` are (skill, levels closed), the main skill first;
    `wanted_in_path`: the path holds units on that skill in the learner's language too; `continues`:
    an earlier step is in the same item for the same skill."""
    main = addresses[0][0]
    entry = unit.entries[main]
    fallback = any(r.startswith("language_fallback:") for r in entry.reasons) or (
        bool(wording.wanted) and unit.language not in wording.wanted
    )
    parts = unit.parts if unit.minutes_known else 0
    unit_minutes = unit.unit_minutes if unit.minutes_known else 0
    facts = StepFacts(
        title=unit.title,
        minutes=unit.minutes,
        format=unit.format,
        level=unit.level,
        level_fit="level_fit" in entry.reasons,
        evidence=entry.candidate.evidence,
        evidence_detail=entry.candidate.evidence_detail,
        part=unit.part,
        parts=parts,
        unit_minutes=unit_minutes,
        remaining_minutes=remaining_minutes,
        language=unit.language,
        fallback_language=fallback,
        wanted_language=wording.wanted_language,
        wanted_in_path=wanted_in_path,
        wanted_done=main in wording.done_in_wanted_language,
        rating=entry.candidate.rating,
        source_updated_at=entry.candidate.updated_at,
        now=wording.now,
        next_title=follows.title if follows else None,
        in_item=entry.candidate.in_item,
        others=tuple(wording.label(skill) for skill, _ in addresses[1:]),
        continues=continues,
    )
    gap_facts = GapFacts(wording.label(main), gap.required, gap.current, gap.importance)
    return PathStep(
        unit_id=unit.unit_id,
        item_id=unit.item_id,
        title=unit.title,
        minutes=unit.minutes,
        week=week,
        last_week=week,
        addresses=tuple((s, round(a, 2)) for s, a in addresses),
        why=explain_step(facts, gap_facts, wording.role_name, wording.dutch, wording.show_levels),
        score=round(unit.score, 4),
        why_without_levels=explain_step(facts, gap_facts, wording.role_name, wording.dutch, False),
        part=unit.part,
        parts=parts,
        unit_minutes=unit_minutes,
        remaining_minutes=remaining_minutes,
        evidence=tuple(
            (s, unit.entries[s].candidate.evidence, unit.entries[s].candidate.evidence_detail)
            for s, _ in addresses
        ),
        language=unit.language,
        language_fallback=fallback,
        length_unknown=not unit.minutes_known,
    )


def _gap_outcomes(
    by_priority: Sequence[Gap],
    units: Mapping[tuple[int, int], _Unit],
    selection: _Selection,
    excluded_by_language: Collection[int],
    done_in_learner_language: Collection[int] = (),
) -> tuple[list[int], list[UncoveredGap]]:
    """The gaps the path closes, and the others with the reason they stay open, most important first.
    A gap with no unit left that the learner did content on in their languages is "all_done", not
    "no_content": the catalog teaches it (the gap model's has_content says so), they are past it."""
    # a unit with relevance 0 (or 0 minutes) teaches nothing of the skill: it is no content for it
    has_units = {s for u in units.values() for s, a in u.amounts.items() if a > _EPS}
    covered: list[int] = []
    uncovered: list[UncoveredGap] = []
    for gap in by_priority:
        s = gap.skill_id
        if s not in has_units:
            if s in excluded_by_language:
                reason = NO_LANGUAGE
            else:
                reason = ALL_DONE if s in done_in_learner_language else NO_CONTENT
            uncovered.append(UncoveredGap(skill_id=s, reason=reason))
        elif selection.remaining[s] <= _EPS:
            covered.append(s)
        else:
            closed = round(gap.gap - selection.remaining[s], 2)
            reason = _why_not_closed(s, units, selection)
            uncovered.append(UncoveredGap(skill_id=s, reason=reason, closed=closed))
    return covered, uncovered


def _why_not_closed(skill_id: int, units: Mapping[tuple[int, int], _Unit], selection: _Selection) -> str:
    """Why a gap with content is still open: all of it is in the path, what is left is only sittings
    longer than a week, or the budget ran out."""
    rest = [u for u in units.values() if u.amounts.get(skill_id, 0.0) > _EPS and u.key not in selection.taken]
    if not rest:
        return NOT_ENOUGH_CONTENT
    if all(u.minutes > selection.budget.minutes_per_week for u in rest):
        return TOO_LONG
    return NO_TIME


def _covered_priority_share(open_gaps: Mapping[int, Gap], remaining: Mapping[int, float]) -> float:
    """The share of the gaps' priority the path closes (of their sizes when every priority is 0)."""
    if not open_gaps:
        return 1.0
    total_priority = math.fsum(g.priority for g in open_gaps.values())
    if total_priority > 0:
        share = math.fsum(g.priority * (g.gap - remaining[g.skill_id]) / g.gap for g in open_gaps.values())
        share /= total_priority
    else:  # every gap has importance 0: fall back to sizes
        share = math.fsum(g.gap - remaining[g.skill_id] for g in open_gaps.values()) / math.fsum(
            g.gap for g in open_gaps.values()
        )
    return round(min(1.0, max(0.0, share)), 4)


def _label(skill_id: int, labels: Mapping[int, str], dutch: bool) -> str:
    label = labels.get(skill_id, "").strip()
    return label or ("deze vaardigheid" if dutch else "this skill")
