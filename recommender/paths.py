"""Building a learning path: which scored units to take, in which order, in which week, and why.

Pure (stdlib only, plus the dataclasses of `recommender.gaps` and `recommender.ranking`).

Selection: budgeted maximum coverage, solved greedily. Each open gap s has an amount to close, its
size g_s in levels, and a value per level w_s = priority_s / g_s (the gap model's importance and
confidence, see docs/skills-model.md). A unit u of m_u minutes retrieved for s with relevance r_us
closes a_us = m_u / minutes_per_gap_level * r_us levels of it, capped by what is still open, so
extra content on a gap that is nearly closed is worth less (diminishing returns). The greedy step
takes the unit with the largest

    gain(u) / m_u,   gain(u) = sum over s of  w_s * min(remaining_s, a_us) * score_us

among the units that still fit, until none adds anything; then it compares that plan with the best
single unit and keeps the better one. This is the cost-effective greedy of Khuller, Moss & Naor
(1999, "The budgeted maximum coverage problem"), which with the best-single-unit check is within a
factor (1 - 1/e)/2 of the optimum. That bound is proved for their weighted coverage objective.
With all scores equal ours is of the same kind (a weighted sum of capped additive amounts, monotone
and with diminishing returns), and the argument is commonly carried over to it; the ranking score,
which tilts the choice towards better units, and the weekly packing below are outside the bound, so
for the plan as built it is a heuristic guided by that result, not a proved ratio. Nor is it
monotone in the budget: a bigger budget can, rarely, close slightly less (tests/model pins down how
rarely); what holds is that a budget with room for every unit covers every gap that has content.
Why greedy: it is fast enough to run on every request, every choice it makes can be explained
("most gap closed per minute"), and exact knapsack-style solvers buy little on a few dozen
candidates of 5-15 minutes.

Budget: the total never exceeds minutes_per_week * weeks, and no week holds more than
minutes_per_week. A unit longer than one week's minutes (a whole external course, often hours) is
followed over consecutive weeks: it starts on a fresh week, takes minutes_per_week in each week
until it is done (`PathStep.last_week`), and the next step may use what its last week has left.
A unit longer than the whole budget is skipped ("too_long"). A unit is taken only if the ordered
plan with it still packs into the weeks, so the plan never runs out of weeks.

Order, strongest rule first:
1. parts of one item in their order inside the item (the author's order wins any conflict);
2. prerequisite skills before the skills that need them: skills are ranked by depth in the
   prerequisite graph (Kahn's algorithm; a cycle is broken at its smallest skill id) and a unit
   ranks at the deepest skill it addresses, then at the shallowest;
3. foundations first: beginner, intermediate, advanced, then units of unknown level by position;
4. within that, an item's parts stay together, better items first.
Weeks are filled in that order, each up to minutes_per_week (next-fit, so week numbers never go
down along the path; a step that fits in a week never splits across two).

A gap is covered when the chosen units close all of it. Any other gap is uncovered, and the reason
says what L&D or the employee can do about it: "no_content" when no unit was retrieved for it
(buy or write some), "no_language" when its units were all in languages the learner does not read
(`excluded_by_language`, from `ranking.skills_excluded_by_language`), "not_enough_content" when
every usable unit for it is in the path and the gap is still open, "too_long" when what is left for
it is only units longer than the whole budget (give more time), and "no_time" when
usable units exist but the budget did not stretch to them (more weeks). An uncovered gap may
still be partly worked on (`closed`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from recommender.gaps import Gap
from recommender.ranking import LEVEL_ORDER, ScoredCandidate
from recommender.tagging import language_code

NO_CONTENT = "no_content"
NO_TIME = "no_time"
NOT_ENOUGH_CONTENT = "not_enough_content"
TOO_LONG = "too_long"
NO_LANGUAGE = "no_language"
_EPS = 1e-9
# A gap of importance 0 still gets a sliver of value, so spare time goes to it rather than to nothing.
_MIN_LEVEL_VALUE = 1e-6
SHORT_MINUTES = 15


@dataclass(frozen=True)
class Budget:
    minutes_per_week: int
    weeks: int

    def __post_init__(self) -> None:
        for name in ("minutes_per_week", "weeks"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number of at least 0, got {value!r}")

    @property
    def total(self) -> int:
        return self.minutes_per_week * self.weeks


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
    last_week: int = 0  # the week the step ends in; set by build_path (equal to `week` unless it spans)
    # `why` without where the learner is now: shown when the path is fetched again by a caller the
    # employer's setting no longer lets see gap scores.
    why_without_levels: str = ""


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
    """One unit with every gap it was retrieved for (entries keyed by skill)."""

    unit_id: int
    item_id: int
    title: str
    minutes: int
    level: str | None
    format: str
    position: int
    entries: dict[int, ScoredCandidate] = field(default_factory=dict)
    amounts: dict[int, float] = field(default_factory=dict)  # a_us: levels it can close per skill

    @property
    def cost(self) -> int:
        return max(1, self.minutes)

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


def _order(
    units: Sequence[_Unit],
    depth: Mapping[int, int],
    item_rank: Mapping[int, int],
    keys: dict[int, tuple[int, ...]] | None = None,
) -> list[_Unit]:
    """Sort by (skill depth, level, item, position), then put each item's parts back in position
    order within the places its parts took. `keys` remembers each unit's sort key across calls
    (the greedy orders the growing plan once per unit it tries)."""
    memo: dict[int, tuple[int, ...]] = {} if keys is None else keys

    def key(unit: _Unit) -> tuple[int, ...]:
        known = memo.get(unit.unit_id)
        if known is None:
            known = memo[unit.unit_id] = _order_key(unit)
        return known

    def _order_key(unit: _Unit) -> tuple[int, ...]:
        depths = [depth.get(skill, 0) for skill in unit.entries]
        rank = _level_rank(unit.level)
        place = (
            (item_rank[unit.item_id], unit.position)
            if rank < len(LEVEL_ORDER)
            else (unit.position, item_rank[unit.item_id])
        )
        return (max(depths), min(depths), rank, *place, unit.unit_id)

    ordered = sorted(units, key=key)
    slots: dict[int, list[int]] = {}
    for index, unit in enumerate(ordered):
        slots.setdefault(unit.item_id, []).append(index)
    result = list(ordered)
    for indexes in slots.values():
        parts = sorted((ordered[i] for i in indexes), key=lambda u: (u.position, u.unit_id))
        for index, part in zip(indexes, parts, strict=True):
            result[index] = part
    return result


def _weeks(units: Sequence[_Unit], minutes_per_week: int) -> list[tuple[int, int]]:
    """(first week, last week) per unit, next-fit: fill week 1 in order, start a new week when the
    next step does not fit; a step longer than a week starts on a fresh week and runs
    minutes_per_week a week until done, its last week's spare minutes open to the next step."""
    spans: list[tuple[int, int]] = []
    week, used = 1, 0
    for unit in units:
        if unit.minutes <= minutes_per_week:
            if used and used + unit.minutes > minutes_per_week:
                week, used = week + 1, 0
            used += unit.minutes
            spans.append((week, week))
            continue
        if used:
            week, used = week + 1, 0
        span = math.ceil(unit.minutes / minutes_per_week)
        spans.append((week, week + span - 1))
        week += span - 1
        used = unit.minutes - (span - 1) * minutes_per_week
    return spans


