"""Course structure: the modules and lessons a source lists (coursera, goodhabitz, csv), turned into
micro-units.

A source may say how an item is built: modules, each optionally made of lessons. The item is then
split along that structure instead of being one unit of its whole duration. The rules, the same for
every source (each source's docstring says where it finds the list):

- Minutes: the finest level that gives minutes wins. Lessons' minutes make their module's minutes,
  modules' minutes make the item's minutes (item minutes = sum of its modules, whatever its own
  duration said; the stated duration is kept as extra["stated_minutes"] when it differs).
  Entries without minutes share what their parent's duration leaves over the entries that have
  minutes; when there is nothing to share (no duration, or the others use it all) the list is
  malformed.
- Units: one unit per module of 5 to 15 minutes; a module longer than 15 minutes is split into its
  lessons when it lists them, else stays one unit with its honest minutes; units under 5 minutes are
  merged into a neighbour while the merged unit stays within 15 minutes (the merged unit takes the
  first title, and the later titles become lines of its text). Unit title = module or lesson title,
  unit text = its description, else its title.
- A malformed list (an entry without a title, a duration that cannot be read, more than MAX_MODULES
  entries, ...) never rejects the item: the item keeps its whole-course form and the source records the
  field and the reason in extra["modules_error"] and in the log.
- Titles and texts are plain text: control and bidirectional-override characters are dropped,
  whitespace in titles is collapsed, and lengths are capped. Nothing is interpreted as HTML or Markdown;
  whatever renders them escapes them like any other catalog text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import NoReturn

from ingest.normalise.minutes import parse_minutes
from ingest.normalise.units import UNIT_MAX_MINUTES, UNIT_MIN_MINUTES, description_units
from ingest.records import MicroUnit
from recommender.errors import LeerpadError

MAX_MODULES = 200
MAX_LESSONS = 100
MAX_MODULE_MINUTES = 10_000
MAX_MODULE_TITLE = 300
MAX_MODULE_TEXT = 20_000

_UNSAFE_CHARS_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def plain_title(value: str, max_length: int = MAX_MODULE_TITLE) -> str:
    """One line of plain text: control characters dropped, whitespace collapsed, length capped."""
    text = " ".join(_UNSAFE_CHARS_RE.sub(" ", value).split())
    return text if len(text) <= max_length else text[: max_length - 1].rstrip() + "…"


def plain_text(value: str, max_length: int = MAX_MODULE_TEXT) -> str:
    """Plain text that keeps its line breaks: control characters dropped, length capped."""
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _UNSAFE_CHARS_RE.sub("", text.replace("\t", " "))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text if len(text) <= max_length else text[: max_length - 1].rstrip() + "…"


@dataclass(frozen=True)
class Module:
    """A module or lesson as a source lists it; `minutes` None when the source gives none."""

    title: str
    minutes: int | None = None
    text: str = ""
    lessons: tuple[Module, ...] = ()


class ModuleListError(LeerpadError):
    """A module list that cannot be used; the reason names the entry."""


def _entry_minutes(value: object, where: str) -> int | None:
    """Minutes of a module entry: a number, or a duration text ('12 min', '1 uur', 'PT15M')."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ModuleListError(f"{where}: minutes must be a number or a duration text, got {value!r}")
    minutes = parse_minutes(value)
    if minutes is None or not 1 <= minutes <= MAX_MODULE_MINUTES:
        raise ModuleListError(
            f"{where}: cannot read the duration {str(value)[:40]!r} "
            f"(expected 1 to {MAX_MODULE_MINUTES} minutes, such as '12 min')"
        )
    return minutes


_ENTRY_DURATION_RE = re.compile(r"^(?P<title>.*?)\s*\((?P<duration>[^()]*)\)\s*$", re.S)
_DURATION_HINT_RE = re.compile(r"\d|\b(?:min|mins|minutes?|minuten|minuut|uur|uren|hours?|hrs?|u)\b", re.I)
_BULLET_RE = re.compile(r"^\s*(?:[-*•·]+|\d{1,3}[.)])\s+")
MODULE_SEPARATORS = ";|\n"


