"""An employee's own progress (minutes per ISO week, the streak against their goal, milestones), the
minutes an event stands for, time to proficiency, and the group figures hidden below five people."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recommender.progress import (
    LearnedMinutes,
    Milestone,
    Observation,
    days_to_proficiency,
    first_reached,
    group_median,
    group_share,
    learned_minutes,
    minutes_per_week,
    progress,
    streak,
    week_start,
)

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


def moment(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_only_a_finished_unit_counts_as_learning_time_with_its_duration_first() -> None:
    assert learned_minutes("completed", 1500, 10, 60) == 25  # the statement's duration
    assert learned_minutes("passed", None, 10, 60) == 10  # else the unit's minutes
    assert learned_minutes("completed", 0, None, 60) == 60  # else the item's
    assert learned_minutes("experienced", 1800, 10, 60) == 0  # an attempt: its time is in the completion


def test_the_first_evidence_at_the_target_counts_from_a_moment_on() -> None:
    evidence = [Observation(moment("2027-01-02"), 2, "self"), Observation(moment("2027-02-10"), 4, "test")]
    reached = first_reached(evidence, 4)
    assert reached is not None and reached.source == "test"
    assert first_reached(evidence, 4, since=moment("2027-03-01")) is None


def test_time_to_proficiency_runs_from_the_gap_opening_to_the_target() -> None:
    observations = [
        Observation(moment("2027-01-01"), 1, "test"),
        Observation(moment("2027-01-31"), 4, "test"),
    ]
    assert days_to_proficiency(observations, 4) == 30
    # a path started before the first assessment opens the gap earlier
    assert days_to_proficiency(observations, 4, path_started=moment("2026-12-22")) == 40
    # at the target from the start: no gap ever opened
    assert days_to_proficiency([Observation(moment("2027-01-01"), 4, "test")], 4) is None
    # still open
    assert days_to_proficiency(observations[:1], 4) is None


def test_group_figures_are_hidden_below_five_people() -> None:
    assert group_median([10, 20, 30, 40]).median is None and group_median([10, 20, 30, 40]).suppressed
    shown = group_median([10, 20, 30, 40, 100])
    assert (shown.median, shown.employees, shown.suppressed) == (30, 5, False)

    four = {e: (480.0, 240.0) for e in range(4)}
    hidden = group_share(four)
    assert hidden.suppressed and hidden.share is None and hidden.used_minutes == 0
    five = {**four, 9: (480.0, 600.0)}  # learning more than planned counts as the day used, not more
    share = group_share(five)
    assert not share.suppressed
    assert share.share == pytest.approx((4 * 240 + 480) / (5 * 480))
    # employees without planned time are not part of the group
    assert group_share({**four, 9: (0.0, 100.0)}).suppressed
    assert group_share(five, hide=True).suppressed