# --------------------------------------------------------------------------------------------------
# The why: plain language, Dutch or English
# --------------------------------------------------------------------------------------------------

# (Dutch noun, takes "het"), English noun
_FORMAT_WORDS: dict[str, tuple[str, bool, str]] = {
    "video": ("video", False, "video"),
    "course": ("cursus", False, "course"),
    "article": ("artikel", True, "article"),
    "page": ("pagina", False, "page"),
    "microlearning": ("microlearning", False, "microlearning"),
    "classroom": ("training", False, "training session"),
    "event": ("bijeenkomst", False, "session"),
    "podcast": ("podcast", False, "podcast"),
}
_DEFAULT_FORMAT = ("les", False, "lesson")
_LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "nl": ("Nederlands", "Dutch"),
    "en": ("Engels", "English"),
    "de": ("Duits", "German"),
    "fr": ("Frans", "French"),
    "es": ("Spaans", "Spanish"),
}
_LEVEL_WORDS_NL = {
    "beginner": "legt de basis",
    "intermediate": "gaat verder dan de basis",
    "advanced": "is voor gevorderden",
}
_LEVEL_WORDS_EN = {
    "beginner": "covers the basics",
    "intermediate": "goes beyond the basics",
    "advanced": "is for advanced learners",
}


def _label(skill_id: int, labels: Mapping[int, str], dutch: bool) -> str:
    label = labels.get(skill_id, "").strip()
    return label or ("deze vaardigheid" if dutch else "this skill")


