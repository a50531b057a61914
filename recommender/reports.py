"""The figures behind the gap report and the learning KPIs, computed from plain facts.

Pure (stdlib only). The service reads employees, gaps, events, paths, assessments and L&D figures
from the database, turns them into the facts below and applies `recommender.privacy` to what
these functions return; docs/reports.md defines every figure for L&D and the works council.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from recommender.gaps import Gap

ALL_TEAMS = "all teams"
NO_TEAM = "(no team)"

ENGAGED_VERBS = frozenset({"experienced", "completed", "passed", "failed"})
FINISHED_VERBS = frozenset({"completed", "passed"})
TEST_VERBS = frozenset({"passed", "failed"})
ACTIVE_VERBS = ENGAGED_VERBS | {"rated"}  # what counts as taking part; a dismissal does not
MINUTES_VERBS = frozenset({"experienced", "completed"})
# Assessments that say what someone can do; "completion" is the learning itself, not its effect.
OUTCOME_SOURCES = frozenset({"self", "manager", "test", "360"})
BEHAVIOUR_SOURCES = frozenset({"manager", "360"})  # Kirkpatrick level 3: others see the change at work
PERIODS = ("month", "week")


# --- gaps ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonGaps:
    """One employee's gaps for their role, closed ones included (size 0), so that a skill the
    role needs and the employee meets still counts the employee."""

    employee_id: int
    team: str
    role: str
    gaps: tuple[Gap, ...]


@dataclass(frozen=True)
class GapStats:
    """One skill over a group of employees whose roles need it."""

    employees: int
    with_gap: int
    mean_gap: float
    weighted_gap: float  # mean of importance x gap
    weighted_total: float  # sum of importance x gap


def _stats(gaps: Sequence[Gap]) -> GapStats:
    sizes = [g.gap for g in gaps]
    weighted = [g.importance * g.gap for g in gaps]
    total = math.fsum(weighted)
    return GapStats(
        employees=len(gaps),
        with_gap=len([size for size in sizes if size > 0]),
        mean_gap=round(math.fsum(sizes) / len(gaps), 2),
        weighted_gap=round(total / len(gaps), 3),
        weighted_total=round(total, 3),
    )


def skill_stats(people: Iterable[PersonGaps]) -> dict[int, GapStats]:
    """skill id -> figures over everyone in `people` whose role needs the skill."""
    by_skill: dict[int, list[Gap]] = defaultdict(list)
    for person in people:
        for gap in person.gaps:
            by_skill[gap.skill_id].append(gap)
    return {skill_id: _stats(gaps) for skill_id, gaps in by_skill.items()}


def grouped_stats(
    people: Iterable[PersonGaps], group_of: Callable[[PersonGaps], str]
) -> dict[tuple[str, int], GapStats]:
    """(group, skill id) -> figures, for a team (or role) by skill table."""
    groups: dict[str, list[PersonGaps]] = defaultdict(list)
    for person in people:
        groups[group_of(person)].append(person)
    return {
        (group, skill_id): stats
        for group, members in groups.items()
        for skill_id, stats in skill_stats(members).items()
    }


def table_with_total(
    people: Sequence[PersonGaps], group_of: Callable[[PersonGaps], str]
) -> dict[tuple[str, int], GapStats]:
    """Group (team or role) by skill, plus the ALL_TEAMS row over everyone: `grouped_stats` and
    `skill_stats` in one pass over the people."""
    by_cell: dict[tuple[str, int], list[Gap]] = defaultdict(list)
    by_skill: dict[int, list[Gap]] = defaultdict(list)
    for person in people:
        group = group_of(person)
        for gap in person.gaps:
            by_cell[(group, gap.skill_id)].append(gap)
            by_skill[gap.skill_id].append(gap)
    cells = {key: _stats(gaps) for key, gaps in by_cell.items()}
    cells.update({(ALL_TEAMS, skill_id): _stats(gaps) for skill_id, gaps in by_skill.items()})
    return cells


def group_sizes(people: Iterable[PersonGaps], group_of: Callable[[PersonGaps], str]) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for person in people:
        sizes[group_of(person)] += 1
    return dict(sizes)


@dataclass(frozen=True)
class Closable:
    """How much gap an item could close: the sum over skills it teaches of the tag's confidence times
    the open importance-weighted gap of everyone lacking the skill, and how many people that is."""

    value: float
    employees: int


def closable_by_item(
    people: Iterable[PersonGaps], item_tags: Mapping[int, Mapping[int, float]]
) -> dict[int, Closable]:
    """item id -> Closable, for items (item id -> {skill id: confidence}) teaching an open gap."""
    open_total: dict[int, float] = defaultdict(float)
    lacking: dict[int, set[int]] = defaultdict(set)
    for person in people:
        for gap in person.gaps:
            if gap.gap > 0:
                open_total[gap.skill_id] += gap.importance * gap.gap
                lacking[gap.skill_id].add(person.employee_id)
    result: dict[int, Closable] = {}
    for item_id, tags in item_tags.items():
        value = math.fsum(confidence * open_total[s] for s, confidence in tags.items() if s in open_total)
        if value <= 0:
            continue
        reached: set[int] = set()
        for skill_id in tags:
            reached |= lacking.get(skill_id, set())
        result[item_id] = Closable(round(value, 3), len(reached))
    return result


# --- learning KPIs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFact:
    """One learning event of an employee in the report's population."""

    employee_id: int
    verb: str
    item_id: int | None
    occurred_at: datetime
    minutes: float | None  # the statement's duration, else the unit's (or item's) minutes when finished
    score: float | None  # result.score.scaled
    success: bool | None


