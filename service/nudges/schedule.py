"""When a nudge is due: the employee's own schedule (weekday and local hour, weekly or twice a week),
in their time zone (zoneinfo; Europe/Amsterdam by default), never in their quiet hours. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

WEEKLY = "weekly"
TWICE_WEEKLY = "twice_weekly"
FREQUENCIES = (WEEKLY, TWICE_WEEKLY)
DEFAULT_TIMEZONE = "Europe/Amsterdam"
PULSE_EVERY = timedelta(days=30)  # the learning pulse question: at most monthly


@dataclass(frozen=True)
class Schedule:
    weekday: int  # 0 Monday .. 6 Sunday
    hour: int  # local
    timezone: str = DEFAULT_TIMEZONE
    frequency: str = WEEKLY
    quiet_start: int | None = None  # local hour, inclusive
    quiet_end: int | None = None  # local hour, exclusive; may wrap past midnight (22 -> 7)

    def weekdays(self) -> tuple[int, ...]:
        if self.frequency == TWICE_WEEKLY:
            return (self.weekday, (self.weekday + 3) % 7)  # Monday and Thursday, say
        return (self.weekday,)


def is_quiet(schedule: Schedule, now: datetime) -> bool:
    if (
        schedule.quiet_start is None
        or schedule.quiet_end is None
        or schedule.quiet_start == schedule.quiet_end
    ):
        return False
    hour = now.astimezone(ZoneInfo(schedule.timezone)).hour
    if schedule.quiet_start < schedule.quiet_end:
        return schedule.quiet_start <= hour < schedule.quiet_end
    return hour >= schedule.quiet_start or hour < schedule.quiet_end


def quiet_until(schedule: Schedule, now: datetime) -> datetime:
    """The first moment after `now` that is not quiet (now itself when it is not)."""
    moment = now
    for _ in range(25):
        if not is_quiet(schedule, moment):
            return moment
        local = moment.astimezone(ZoneInfo(schedule.timezone))
        moment = (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(
            now.tzinfo
        )
    return moment


def last_slot(schedule: Schedule, now: datetime) -> datetime:
    """The latest scheduled moment at or before `now` (aware, in the employee's zone)."""
    zone = ZoneInfo(schedule.timezone)
    local = now.astimezone(zone)
    for back in range(8):
        day = (local - timedelta(days=back)).date()
        if day.weekday() not in schedule.weekdays():
            continue
        slot = datetime(day.year, day.month, day.day, schedule.hour, tzinfo=zone)
        if slot <= local:
            return slot
    raise AssertionError("a weekly schedule has a slot in the last 8 days")


def is_due(schedule: Schedule, now: datetime, last_nudge_at: datetime | None) -> bool:
    """Due when the latest slot passed less than a day ago, no nudge was made since, and it is not
    quiet now (a slot in quiet hours waits for their end, within that day)."""
    slot = last_slot(schedule, now)
    if now - slot >= timedelta(days=1):
        return False
    if last_nudge_at is not None and last_nudge_at >= slot:
        return False
    return not is_quiet(schedule, now)


def pulse_due(last_pulse_at: datetime | None, now: datetime) -> bool:
    return last_pulse_at is None or now - last_pulse_at >= PULSE_EVERY


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """The wait before the next delivery attempt: Slack's Retry-After when it gave one, else 30 s
    doubled per failed attempt, at most 6 hours. A nudge is tried until it is delivered."""
    if retry_after is not None:
        return timedelta(seconds=max(1.0, retry_after))
    return timedelta(seconds=min(30 * 2 ** max(0, attempts - 1), 6 * 3600))