def _join(words: Sequence[str], dutch: bool) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + (" en " if dutch else " and ") + words[-1]


def _why(
    unit: _Unit,
    addresses: Sequence[tuple[int, float]],
    gaps: Mapping[int, Gap],
    labels: Mapping[int, str],
    dutch: bool,
    role_name: str | None,
    show_levels: bool = True,
) -> str:
    """Two or three short sentences: the gap, then what this unit is and why it suits the learner.
    Without `show_levels` the first names the required level only, not where the learner is now."""
    main = addresses[0][0]
    gap = gaps[main]
    label = _label(main, labels, dutch)
    now = round(gap.current)
    reasons = set(unit.entries[main].reasons)
    noun_nl, het, noun_en = _FORMAT_WORDS.get(unit.format.strip().lower(), _DEFAULT_FORMAT)
    short = unit.minutes <= SHORT_MINUTES
    level = (unit.level or "").strip().lower()
    fallback = next((r.split(":", 1)[1] for r in reasons if r.startswith("language_fallback:")), None)
    others = [_label(skill, labels, dutch) for skill, _ in addresses[1:]]

    if dutch:
        role = f" als {role_name}" if role_name else " in je rol"
        where = f"je zit nu rond {now}" if gap.current >= 0.5 else "je hebt dit nog niet laten zien"
        parts = [
            f"Je hebt {label} nodig op niveau {gap.required}{role}" + (f"; {where}." if show_levels else ".")
        ]
        subject = ("Dit" if het else "Deze") + (" korte " if short else " ") + noun_nl
        what = f'{subject} "{unit.title}" ({unit.minutes} min)'
        if "level_fit" in reasons:
            what += " is op jouw niveau"
        elif level in _LEVEL_WORDS_NL:
            what += " " + _LEVEL_WORDS_NL[level]
        else:
            what += " helpt je verder"
        extras = []
        if "high_rating" in reasons:
            extras.append("goed beoordeeld door andere collega's")
        if "fresh" in reasons:
            extras.append("onlangs bijgewerkt")
        parts.append(what + (", " + _join(extras, True) if extras else "") + ".")
        if others:
            parts.append(f"Het helpt ook bij {_join(others, True)}.")
        if fallback:
            name = _LANGUAGE_NAMES.get(fallback, (fallback, fallback))[0]
            parts.append(f"Er is hierover nog niets goeds in jouw taal, daarom is dit in het {name}.")
        return " ".join(parts)

    role = f" as a {role_name}" if role_name else " in your role"
    where = f"you are at about {now} now" if gap.current >= 0.5 else "you have not shown it yet"
    parts = [f"You need {label} at level {gap.required}{role}" + (f"; {where}." if show_levels else ".")]
    subject = "This short " + noun_en if short else "This " + noun_en
    what = f'{subject} "{unit.title}" ({unit.minutes} min)'
    if "level_fit" in reasons:
        what += " is at your level"
    elif level in _LEVEL_WORDS_EN:
        what += " " + _LEVEL_WORDS_EN[level]
    else:
        what += " takes you a step further"
    extras = []
    if "high_rating" in reasons:
        extras.append("well rated by colleagues")
    if "fresh" in reasons:
        extras.append("recently updated")
    parts.append(what + (", " + _join(extras, False) if extras else "") + ".")
    if others:
        parts.append(f"It also helps with {_join(others, False)}.")
    if fallback:
        name = _LANGUAGE_NAMES.get(fallback, (fallback, fallback))[1]
        parts.append(f"There is nothing good on this in your language yet, so this one is in {name}.")
    return " ".join(parts)


