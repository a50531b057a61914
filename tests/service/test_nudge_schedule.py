"""When a nudge is due (service.nudges.schedule): the employee's weekday and local hour in their
time zone, twice a week, quiet hours across midnight, and the back-off of failed deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.nudges.schedule import Schedule, backoff, is_due, is_quiet, pulse_due, quiet_until

MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam (CET)


def test_due_from_the_local_hour_of_the_weekday_once_per_slot() -> None:
    weekly = Schedule(weekday=0, hour=9)
    assert not is_due(weekly, MONDAY - timedelta(minutes=1), None)
    assert is_due(weekly, MONDAY, None)
    assert not is_due(weekly, MONDAY + timedelta(hours=1), MONDAY)  # made already in this slot
    assert is_due(weekly, MONDAY + timedelta(days=7), MONDAY)  # next week's slot
    assert not is_due(
        weekly, MONDAY + timedelta(days=1, minutes=1), None
    )  # a missed slot is not sent a day late


def test_the_time_zone_decides_the_hour_also_across_daylight_saving() -> None:
    summer = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # a Monday, 09:00 CEST
    assert is_due(Schedule(weekday=0, hour=9), summer, None)
    assert not is_due(Schedule(weekday=0, hour=9, timezone="Europe/London"), summer, None)  # 08:00 there
    assert is_due(Schedule(weekday=0, hour=8, timezone="Europe/London"), summer, None)


def test_twice_a_week_adds_the_day_three_days_later() -> None:
    twice = Schedule(weekday=0, hour=9, frequency="twice_weekly")
    thursday = MONDAY + timedelta(days=3)
    assert is_due(twice, thursday, MONDAY)
    assert not is_due(Schedule(weekday=0, hour=9), thursday, MONDAY)


def test_quiet_hours_across_midnight() -> None:
    night = Schedule(weekday=0, hour=9, quiet_start=22, quiet_end=7)
    late = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)  # 23:30 local
    assert is_quiet(night, late)
    assert not is_quiet(night, MONDAY)
    assert quiet_until(night, late) == datetime(2026, 12, 8, 6, 0, tzinfo=UTC)  # 07:00 local


def test_back_off_doubles_to_a_ceiling_and_takes_retry_after() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(40) == timedelta(hours=6)
    assert backoff(3, retry_after=7) == timedelta(seconds=7)


def test_the_pulse_question_at_most_monthly() -> None:
    assert pulse_due(None, MONDAY)
    assert not pulse_due(MONDAY - timedelta(days=29), MONDAY)
    assert pulse_due(MONDAY - timedelta(days=30), MONDAY)
