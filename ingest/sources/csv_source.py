"""The generic LMS export (kind "csv"): the one catalog format we define ourselves.

Header row (names case-insensitive, surrounding spaces ignored):

| column | required | meaning |
|---|---|---|
| external_id | yes | the item's id in the LMS; unique within the file |
| title | yes | |
| description | yes | plain text or Markdown; longer than 15 minutes of reading is split into micro-units |
| url | no | http(s) link to the content |
| lms_url | no | http(s) link to the LMS's own page of the course or module (Moodle's course/view.php?id=2): xAPI statements that name it are applied to the item |
| language | no | 'nl', 'en-GB', 'Nederlands', 'English', ...; detected from the text when empty |
| minutes | no | whole minutes 1..10000 (or a duration text such as '45 min'); else reading time |
| level | no | beginner / intermediate / advanced (English or Dutch words); mixed or empty is none |
| format | no | course, video, article, classroom, event, ... (default course) |
| provider | no | |
| skills | no | declared skills separated by ';' |
| updated_at | no | ISO date or date-time; naive times are UTC |
| rating | no | 0..5 |
| modules | no | the item's parts in order: 'title (N min)' entries separated by ';' or a vertical bar (see below) |

Modules: "Welkom (5 min); SELECT en WHERE (12 min); Joins (15 min)". The duration in brackets is read
like `minutes` ('12 min', '1 uur'); an entry without one shares what `minutes` leaves after the others.
The item is split into units along its modules (normalise.course_structure: one unit per module of 5 to
15 minutes, tiny neighbours merged, a longer module kept whole with its honest minutes), and the
modules' minutes win: the item's minutes become their sum (`minutes` is kept as extra["stated_minutes"]
when it differs). Without the column, description lines such as 'Module 1: ... (15 min)', 'Week 2: ...'
or 'Les 3 – ...' are used the same way. Unlike the other columns, a module list that cannot be read does
not reject the row (the item is whole without it): the item stays one unit, extra["modules_error"] names
the field and the entry, and the log gets a warning with the line.

Other columns are ignored. UTF-8 (Windows-1252 accepted), comma- or semicolon-separated, RFC 4180 quoting.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ingest.files import mapped_records, read_csv_rows, reject_extra_fields
from ingest.normalise.formats import normalise_format
from ingest.normalise.language import normalise_language
from ingest.normalise.levels import parse_level
from ingest.normalise.minutes import parse_minutes, reading_minutes
from ingest.normalise.modules import course_structure
from ingest.normalise.values import parse_rating, parse_timestamp, split_list
from ingest.records import CatalogItem, RawRecord, RecordRejected, Source, SourceError
from ingest.sources import apply_structure

REQUIRED = ("external_id", "title", "description")
OPTIONAL = (
    "url",
    "lms_url",
    "language",
    "minutes",
    "level",
    "format",
    "provider",
    "skills",
    "updated_at",
    "rating",
    "modules",
)
MAX_MINUTES = 10_000


class CsvSource(Source):
    """Reads the generic csv format; rejects rows, never guesses what a bad value meant."""

    kind: ClassVar[str] = "csv"

    def __init__(self) -> None:
        self._first_seen: dict[str, int] = {}

    def read_records(self, path: Path) -> Iterator[RawRecord]:
        headers, rows = read_csv_rows(path)
        columns = {h.strip().lower(): h for h in headers if h}
        missing = [name for name in REQUIRED if name not in columns]
        if missing:
            raise SourceError(
                path,
                f"missing required column(s) {', '.join(missing)}; "
                f"found {', '.join(h for h in headers if h)}",
            )
        wanted = {name: columns[name] for name in (*REQUIRED, *OPTIONAL) if name in columns}
        self._first_seen = {}
        yield from mapped_records(path, rows, wanted)

    def to_item(self, record: RawRecord) -> CatalogItem:
        fields = record.fields
        reject_extra_fields(fields)
        for name in REQUIRED:
            if not str(fields.get(name) or "").strip():
                raise RecordRejected(f"empty required field {name!r}", name)
        external_id = str(fields["external_id"]).strip()
        if external_id in self._first_seen:
            raise RecordRejected(
                f"duplicate external_id {external_id!r}, first seen on line {self._first_seen[external_id]}",
                "external_id",
            )
        title = " ".join(str(fields["title"]).split())
        description = str(fields["description"]).strip()

        minutes_text = str(fields.get("minutes") or "").strip()
        if minutes_text:
            minutes = parse_minutes(minutes_text)
            if minutes is None or not 1 <= minutes <= MAX_MINUTES:
                raise RecordRejected(
                    f"bad minutes {minutes_text!r}: expected a number of minutes from 1 to {MAX_MINUTES}",
                    "minutes",
                )
        else:
            minutes = reading_minutes(description)
        extra: dict[str, Any] = {}
        structure = course_structure(
            title,
            description,
            minutes,
            modules=str(fields.get("modules") or ""),
            description=description,
            minutes_known=bool(minutes_text),
        )
        apply_structure(structure, record, "modules", extra, minutes)

        level_text = str(fields.get("level") or "").strip()
        try:
            level = parse_level(level_text)
        except ValueError:
            raise RecordRejected(
                f"bad level {level_text!r}: expected beginner, intermediate, advanced or mixed", "level"
            ) from None

        updated_text = str(fields.get("updated_at") or "").strip()
        updated_at = parse_timestamp(updated_text) if updated_text else None
        rating = parse_rating(fields.get("rating"))
        language = normalise_language(str(fields.get("language") or ""), f"{title}\n{description}")

        item = CatalogItem(
            external_id=external_id,
            title=title,
            description=description,
            language=language,
            minutes=structure.minutes,
            format=normalise_format(str(fields.get("format") or ""), default="course"),
            url=str(fields.get("url") or "").strip() or None,
            lms_url=str(fields.get("lms_url") or "").strip() or None,
            level=level,
            provider=str(fields.get("provider") or "").strip() or None,
            skills=split_list(str(fields.get("skills") or ""), ";"),
            rating=rating,
            updated_at=updated_at,
            units=structure.units,
            line=record.line,
            extra=extra,
        )
        self._first_seen[external_id] = record.line
        return item