# --------------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------------


def _collect_units(
    scored: Sequence[ScoredCandidate], open_gaps: Mapping[int, Gap], minutes_per_gap_level: int
) -> dict[int, _Unit]:
    units: dict[int, _Unit] = {}
    for entry in scored:
        c = entry.candidate
        if c.skill_id not in open_gaps:
            continue
        if c.minutes < 0:
            raise ValueError(f"unit {c.unit_id} has negative minutes ({c.minutes})")
        unit = units.get(c.unit_id)
        if unit is None:
            unit = units[c.unit_id] = _Unit(
                unit_id=c.unit_id,
                item_id=c.item_id,
                title=c.title,
                minutes=c.minutes,
                level=c.level,
                format=c.format,
                position=c.position,
            )
        elif unit.minutes != c.minutes or unit.item_id != c.item_id:
            raise ValueError(f"unit {c.unit_id} appears with different minutes or items")
        previous = unit.entries.get(c.skill_id)
        if previous is None or entry.score > previous.score:
            unit.entries[c.skill_id] = entry
            relevance = min(1.0, max(0.0, c.relevance))
            unit.amounts[c.skill_id] = unit.minutes / minutes_per_gap_level * relevance
    return units


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
) -> LearningPath:
    """Choose, order and schedule units for the open gaps within the budget (see the module docstring).

    `scored` may hold a unit several times, once per gap it was retrieved for; the step then
    addresses all of them. Closed gaps (size 0) are ignored. `role_name` only colours the why text.
    """
    if minutes_per_gap_level <= 0:
        raise ValueError(f"minutes_per_gap_level must be positive, got {minutes_per_gap_level!r}")
    open_gaps: dict[int, Gap] = {}
    for gap in gaps:
        if gap.skill_id in open_gaps:
            raise ValueError(f"skill {gap.skill_id} has more than one gap")
        if gap.gap > 0:
            open_gaps[gap.skill_id] = gap
    value_per_level = {s: max(g.priority / g.gap, 0.0) + _MIN_LEVEL_VALUE for s, g in open_gaps.items()}
    units = _collect_units(scored, open_gaps, minutes_per_gap_level)
    usable = {u.unit_id: u for u in units.values() if u.minutes <= budget.total}

    item_best: dict[int, float] = {}
    for unit in units.values():
        item_best[unit.item_id] = max(item_best.get(unit.item_id, 0.0), unit.score)
    item_rank = {item: rank for rank, item in enumerate(sorted(item_best, key=lambda i: (-item_best[i], i)))}
    depth = _skill_depths(prerequisites or {}, open_gaps)

    order_keys: dict[int, tuple[int, ...]] = {}

    def fits(chosen: Sequence[_Unit]) -> bool:
        if sum(u.minutes for u in chosen) > budget.total:
            return False
        weeks = _weeks(_order(chosen, depth, item_rank, order_keys), budget.minutes_per_week)
        return not weeks or weeks[-1][1] <= budget.weeks

    def gain(unit: _Unit, remaining: Mapping[int, float]) -> float:
        return math.fsum(
            value_per_level[s] * min(remaining[s], unit.amounts[s]) * entry.score
            for s, entry in unit.entries.items()
        )

    # the cost-effective greedy
    remaining = {s: g.gap for s, g in open_gaps.items()}
    chosen: list[_Unit] = []
    credited: dict[int, dict[int, float]] = {}  # unit -> skill -> levels credited when it was picked
    greedy_value = 0.0
    spent = 0
    left = sorted(usable.values(), key=lambda u: u.unit_id)
    while left:
        ranked = sorted(
            ((gain(u, remaining), u) for u in left), key=lambda p: (-p[0] / p[1].cost, -p[0], p[1].unit_id)
        )
        pick: _Unit | None = None
        pick_gain = 0.0
        for value, unit in ranked:
            if value <= _EPS:
                break
            if spent + unit.minutes <= budget.total and fits([*chosen, unit]):
                pick, pick_gain = unit, value
                break
        if pick is None:
            break
        credited[pick.unit_id] = {}
        for s in pick.entries:
            amount = min(remaining[s], pick.amounts[s])
            if amount > _EPS:
                credited[pick.unit_id][s] = amount
                remaining[s] -= amount
        chosen.append(pick)
        spent += pick.minutes
        greedy_value += pick_gain
        left = [u for u in left if u.unit_id != pick.unit_id]

    # the best single unit, in case one long unit beats the greedy plan
    full = {s: g.gap for s, g in open_gaps.items()}
    singles = sorted(
        ((gain(u, full), u) for u in usable.values() if fits([u])), key=lambda p: (-p[0], p[1].unit_id)
    )
    if singles and singles[0][0] > greedy_value + _EPS:
        single = singles[0][1]
        chosen = [single]
        credited = {single.unit_id: {s: min(full[s], single.amounts[s]) for s in single.entries}}
        credited[single.unit_id] = {s: a for s, a in credited[single.unit_id].items() if a > _EPS}
        remaining = dict(full)
        for s, amount in credited[single.unit_id].items():
            remaining[s] -= amount

    ordered = _order(chosen, depth, item_rank, order_keys)
    weeks = _weeks(ordered, budget.minutes_per_week)
    dutch = language_code(language) == "nl"
    steps: list[PathStep] = []
    for unit, (week, last_week) in zip(ordered, weeks, strict=True):
        addresses = sorted(
            credited[unit.unit_id].items(), key=lambda p: (-value_per_level[p[0]] * p[1], p[0])
        )
        rounded = tuple((s, round(a, 2)) for s, a in addresses)
        steps.append(
            PathStep(
                unit_id=unit.unit_id,
                item_id=unit.item_id,
                title=unit.title,
                minutes=unit.minutes,
                week=week,
                last_week=last_week,
                addresses=rounded,
                why=_why(unit, addresses, open_gaps, skill_labels, dutch, role_name, show_levels),
                score=round(unit.score, 4),
                why_without_levels=_why(unit, addresses, open_gaps, skill_labels, dutch, role_name, False),
            )
        )

    chosen_ids = {u.unit_id for u in chosen}
    # a unit with relevance 0 (or 0 minutes) teaches nothing of the skill: it is no content for it
    has_units = {s for u in units.values() for s, a in u.amounts.items() if a > _EPS}
    covered: list[int] = []
    uncovered: list[UncoveredGap] = []
    ordered_gaps = sorted(open_gaps.values(), key=lambda g: (-g.priority, -g.importance, g.skill_id))
    for gap in ordered_gaps:
        s = gap.skill_id
        closed = gap.gap - remaining[s]
        teaching = [u for u in units.values() if u.amounts.get(s, 0.0) > _EPS]
        if s in has_units and remaining[s] <= _EPS:
            covered.append(s)
        elif s not in has_units:
            reason = NO_LANGUAGE if s in excluded_by_language else NO_CONTENT
            uncovered.append(UncoveredGap(skill_id=s, reason=reason))
        else:
            left = [u for u in teaching if u.unit_id not in chosen_ids]
            if not left:
                reason = NOT_ENOUGH_CONTENT
            elif all(u.unit_id not in usable for u in left):
                reason = TOO_LONG
            else:
                reason = NO_TIME
            uncovered.append(UncoveredGap(skill_id=s, reason=reason, closed=round(closed, 2)))

    total_priority = math.fsum(g.priority for g in open_gaps.values())
    if open_gaps and total_priority > 0:
        share = math.fsum(g.priority * (g.gap - remaining[g.skill_id]) / g.gap for g in open_gaps.values())
        share /= total_priority
    elif open_gaps:  # every gap has importance 0: fall back to sizes
        share = math.fsum(g.gap - remaining[g.skill_id] for g in open_gaps.values()) / math.fsum(
            g.gap for g in open_gaps.values()
        )
    else:
        share = 1.0
    return LearningPath(
        steps=tuple(steps),
        covered=tuple(covered),
        uncovered=tuple(uncovered),
        total_minutes=sum(step.minutes for step in steps),
        covered_priority_share=round(min(1.0, max(0.0, share)), 4),
    )
