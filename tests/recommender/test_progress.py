"""Progress without league tables: weekly minutes, streaks, milestones, time to proficiency, and the
group figures hidden below five people."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recommender.progress import (
    Observation,
    days_to_proficiency,
    first_reached,
    group_median,
    group_share,
    milestones,
    minutes_by_week,
    streak,
    week_start,
)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_minutes_add_up_per_iso_week_across_a_year_boundary() -> None:
    weeks = minutes_by_week([(date(2026, 12, 28), 20), (date(2027, 1, 3), 30), (date(2027, 1, 4), 5)])
    assert week_start(date(2027, 1, 3)) == date(2026, 12, 28)
    assert weeks == {date(2026, 12, 28): 50, date(2027, 1, 4): 5}


def test_a_streak_counts_back_the_weeks_with_the_goal_met() -> None:
    weeks = {date(2027, 1, 4): 60, date(2027, 1, 11): 75, date(2027, 1, 18): 61, date(2026, 12, 21): 90}
    # Tuesday 2027-01-26: this week has nothing yet, so it does not break the streak of three
    assert streak(weeks, 60, date(2027, 1, 26)) == 3
    # once this week's goal is met it counts too
    assert streak({**weeks, date(2027, 1, 25): 60}, 60, date(2027, 1, 26)) == 4
    # a week under the goal ends it: 2026-12-28 had none, so the December week is not counted
    assert streak(weeks, 61, date(2027, 1, 26)) == 2  # 61 and 75, the 60 of 2027-01-04 falls short
    assert streak(weeks, 0, date(2027, 1, 26)) == 0


def test_a_milestone_is_the_first_evidence_at_the_target_with_its_source() -> None:
    evidence = {
        1: [Observation(at("2027-01-02"), 2, "self"), Observation(at("2027-02-10"), 4, "test")],
        2: [Observation(at("2027-01-05"), 2.5, "manager")],
        3: [Observation(at("2027-03-01"), 3, "completion"), Observation(at("2027-01-20"), 3.5, "360")],
    }
    found = milestones({1: 4, 2: 3, 3: 3, 4: 0}, evidence)
    assert [(m.skill_id, m.reached_at, m.source) for m in found] == [
        (3, at("2027-01-20"), "360"),
        (1, at("2027-02-10"), "test"),
    ]
    assert first_reached(evidence[1], 4, since=at("2027-03-01")) is None


def test_time_to_proficiency_runs_from_the_gap_opening_to_the_target() -> None:
    observations = [Observation(at("2027-01-01"), 1, "test"), Observation(at("2027-01-31"), 4, "test")]
    assert days_to_proficiency(observations, 4) == 30
    # a path started before the first assessment opens the gap earlier
    assert days_to_proficiency(observations, 4, path_started=at("2026-12-22")) == 40
    # at the target from the start: no gap ever opened
    assert days_to_proficiency([Observation(at("2027-01-01"), 4, "test")], 4) is None
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
