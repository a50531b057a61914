"""Durations to minutes and reading time (ingest/normalise/minutes.py)."""

from __future__ import annotations

import pytest

from ingest.normalise.minutes import WORDS_PER_MINUTE, parse_minutes, reading_minutes
from tests.support.words import words


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("45 min", 45),
        ("45 minutes", 45),
        ("45min", 45),
        ("60-75 minuten", 68),  # midpoint 67.5, halves round up
        ("4 uur", 240),
        ("3 uur 45 min", 225),
        ("1,5 uur", 90),
        ("1.5 hours", 90),
        ("2 hrs", 120),
        ("4+2 uur", 360),
        ("~18 uur", 1080),
        ("4-8 hours/week", 6 * 60 * 4),  # 4 weeks assumed
        ("4 weeks of study, 4-8 hours/week", 6 * 60 * 4),
        ("6 weeks of study, 2 hours/week", 2 * 60 * 6),
        ("3 hours a week for 6 weeks", 3 * 60 * 6),
        ("Less Than 2 Hours", 90),
        ("1-3 Months", 2 * 4 * 5 * 60),  # 2 months of 4 weeks at 5 hours
        ("1 - 4 Weeks", 750),  # 2.5 weeks at 5 hours
        ("4 weken", 4 * 5 * 60),
        ("dagdeel", 240),
        ("halve dag", 240),
        ("2 dagdelen", 480),
        ("1 dag", 480),
        ("2 dagen", 960),
        ("een uur", 60),
        ("PT1H30M", 90),
        ("PT45M", 45),
        ("0:45", 45),
        ("1:30", 90),
        (90, 90),
        (12.4, 12),
        ("90", 90),
        (" 30 ", 30),
    ],
)
def test_parse_minutes(value: str | int | float, expected: int) -> None:
    assert parse_minutes(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "verschillend", "n.v.t.", "In overleg", "flexibel"])
def test_parse_minutes_without_a_duration(value: str | None) -> None:
    assert parse_minutes(value) is None


def test_parse_minutes_keeps_impossible_values_visible_for_the_caller() -> None:
    # callers range-check; a negative or zero value must not silently become something plausible
    assert parse_minutes("-5") == -5
    assert parse_minutes(0) == 0


def test_reading_minutes() -> None:
    assert reading_minutes("") == 1
    assert reading_minutes("one two three") == 1
    assert reading_minutes(words(WORDS_PER_MINUTE)) == 1
    assert reading_minutes(words(WORDS_PER_MINUTE + 1)) == 2
    assert reading_minutes(words(10 * WORDS_PER_MINUTE)) == 10
