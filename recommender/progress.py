"""An employee's own progress: minutes learned per week against their weekly goal, the streak of weeks
the goal was met, and the skills that reached what their role asks (milestones).

Pure (stdlib only). Made for the employee's own view: it compares a person with their own goal and
never with colleagues. Leerpad ranks no individuals anywhere (docs/works-council.md says why): a
league table of learners rewards those with the most free time and shames the rest, which is the
opposite of the learning culture the product serves.

Weeks are ISO weeks (Monday to Sunday) in UTC. The current week counts towards the streak once its
goal is met; until then the streak runs up to last week, so a Monday morning does not break it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WEEKS_SHOWN = 8


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
