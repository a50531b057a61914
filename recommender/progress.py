"""Progress that is seen, without league tables: an employee's weekly goal and streak, their
milestones, the share of Learning Day time used and the time to proficiency per skill.

Pure (stdlib, plus `recommender.privacy`). Nothing here orders people: every function either looks at
one employee (their own view) or sums a group and hides it below MIN_GROUP_SIZE people
(docs/works-council.md says why there is no ranking of individuals).

Evidence. A skill reaches its target level when one observation of it (an assessment of any source,
"completion" included) is at or above the target; the gap opened at the first observation below the
target, or at the start of the first path that worked on the skill, whichever came first. Milestones
(the employee's own view) and the time to proficiency (per skill, over a group) use the same rule,
`first_reached`, so the two never disagree.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from recommender.privacy import MIN_GROUP_SIZE, too_small


def week_start(day: date) -> date:
    """The Monday of the ISO week `day` falls in."""
    return day - timedelta(days=day.weekday())


def minutes_by_week(entries: Iterable[tuple[date, float]]) -> dict[date, float]:
    """Learning minutes summed per ISO week (keyed by its Monday)."""
    weeks: dict[date, float] = {}
    for day, minutes in entries:
        if minutes > 0:
            monday = week_start(day)
            weeks[monday] = weeks.get(monday, 0.0) + minutes
    return weeks


def streak(weeks: Mapping[date, float], goal: float, today: date) -> int:
    """Consecutive weeks with the goal met, counted back from this week when it is met already, else
    from last week (a week still under way does not break a streak). A goal of 0 or less is no goal:
    no streak."""
    if goal <= 0:
        return 0
    monday = week_start(today)
    if weeks.get(monday, 0.0) < goal:
        monday -= timedelta(days=7)
    count = 0
    while weeks.get(monday, 0.0) >= goal:
        count += 1
        monday -= timedelta(days=7)
    return count


@dataclass(frozen=True)
class Observation:
    """One piece of evidence of a level: when, how high, and from which source."""

    at: datetime
    level: float
    source: str


def first_reached(
    observations: Sequence[Observation], target: float, since: datetime | None = None
) -> Observation | None:
    """The first observation (by time) at or above `target`, not before `since`; None when none is."""
    for observation in sorted(observations, key=lambda o: o.at):
        if since is not None and observation.at < since:
            continue
        if observation.level >= target:
            return observation
    return None


@dataclass(frozen=True)
class Milestone:
    skill_id: int
    target: int
    reached_at: datetime
    source: str  # the evidence that showed it: self, manager, test, 360, completion
    level: float


def milestones(targets: Mapping[int, int], evidence: Mapping[int, Sequence[Observation]]) -> list[Milestone]:
    """The skills of the role (skill -> target level, targets above 0) that the evidence shows at their
    target, each with the first observation that did, oldest first."""
    found: list[Milestone] = []
    for skill_id, target in targets.items():
        if target <= 0:
            continue
        reached = first_reached(evidence.get(skill_id, ()), target)
        if reached is not None:
            found.append(Milestone(skill_id, target, reached.at, reached.source, reached.level))
    return sorted(found, key=lambda m: (m.reached_at, m.skill_id))


def gap_opened(
    observations: Sequence[Observation], target: float, path_started: datetime | None = None
) -> datetime | None:
    """When the gap opened: the first observation below target or the start of the first path on the
    skill, whichever came first; None when neither exists."""
    below = [o.at for o in observations if o.level < target]
    moments = [*below, *([path_started] if path_started is not None else [])]
    return min(moments) if moments else None


def days_to_proficiency(
    observations: Sequence[Observation], target: float, path_started: datetime | None = None
) -> float | None:
    """Days from the gap opening to the first evidence at the target after it; None when the gap never
    opened (the first evidence met the target already) or is still open."""
    opened = gap_opened(observations, target, path_started)
    if opened is None:
        return None
    reached = first_reached(observations, target, since=opened)
    if reached is None:
        return None
    return (reached.at - opened).total_seconds() / 86400.0


@dataclass(frozen=True)
class GroupMedian:
    """A median over a group of people, hidden (None) below MIN_GROUP_SIZE of them."""

    employees: int
    median: float | None
    suppressed: bool


def group_median(values: Sequence[float], minimum: int = MIN_GROUP_SIZE) -> GroupMedian:
    """The median of one value per employee; hidden when 1 to minimum - 1 employees give one."""
    if too_small(len(values), minimum):
        return GroupMedian(len(values), None, True)
    return GroupMedian(len(values), round(statistics.median(values), 1) if values else None, False)


@dataclass(frozen=True)
class GroupShare:
    """Minutes used of minutes planned, summed over a group; the share hidden below MIN_GROUP_SIZE."""

    employees: int
    planned_minutes: float
    used_minutes: float
    share: float | None
    suppressed: bool


def group_share(
    per_employee: Mapping[int, tuple[float, float]], minimum: int = MIN_GROUP_SIZE, hide: bool = False
) -> GroupShare:
    """(planned, used) minutes per employee with planned time summed into one share, capped at 1
    (learning more than was planned on the day counts as the day fully used). Hidden, with its
    minutes, when 1 to minimum - 1 employees had time planned, or when `hide` (another rule of
    `recommender.privacy` hides it)."""
    planned_for = {e: v for e, v in per_employee.items() if v[0] > 0}
    planned = sum(v[0] for v in planned_for.values())
    used = sum(min(v[1], v[0]) for v in planned_for.values())
    if hide or too_small(len(planned_for), minimum):
        return GroupShare(len(planned_for), 0.0, 0.0, None, True)
    share = round(used / planned, 4) if planned > 0 else None
    return GroupShare(len(planned_for), round(planned, 1), round(used, 1), share, False)