def parse_module_list(value: str) -> tuple[Module, ...]:
    """Modules from a cell such as 'Intro (5 min); Je eerste draaitabel (12 min) | Grafieken (10 min)'.

    Entries are separated by ';', '|' or line breaks; each is a title with an optional trailing
    '(duration)' that parse_minutes reads ('12 min', '1 uur', '1:15'). A trailing parenthesis with no
    digit and no time word belongs to the title ('Git (basis)'). A cell that starts with '[' is read as
    the JSON form (see modules_from_json). Raises ModuleListError naming the bad entry.
    """
    text = value.strip()
    if not text:
        return ()
    if text.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModuleListError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
        return modules_from_json(data)
    entries = [e for e in re.split(f"[{re.escape(MODULE_SEPARATORS)}]", text) if e.strip()]
    if len(entries) > MAX_MODULES:
        raise ModuleListError(f"{len(entries)} entries; at most {MAX_MODULES} are read")
    modules: list[Module] = []
    for number, entry in enumerate(entries, start=1):
        raw = _BULLET_RE.sub("", entry.strip())
        where = f"entry {number} {plain_title(raw, 60)!r}"
        title, minutes = raw, None
        match = _ENTRY_DURATION_RE.match(raw)
        if match:
            duration = match.group("duration")
            parsed = parse_minutes(duration)
            if parsed is not None:
                title, minutes = match.group("title"), _entry_minutes(parsed, where)
            elif _DURATION_HINT_RE.search(duration):
                raise ModuleListError(f"{where}: cannot read the duration {duration.strip()!r}")
        title = plain_title(title)
        if not title:
            raise ModuleListError(f"{where}: no title")
        modules.append(Module(title=title, minutes=minutes))
    return tuple(modules)


_JSON_TITLE_KEYS = ("name", "title")
_JSON_TEXT_KEYS = ("description", "summary", "text")
_JSON_MINUTE_KEYS = ("minutes", "workload", "duration", "timeCommitment")
_JSON_LESSON_KEYS = ("lessons", "items")


def _json_module(entry: object, where: str, depth: int) -> Module:
    if isinstance(entry, str):
        return Module(title=plain_title(entry)) if plain_title(entry) else _no_title(where)
    if not isinstance(entry, dict):
        raise ModuleListError(f"{where}: expected an object with a name, got {type(entry).__name__}")
    title_value = next((entry[k] for k in _JSON_TITLE_KEYS if entry.get(k) is not None), None)
    if not isinstance(title_value, str) or not plain_title(title_value):
        return _no_title(where)
    text_value = next((entry[k] for k in _JSON_TEXT_KEYS if entry.get(k) is not None), "")
    if not isinstance(text_value, str):
        raise ModuleListError(f"{where}: description must be text, got {type(text_value).__name__}")
    minutes_value = next((entry[k] for k in _JSON_MINUTE_KEYS if entry.get(k) is not None), None)
    minutes = _entry_minutes(minutes_value, where)
    lessons: tuple[Module, ...] = ()
    lesson_value = next((entry[k] for k in _JSON_LESSON_KEYS if entry.get(k) is not None), None)
    if lesson_value is not None and depth == 0:
        if not isinstance(lesson_value, list):
            raise ModuleListError(f"{where}: lessons must be a list, got {type(lesson_value).__name__}")
        if len(lesson_value) > MAX_LESSONS:
            raise ModuleListError(f"{where}: {len(lesson_value)} lessons; at most {MAX_LESSONS} are read")
        lessons = tuple(
            _json_module(lesson, f"{where} lesson {n}", depth + 1) for n, lesson in enumerate(lesson_value, 1)
        )
    return Module(
        title=plain_title(title_value), minutes=minutes, text=plain_text(text_value), lessons=lessons
    )


def _no_title(where: str) -> NoReturn:
    raise ModuleListError(f"{where}: no name")


