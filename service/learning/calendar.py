"""When the Learning Days fall and how long they are: the company's rule (`LearningDaySettings`) as an
RFC 5545 recurrence computed by dateutil's rrule, with the employee's own choice of weekday or opt-out.

Not handled: a rule day that is a public holiday or a closing day stays a Learning Day (no holiday
calendar is kept); the employee moves it by choosing another weekday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from dateutil.rrule import FR, MO, MONTHLY, SA, SU, TH, TU, WE, WEEKLY, rrule, weekday

from service.learning.schemas import WEEKDAYS, LearningDaySettings

_RRULE_DAYS: tuple[weekday, ...] = (MO, TU, WE, TH, FR, SA, SU)
WEEKS_PER_MONTH = 52 / 12
OFF = "off"  # an employee's preference: no Learning Days planned for them


def minutes_per_day(settings: LearningDaySettings) -> int:
    """A calendar day's hours, or the share of contract hours of one period (a month: 52/12 weeks)."""
    if settings.mode == "calendar":
        return round((settings.hours_per_day or 0) * 60)
    weekly = (settings.share_percent or 0) / 100 * (settings.contract_hours_per_week or 0) * 60
    return round(weekly * (WEEKS_PER_MONTH if settings.frequency == "monthly" else 1))


def employee_choice(preferences: dict[str, Any]) -> str | None:
    """The employee's stored `learning_day` preference: "off", a weekday, or None (the company's)."""
    value = preferences.get("learning_day")
    return value if isinstance(value, str) and (value == OFF or value in WEEKDAYS) else None


def occurrences(
    settings: LearningDaySettings, start: date, end: date, choice: str | None = None
) -> list[date]:
    """The Learning Days from `start` to `end` (both included), on the employee's chosen weekday when
    they chose one; none when they opted out."""
    if choice == OFF or end < start:
        return []
    day = _RRULE_DAYS[WEEKDAYS.index(choice or settings.weekday)]  # type: ignore[arg-type]
    if settings.frequency == "monthly":
        rule = rrule(MONTHLY, byweekday=day(settings.nth), dtstart=_at(start), until=_at(end))
    else:
        rule = rrule(WEEKLY, byweekday=day, dtstart=_at(start), until=_at(end))
    return [moment.date() for moment in rule]


def next_day(settings: LearningDaySettings, today: date, choice: str | None = None) -> date | None:
    """The first Learning Day from today on (within 400 days)."""
    days = occurrences(settings, today, today + timedelta(days=400), choice)
    return days[0] if days else None


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)