@dataclass(frozen=True)
class PathFact:
    employee_id: int
    created_at: datetime
    weeks: int


@dataclass(frozen=True)
class AssessmentFact:
    employee_id: int
    skill_id: int
    level: float
    source: str
    observed_at: datetime


@dataclass(frozen=True)
class FigureFact:
    """A cost, benefit or business result L&D entered."""

    kind: str  # cost, benefit, result
    name: str
    team: str | None
    period_start: date
    period_end: date
    value: float
    unit: str


@dataclass(frozen=True)
class Ratio:
    """A KPI value and the number of employees it rests on (for suppression)."""

    value: float | None
    employees: int


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # inclusive


def periods(start: date, end: date, kind: str) -> list[Period]:
    """Calendar months or ISO weeks touching [start, end], each clipped to the window."""
    if kind not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {kind!r}")
    if end < start:
        raise ValueError(f"the window ends ({end}) before it starts ({start})")
    result: list[Period] = []
    cursor = start
    while cursor <= end:
        if kind == "month":
            first = cursor.replace(day=1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            label = f"{first.year}-{first.month:02d}"
        else:
            first = cursor - timedelta(days=cursor.weekday())
            following = first + timedelta(days=7)
            year, week, _ = first.isocalendar()
            label = f"{year}-W{week:02d}"
        last = min(following - timedelta(days=1), end)
        result.append(Period(label, max(first, start), last))
        cursor = following
    return result


def participation(population: int, events: Iterable[EventFact], start: date, end: date) -> Ratio:
    """Share of the population with at least one learning event (not a dismissal) in the window."""
    if population == 0:
        return Ratio(None, 0)
    active = {
        e.employee_id for e in events if e.verb in ACTIVE_VERBS and start <= e.occurred_at.date() <= end
    }
    return Ratio(round(len(active) / population, 4), population)


def completion(events: Iterable[EventFact], start: date, end: date) -> Ratio:
    """Of the (employee, item) pairs engaged with in the window, the share completed or passed there."""
    engaged: set[tuple[int, int]] = set()
    finished: set[tuple[int, int]] = set()
    for event in events:
        if event.item_id is None or not start <= event.occurred_at.date() <= end:
            continue
        pair = (event.employee_id, event.item_id)
        if event.verb in ENGAGED_VERBS:
            engaged.add(pair)
        if event.verb in FINISHED_VERBS:
            finished.add(pair)
    people = len({employee for employee, _ in engaged})
    return Ratio(round(len(finished) / len(engaged), 4) if engaged else None, people)


def minutes_per_employee(population: int, events: Iterable[EventFact], start: date, end: date) -> Ratio:
    """Learning minutes in the window divided over the whole population (learners and non-learners)."""
    if population == 0:
        return Ratio(None, 0)
    total = math.fsum(
        e.minutes
        for e in events
        if e.verb in MINUTES_VERBS and e.minutes is not None and start <= e.occurred_at.date() <= end
    )
    return Ratio(round(total / population, 1), population)


def active_path_share(population: int, paths: Iterable[PathFact], start: date, end: date) -> Ratio:
    """Share of the population with a path whose weeks overlap [start, end]."""
    if population == 0:
        return Ratio(None, 0)
    active = {
        p.employee_id
        for p in paths
        if p.created_at.date() <= end and (p.created_at + timedelta(weeks=p.weeks)).date() >= start
    }
    return Ratio(round(len(active) / population, 4), population)


def mean_score(
    events: Iterable[EventFact], verbs: frozenset[str], start: date, end: date
) -> tuple[Ratio, int]:
    """Mean scaled score of the events with these verbs in the window, and how many there were."""
    scored = [
        e for e in events if e.verb in verbs and e.score is not None and start <= e.occurred_at.date() <= end
    ]
    if not scored:
        return Ratio(None, 0), 0
    value = math.fsum(e.score for e in scored if e.score is not None) / len(scored)
    return Ratio(round(value, 4), len({e.employee_id for e in scored})), len(scored)


def pass_rate(events: Iterable[EventFact], start: date, end: date) -> Ratio:
    tests = [e for e in events if e.verb in TEST_VERBS and start <= e.occurred_at.date() <= end]
    if not tests:
        return Ratio(None, 0)
    passed = sum(1 for e in tests if e.verb == "passed")
    return Ratio(round(passed / len(tests), 4), len({e.employee_id for e in tests}))


@dataclass(frozen=True)
class Change:
    """Assessments before and after learning over (employee, skill) pairs."""

    pairs: int
    before: Ratio
    after: Ratio
    change: Ratio


def assessment_change(
    events: Iterable[EventFact],
    item_skills: Mapping[int, Iterable[int]],
    assessments: Iterable[AssessmentFact],
    start: date,
    end: date,
    after_sources: frozenset[str] = OUTCOME_SOURCES,
) -> Change:
    """For each (employee, skill) whose first finished item teaching the skill falls in the window:
    the latest assessment at or before that moment against the first one after it (from
    `after_sources`). Pairs without both are left out."""
    return assessment_changes(events, item_skills, assessments, start, end, [after_sources])[0]


def assessment_changes(
    events: Iterable[EventFact],
    item_skills: Mapping[int, Iterable[int]],
    assessments: Iterable[AssessmentFact],
    start: date,
    end: date,
    after_sources: Sequence[frozenset[str]],
) -> list[Change]:
    """`assessment_change` for each set of `after_sources` (training effectiveness and Kirkpatrick
    level 3), the learned pairs and their assessments found once for all."""
    learned: dict[tuple[int, int], datetime] = {}
    for event in sorted(events, key=lambda e: e.occurred_at):
        if event.verb not in FINISHED_VERBS or event.item_id is None:
            continue
        if not start <= event.occurred_at.date() <= end:
            continue
        for skill_id in item_skills.get(event.item_id, ()):
            learned.setdefault((event.employee_id, skill_id), event.occurred_at)
    by_pair: dict[tuple[int, int], list[AssessmentFact]] = defaultdict(list)
    for row in assessments:
        if row.source in OUTCOME_SOURCES and (row.employee_id, row.skill_id) in learned:
            by_pair[(row.employee_id, row.skill_id)].append(row)
    ordered = {pair: sorted(own, key=lambda r: r.observed_at) for pair, own in by_pair.items()}
    return [_change(learned, ordered, sources) for sources in after_sources]


def _change(
    learned: Mapping[tuple[int, int], datetime],
    ordered: Mapping[tuple[int, int], Sequence[AssessmentFact]],
    after_sources: frozenset[str],
) -> Change:
    befores: list[float] = []
    afters: list[float] = []
    people: set[int] = set()
    # Only pairs with an assessment can count: most learned pairs have none (and the sums are exact,
    # so the order the pairs come in does not change a figure).
    for pair, rows in ordered.items():
        moment = learned[pair]
        before = [r.level for r in rows if r.observed_at <= moment]
        after = [r.level for r in rows if r.observed_at > moment and r.source in after_sources]
        if before and after:
            befores.append(before[-1])
            afters.append(after[0])
            people.add(pair[0])
    if not befores:
        empty = Ratio(None, 0)
        return Change(0, empty, empty, empty)
    n = len(befores)
    mean_before, mean_after = math.fsum(befores) / n, math.fsum(afters) / n
    return Change(
        pairs=n,
        before=Ratio(round(mean_before, 2), len(people)),
        after=Ratio(round(mean_after, 2), len(people)),
        change=Ratio(round(mean_after - mean_before, 2), len(people)),
    )


def _overlaps(figure: FigureFact, start: date, end: date) -> bool:
    return figure.period_start <= end and figure.period_end >= start


def _for_team(figure: FigureFact, team: str | None) -> bool:
    """With a team filter: that team's figures and the company-wide ones; without: all."""
    return team is None or figure.team in (None, team)


@dataclass(frozen=True)
class ResultTrend:
    name: str
    unit: str
    team: str | None
    first_period: date
    first_value: float
    last_period: date
    last_value: float
    change: float


def business_results(
    figures: Iterable[FigureFact], start: date, end: date, team: str | None
) -> list[ResultTrend]:
    """Kirkpatrick level 4: each imported business figure's first and last value in the window."""
    series: dict[tuple[str, str, str | None], list[FigureFact]] = defaultdict(list)
    for figure in figures:
        if figure.kind == "result" and _overlaps(figure, start, end) and _for_team(figure, team):
            series[(figure.name, figure.unit, figure.team)].append(figure)
    trends: list[ResultTrend] = []
    for (name, unit, owner), rows in sorted(series.items(), key=lambda kv: (kv[0][0], kv[0][2] or "")):
        rows.sort(key=lambda f: f.period_start)
        first, last = rows[0], rows[-1]
        trends.append(
            ResultTrend(
                name,
                unit,
                owner,
                first.period_start,
                first.value,
                last.period_start,
                last.value,
                round(last.value - first.value, 4),
            )
        )
    return trends


@dataclass(frozen=True)
class ReturnOnInvestment:
    cost: float
    benefit: float
    roi: float | None  # None without costs
    currency: str


def return_on_investment(
    figures: Iterable[FigureFact], start: date, end: date, team: str | None
) -> ReturnOnInvestment | None:
    """(benefit - cost) / cost over the costs and benefits touching the window (with a team: only that
    team's own, since company-wide costs cannot be split fairly); None when L&D entered none. Figures
    in several currencies are a mistake L&D must fix, so they raise."""
    money = [
        f
        for f in figures
        if f.kind in ("cost", "benefit") and _overlaps(f, start, end) and (team is None or f.team == team)
    ]
    if not money:
        return None
    currencies = sorted({f.unit for f in money})
    if len(currencies) > 1:
        raise ValueError(f"costs and benefits are in several currencies ({', '.join(currencies)})")
    cost = round(math.fsum(f.value for f in money if f.kind == "cost"), 2)
    benefit = round(math.fsum(f.value for f in money if f.kind == "benefit"), 2)
    roi = round((benefit - cost) / cost, 4) if cost > 0 else None
    return ReturnOnInvestment(cost, benefit, roi, currencies[0])