def modules_from_json(value: object) -> tuple[Module, ...]:
    """Modules from JSON: a list of {"name" (or "title"), "description", "minutes" (a number) or "workload"
    (a duration text such as "12 minutes"), "lessons": [the same shape, no deeper]}; a bare string is a
    module title. Raises ModuleListError naming the bad entry."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ModuleListError(f"expected a list of modules, got {type(value).__name__}")
    if len(value) > MAX_MODULES:
        raise ModuleListError(f"{len(value)} modules; at most {MAX_MODULES} are read")
    return tuple(_json_module(entry, f"module {n}", 0) for n, entry in enumerate(value, start=1))


_DESCRIPTION_MODULE_RE = re.compile(
    r"^\s*(?:[-*•]\s*)?(?P<label>module|week|les|lesson|lessen|hoofdstuk|chapter|deel|part|onderdeel|unit|"
    r"sessie|session|dag|day|stap|step)\s+(?P<number>\d{1,3})\s*(?:[:.)–—-]\s*)(?P<rest>\S.*)$",
    re.IGNORECASE,
)
_INLINE_DURATION_RE = re.compile(r"\s*\((?P<duration>[^()]*\d[^()]*)\)")
_TITLE_TEXT_SPLIT_RE = re.compile(r"\s+[–—-]\s+|:\s+")


def modules_from_description(description: str) -> tuple[Module, ...]:
    """Modules a description lists itself, one per line: 'Module 1: Title (15 min)', 'Week 2: Title - what
    you do', 'Les 3 – Title'. Labels: module, week, les/lesson, hoofdstuk/chapter, deel/part, onderdeel,
    unit, sessie/session, dag/day, stap/step, each with a number. At least two such lines, numbered in
    order, make a list; anything else gives (). A '(duration)' in the line gives its minutes; the text
    after ' - ', ' – ' or ': ' in the rest of the line is the module's text."""
    found: list[tuple[int, Module]] = []
    for line in description.splitlines():
        match = _DESCRIPTION_MODULE_RE.match(line)
        if not match:
            continue
        rest = match.group("rest")
        minutes = None
        duration = _INLINE_DURATION_RE.search(rest)
        if duration:
            parsed = parse_minutes(duration.group("duration"))
            if parsed is not None and 1 <= parsed <= MAX_MODULE_MINUTES:
                minutes = parsed
                rest = rest[: duration.start()] + rest[duration.end() :]
        parts = _TITLE_TEXT_SPLIT_RE.split(rest.strip(), maxsplit=1)
        title = plain_title(parts[0].rstrip(" .:"))
        text = plain_text(parts[1]) if len(parts) > 1 else ""
        if title:
            found.append((int(match.group("number")), Module(title=title, minutes=minutes, text=text)))
    numbers = [number for number, _ in found]
    if len(found) < 2 or len(found) > MAX_MODULES or numbers != sorted(numbers):
        return ()
    return tuple(module for _, module in found)


def _share(entries: tuple[Module, ...], total: int | None, where: str) -> tuple[Module, ...]:
    """Give entries without minutes an equal share of what `total` leaves after the others."""
    missing = [i for i, e in enumerate(entries) if e.minutes is None]
    if not missing:
        return entries
    known = sum(e.minutes or 0 for e in entries)
    left = (total or 0) - known
    if total is None or left < len(missing):
        raise ModuleListError(
            f"{len(missing)} {where} give no minutes and "
            + (
                "there is no duration to share"
                if total is None
                else f"the {total} minutes leave none to share"
            )
        )
    base, extra = divmod(left, len(missing))
    out = list(entries)
    for rank, index in enumerate(missing):
        out[index] = Module(
            entries[index].title,
            base + (1 if rank < extra else 0),
            entries[index].text,
            entries[index].lessons,
        )
    return tuple(out)


def resolve_module_minutes(modules: tuple[Module, ...], total: int | None) -> tuple[Module, ...]:
    """Every module and lesson with its minutes (see the rules above); `total` is the item's own duration,
    None when the source gave none. Raises ModuleListError when minutes cannot be settled."""
    settled: list[Module] = []
    for module in modules:
        if module.lessons and all(lesson.minutes is not None for lesson in module.lessons):
            lesson_sum = sum(lesson.minutes or 0 for lesson in module.lessons)
            module = Module(module.title, lesson_sum, module.text, module.lessons)
        settled.append(module)
    shared = _share(tuple(settled), total, "modules")
    return tuple(
        Module(m.title, m.minutes, m.text, _share(m.lessons, m.minutes, f"lessons of {m.title!r}"))
        if m.lessons
        else m
        for m in shared
    )


