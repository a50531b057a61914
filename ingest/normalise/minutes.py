"""Durations as catalogs write them ("60-75 minuten", "2 dagdelen", "PT1H30M", "4 weeks, 3 hours/week")
to minutes, and reading time from word counts."""

from __future__ import annotations

import math
import re

WORDS_PER_MINUTE = 200

HOURS_PER_DAY = 8
HOURS_PER_DAGDEEL = 4
STUDY_HOURS_PER_WEEK = 5  # a week or month of self-paced study, when the source gives no hours
WEEKS_PER_MONTH = 4
WEEKS_PER_YEAR = 52
ASSUMED_WEEKS = 4  # an 'hours/week' workload with no number of weeks
LESS_THAN_FACTOR = 0.75  # 'Less Than 2 Hours' is 90 minutes

_NUM = r"\d+(?:\.\d+)?"
_UNITS: dict[str, tuple[str, float]] = {}
for _names, _kind, _factor in (
    ("s sec secs second seconds seconde seconden", "abs", 1 / 60),
    ("m min mins minute minutes minuut minuten mn", "abs", 1.0),
    ("h hr hrs hour hours u uur uren", "abs", 60.0),
    ("dagdeel dagdelen", "abs", HOURS_PER_DAGDEEL * 60.0),
    ("d dag dagen day days", "abs", HOURS_PER_DAY * 60.0),
    ("w wk wks week weeks weken", "cal", 1.0),
    ("mo mnd maand maanden month months", "cal", float(WEEKS_PER_MONTH)),
    ("y yr yrs jaar jaren year years", "cal", float(WEEKS_PER_YEAR)),
):
    for _name in _names.split():
        _UNITS[_name] = (_kind, _factor)

_TERM_RE = re.compile(
    rf"(?P<a>{_NUM})(?:\s*(?P<op>-|–|—|\+|to|tot|tot en met)\s*(?P<b>{_NUM}))?\s*"
    rf"(?P<unit>{'|'.join(sorted(map(re.escape, _UNITS), key=len, reverse=True))})\b"
    r"(?P<rate>\s*(?:/|per|a|an|each|in de|p\.?)\s*(?:week|weeks|wk|w)\b)?"
)
_ISO_RE = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_CLOCK_RE = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")
_NUMBER_RE = re.compile(r"^[~≈]?\s*-?\d+(?:\.\d+)?$")
_WORD_NUMBER_RE = re.compile(
    r"\b(?:een|één|one|an|a)\s+(?=(?:uur|hour|dag|day|week|maand|month|dagdeel|jaar|year)\b)"
)
_HALF_DAY_RE = re.compile(r"\b(?:halve dag|half[- ]day|half a day)\b")
_LESS_THAN_RE = re.compile(r"^(?:less than|fewer than|under|minder dan|korter dan|<)\s*")


def _word_number(match: re.Match[str]) -> str:
    """'een uur', 'an hour' -> '1 uur'; but the 'a' of '3 hours a week' is a rate, not a number."""
    before = match.string[: match.start()].split()
    if before and before[-1] in _UNITS:
        return match.group(0)
    return "1 "


def _round(value: float) -> int:
    """Half up, not Python's banker's rounding: '60-75 minuten' is 68, not 68 or 67 by parity."""
    return int(math.floor(value + 0.5))


def _as_minutes(value: float) -> int:
    minutes = _round(value)
    return 1 if minutes == 0 and value > 0 else minutes


def parse_minutes(value: str | int | float | None) -> int | None:
    """Minutes from a duration text: '45 min', '60-75 minuten', '4 uur', '3 uur 45 min', '4-8 hours/week',
    'Less Than 2 Hours', '1-3 Months', 'PT1H30M'. None when the text holds no duration.

    A plain number (or numeric string) is minutes; 'H:MM' is a clock duration. Ranges take their midpoint
    and halves round up ('60-75 minuten' -> 68). Several terms add up ('3 uur 45 min', '4+2 uur').
    Assumptions, because catalogs give calendar time rather than study time:
    a day is 8 hours, a 'dagdeel' (or half day) 4 hours; an hours-per-week workload ('4-8 hours/week') runs
    for the number of weeks the text gives ('4 weeks of study, 4-8 hours/week'), else for 4 weeks; weeks,
    months (4 weeks) and years (52 weeks) with no hours given are study time at 5 hours a week
    ('1-3 Months' -> 8 weeks -> 2400); 'Less Than N Hours' is three quarters of N hours ('Less Than 2 Hours'
    -> 90).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        return _as_minutes(float(value)) if value >= 0 else _round(float(value))
    text = str(value).strip()
    if not text:
        return None
    iso = _ISO_RE.match(text)
    if iso and any(iso.groupdict().values()):
        parts = {k: float(v) for k, v in iso.groupdict().items() if v}
        total = (
            parts.get("w", 0) * STUDY_HOURS_PER_WEEK * 60
            + parts.get("d", 0) * HOURS_PER_DAY * 60
            + parts.get("h", 0) * 60
            + parts.get("m", 0)
            + parts.get("s", 0) / 60
        )
        return _as_minutes(total)
    text = re.sub(r"(?<=\d),(?=\d)", ".", text.lower())
    clock = _CLOCK_RE.match(text)
    if clock:
        return _as_minutes(int(clock[1]) * 60 + int(clock[2]) + int(clock[3] or 0) / 60)
    if _NUMBER_RE.match(text):
        number = float(text.lstrip("~≈ "))
        return _as_minutes(number) if number >= 0 else _round(number)
    text = _HALF_DAY_RE.sub("1 dagdeel", text)
    text = re.sub(r"^dagde(?:el|len)\b", "1 dagdeel", text)
    text = _WORD_NUMBER_RE.sub(_word_number, text)
    less_than = bool(_LESS_THAN_RE.match(text))

    absolute = 0.0
    weekly_rate: float | None = None
    weeks: float | None = None
    found = False
    for term in _TERM_RE.finditer(text):
        found = True
        a = float(term["a"])
        b = float(term["b"]) if term["b"] else None
        if b is None:
            quantity = a
        elif term["op"] == "+":
            quantity = a + b
        else:
            quantity = (a + b) / 2
        kind, factor = _UNITS[term["unit"]]
        if kind == "abs" and term["rate"]:
            weekly_rate = (weekly_rate or 0.0) + quantity * factor
        elif kind == "abs":
            absolute += quantity * factor
        else:
            weeks = (weeks or 0.0) + quantity * factor
    if not found:
        return None
    if weekly_rate is not None:
        total = weekly_rate * (weeks if weeks is not None else ASSUMED_WEEKS)
    elif absolute > 0:
        total = absolute
    else:
        total = (weeks or 0.0) * STUDY_HOURS_PER_WEEK * 60
    if less_than:
        total *= LESS_THAN_FACTOR
    return _as_minutes(total)


def reading_minutes(text: str) -> int:
    """Reading time of `text` in whole minutes (at least 1)."""
    return max(1, math.ceil(len(text.split()) / WORDS_PER_MINUTE))
