"""An employee's own progress: minutes per ISO week, the streak against their goal, milestones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recommender.progress import LearnedMinutes, Milestone, minutes_per_week, progress, streak, week_start

WEDNESDAY = date(2026, 12, 2)


def at(day: date, minutes: float) -> LearnedMinutes:
    return LearnedMinutes(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), minutes)


def test_weeks_start_on_monday_and_sum_the_minutes() -> None:
    assert week_start(WEDNESDAY) == date(2026, 11, 30)
    assert week_start(date(2026, 11, 30)) == date(2026, 11, 30)
    assert week_start(date(2027, 1, 3)) == date(2026, 12, 28)  # a Sunday across the year boundary
    weekly = minutes_per_week(
        [at(date(2026, 11, 30), 10), at(date(2026, 12, 6), 15), at(date(2026, 12, 7), 5)]
    )
    assert weekly == {date(2026, 11, 30): 25.0, date(2026, 12, 7): 5.0}
    with pytest.raises(ValueError):
        minutes_per_week([at(WEDNESDAY, -1)])


def test_the_streak_runs_to_last_week_until_this_weeks_goal_is_met() -> None:
    weekly = {date(2026, 11, 16): 30.0, date(2026, 11, 23): 25.0, date(2026, 11, 9): 5.0}
    assert streak(weekly, 20, WEDNESDAY) == 2  # this week not met yet: the streak is not broken
    assert streak({**weekly, date(2026, 11, 30): 20.0}, 20, WEDNESDAY) == 3
    assert streak({date(2026, 11, 16): 30.0}, 20, WEDNESDAY) == 0  # last week missed: broken
    assert streak(weekly, 0, WEDNESDAY) == 0


def test_progress_shows_eight_weeks_this_week_last_and_the_milestones() -> None:
    reached = Milestone(skill_id=3, required=3, level=3.2, reached_on=date(2026, 11, 20))
    shown = progress([at(date(2026, 11, 24), 25), at(WEDNESDAY, 12)], 20, WEDNESDAY, [reached])
    assert [w.start for w in shown.weeks][-1] == date(2026, 11, 30) and len(shown.weeks) == 8
    assert (shown.this_week.minutes, shown.this_week.goal_met) == (12, False)
    assert shown.weeks[-2].goal_met and shown.streak == 1
    assert shown.milestones == (reached,)