@dataclass
class _Part:
    title: str
    texts: list[str]
    minutes: int

    def as_following(self) -> list[str]:
        """Its text inside a unit it is merged into: its title leads, since the unit keeps another."""
        first = self.title if self.texts[0] == self.title else f"{self.title}\n{self.texts[0]}"
        return [first, *self.texts[1:]]


def module_units(modules: tuple[Module, ...]) -> tuple[MicroUnit, ...]:
    """Micro-units along settled modules (every minutes filled in, see resolve_module_minutes)."""
    parts: list[_Part] = []
    for module in modules:
        minutes = module.minutes or 0
        if minutes > UNIT_MAX_MINUTES and module.lessons:
            parts.extend(_Part(ls.title, [ls.text or ls.title], ls.minutes or 0) for ls in module.lessons)
        else:
            parts.append(_Part(module.title, [module.text or module.title], minutes))
    merged: list[_Part] = []
    for part in parts:
        if merged:
            previous = merged[-1]
            fits = previous.minutes + part.minutes <= UNIT_MAX_MINUTES
            if fits and (part.minutes < UNIT_MIN_MINUTES or previous.minutes < UNIT_MIN_MINUTES):
                previous.texts.extend(part.as_following())
                previous.minutes += part.minutes
                continue
        merged.append(_Part(part.title, list(part.texts), part.minutes))
    # A short part left between overlong modules joins one of them: that unit is over 15 minutes anyway.
    index = 0
    while len(merged) > 1 and index < len(merged):
        part = merged[index]
        if part.minutes >= UNIT_MIN_MINUTES:
            index += 1
            continue
        if index > 0 and merged[index - 1].minutes > UNIT_MAX_MINUTES:
            merged[index - 1].texts.extend(part.as_following())
            merged[index - 1].minutes += part.minutes
            del merged[index]
        elif index + 1 < len(merged) and merged[index + 1].minutes > UNIT_MAX_MINUTES:
            following = merged.pop(index + 1)
            part.texts.extend(following.as_following())
            part.minutes += following.minutes
        else:
            index += 1
    return tuple(
        MicroUnit(position=position, title=part.title, text="\n\n".join(part.texts), minutes=part.minutes)
        for position, part in enumerate(merged)
    )


@dataclass(frozen=True)
class Structure:
    """How an item was split: its units, its minutes, where the structure came from, what went wrong."""

    units: tuple[MicroUnit, ...]
    minutes: int
    origin: str  # "modules" (a module list), "description" (lines of the description) or "whole"
    error: str | None = None

    def annotate(self, extra: dict[str, object], field: str, stated_minutes: int) -> None:
        """Record in an item's extra what the structure changed: origin, stated minutes, a field error."""
        if self.origin != "whole":
            extra["units_from"] = self.origin
            estimated = extra.pop("minutes_estimated", False)
            if self.minutes != stated_minutes and not estimated:
                extra["stated_minutes"] = stated_minutes
        if self.error:
            extra["modules_error"] = f"field {field!r}: {self.error}"


def course_structure(
    title: str,
    unit_text: str,
    minutes: int,
    *,
    modules: str | list[object] | None = None,
    description: str = "",
    minutes_known: bool = True,
) -> Structure:
    """Units of a course: along its module list when the source gives one (`modules`: the cell text or
    the JSON list), else along the modules its description lists, else one unit of the whole course (or
    micro-units of a long text, see description_units). A malformed module list gives the whole-course
    units and the reason in `error`; the description is not tried then, since the source said otherwise.
    """
    whole = description_units(title, unit_text, minutes)
    total = minutes if minutes_known else None
    has_list = modules is not None and (not isinstance(modules, str) or modules.strip())
    if has_list:
        try:
            parsed = parse_module_list(modules) if isinstance(modules, str) else modules_from_json(modules)
            settled = resolve_module_minutes(parsed, total)
        except ModuleListError as exc:
            return Structure(whole, minutes, "whole", str(exc))
        if settled:
            units = module_units(settled)
            return Structure(units, sum(u.minutes for u in units), "modules")
    listed = modules_from_description(description)
    if listed:
        try:
            settled = resolve_module_minutes(listed, total)
        except ModuleListError:
            return Structure(whole, minutes, "whole")
        units = module_units(settled)
        return Structure(units, sum(u.minutes for u in units), "description")
    return Structure(whole, minutes, "whole")
