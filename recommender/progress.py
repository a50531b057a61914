"""An employee's own progress: minutes learned per week against their weekly goal, the streak of weeks
the goal was met, and the skills that reached what their role asks (milestones).

Beside it, the group figures of the KPI report: time to proficiency per skill and the share of
Learning Day time used, each hidden below MIN_GROUP_SIZE people (recommender.privacy).

Pure (stdlib, plus `recommender.privacy`). The employee's view compares a person with their own goal
and never with colleagues. Leerpad ranks no individuals anywhere (docs/works-council.md says why): a
league table of learners rewards those with the most free time and shames the rest, which is the
opposite of the learning culture the product serves.

Weeks are ISO weeks (Monday to Sunday) in UTC. The current week counts towards the streak once its
goal is met; until then the streak runs up to last week, so a Monday morning does not break it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from recommender.feedback import DONE_VERBS
from recommender.privacy import MIN_GROUP_SIZE, too_small

WEEKS_SHOWN = 8


def learned_minutes(
    verb: str, duration_seconds: float | None, unit_minutes: float | None, item_minutes: float | None
) -> float:
    """The learning time one event stands for: for a finished unit or item (recommender.feedback's
    DONE_VERBS) the statement's duration, else the unit's stated minutes, else the item's; 0 for any
    other event (an attempt, a rating, a dismissal: counting those too would count the same time
    twice). Progress, team challenges and the Learning Day KPI all count with this one rule."""
    if verb not in DONE_VERBS:
        return 0.0
    if duration_seconds is not None and duration_seconds > 0:
        return duration_seconds / 60.0
    minutes = unit_minutes if unit_minutes is not None else item_minutes
    return float(minutes or 0)


@dataclass(frozen=True)
class LearnedMinutes:
    """Minutes one finished unit (or item) took, on the day it was finished."""

    occurred_at: datetime
    minutes: float


@dataclass(frozen=True)
class Week:
    start: date  # a Monday
    minutes: int
    goal_met: bool


@dataclass(frozen=True)
class Milestone:
    skill_id: int
    required: int
    level: float
    reached_on: date | None  # the day of the latest evidence, when there is one


@dataclass(frozen=True)
class Progress:
    weekly_goal: int
    this_week: Week
    streak: int
    weeks: tuple[Week, ...]  # the last WEEKS_SHOWN weeks, oldest first, this week last
    milestones: tuple[Milestone, ...]


def week_start(day: date) -> date:
    """The Monday of the ISO week that holds `day`."""
    return day - timedelta(days=day.weekday())


def minutes_per_week(learned: Iterable[LearnedMinutes]) -> dict[date, float]:
    """Minutes learned in each week that has any."""
    weeks: dict[date, float] = {}
    for entry in learned:
        if entry.minutes < 0:
            raise ValueError(f"minutes must be at least 0, got {entry.minutes!r}")
        start = week_start(entry.occurred_at.date())
        weeks[start] = weeks.get(start, 0.0) + entry.minutes
    return weeks


def streak(weekly: Mapping[date, float], goal: int, today: date) -> int:
    """Consecutive weeks with the goal met, ending this week if it is met already, else last week."""
    if goal <= 0:
        return 0
    week = week_start(today)
    if weekly.get(week, 0.0) < goal:
        week -= timedelta(weeks=1)
    count = 0
    while weekly.get(week, 0.0) >= goal:
        count += 1
        week -= timedelta(weeks=1)
    return count


def progress(
    learned: Sequence[LearnedMinutes], weekly_goal: int, today: date, milestones: Sequence[Milestone] = ()
) -> Progress:
    """The employee's progress as of `today`."""
    if weekly_goal < 0:
        raise ValueError(f"weekly_goal must be at least 0, got {weekly_goal!r}")
    weekly = minutes_per_week(learned)
    current = week_start(today)
    weeks = tuple(
        Week(start, round(weekly.get(start, 0.0)), weekly_goal > 0 and weekly.get(start, 0.0) >= weekly_goal)
        for start in (current - timedelta(weeks=back) for back in range(WEEKS_SHOWN - 1, -1, -1))
    )
    return Progress(
        weekly_goal=weekly_goal,
        this_week=weeks[-1],
        streak=streak(weekly, weekly_goal, today),
        weeks=weeks,
        milestones=tuple(milestones),
    )


# --- group figures of the KPI report --------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One piece of evidence of a level: when, how high, and from which source (time to proficiency
    is counted from the first evidence at or above the target, the same for every skill)."""

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
