"""GoodHabitz catalog exports (kind "goodhabitz"): a CSV or XLSX file with Dutch or English headers.

GoodHabitz publishes no format, so this adapter reads what such exports (and similar Dutch provider
lists) hold. Headers are matched case-insensitively after trimming; the first column that maps to a
field wins, columns that map to nothing are ignored.

| field | headers |
|---|---|
| external id | ID, Id, Code, Cursus-ID, Cursus ID, Course ID |
| title (required) | Titel, Title, Naam, Name, Cursusnaam, Course name |
| description | Beschrijving, Omschrijving, Description, Samenvatting, Summary |
| category | Categorie, Category, Thema, Theme |
| minutes | Duur, Duration, Tijdsduur, Studielast, Lengte, Length |
| language | Taal, Language |
| level | Niveau, Level |
| url | Link, URL, Url |
| provider | Aanbieder, Provider |
| format | Type, Vorm, Format, Werkvorm |
| audience | Doelgroep, Audience |
| skills | Vaardigheden, Skills, Competenties, Competencies (separated by ';' or ',') |
| cost | Kosten, Prijs, Cost, Price |
| modules | Onderdelen, Modules, Lessen, Lessons, Hoofdstukken, Chapters, Syllabus |

How values become an item:
- external_id: the id column when filled, else a stable slug of the url, else a slug of the title.
- provider: the provider column, else "GoodHabitz"; format: the format column, else course.
- category: extra["category"], and a declared skill of the item when the row names no skills (a
  category is a shelf such as "Communicatie"; the skills column says what the course teaches);
  audience and cost go to extra.
- minutes: the duration parsed by ingest.normalise.minutes.parse_minutes (ranges take the midpoint, halves round up:
  "60-75 minuten" -> 68); no duration gives the reading time of the description (or title), and an
  unreadable one ("verschillend", "n.v.t.") does too, keeping the text in extra["duration_text"];
  extra["minutes_estimated"] is True in both cases.
- language: the language column, else detected from title, description and category; undecidable
  text takes the language of the headers (Dutch headers -> nl, else en).
- level: Dutch or English level words; an unknown level is kept as extra["level_text"].
- modules (optional): the course's parts in order, as 'title (N min)' entries separated by ';' or '|'
  (or line breaks): "Intro (5 min); Je eerste draaitabel (12 min); Filteren en sorteren (10 min)". The
  duration in brackets is read like Duur ('12 min', '1 uur', '8 minuten'); an entry without brackets
  shares what Duur leaves after the others. The course is split into units along the parts
  (normalise.course_structure: one unit per part of 5 to 15 minutes, tiny parts merged into a
  neighbour, a longer part kept whole with its honest minutes). The parts' minutes win: the item's
  minutes become their sum, and Duur's figure is kept as extra["stated_minutes"] when it differs.
  Without the column, lines of the description such as 'Module 1: ... (15 min)', 'Les 2 – ...' or
  'Week 3: ...' are used the same way. An entry that cannot be read ('Intro (vijf min)', an empty
  title) does not reject the row: the course stays one unit, extra["modules_error"] names the column
  and the entry, and the log gets a warning with the row.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from ingest.files import field_text, mapped_records, read_csv_rows, read_xlsx_rows, reject_extra_fields
from ingest.normalise.formats import normalise_format
from ingest.normalise.ids import slug, url_slug
from ingest.normalise.language import detect_language, language_code
from ingest.normalise.levels import parse_level
from ingest.normalise.minutes import parse_minutes, reading_minutes
from ingest.normalise.modules import course_structure
from ingest.normalise.values import split_list
from ingest.records import CatalogItem, RawRecord, RecordRejected, Source, SourceError
from ingest.sources import apply_structure

DEFAULT_PROVIDER = "GoodHabitz"

HEADER_MAP: dict[str, str] = {
    "id": "external_id",
    "code": "external_id",
    "cursus-id": "external_id",
    "cursus id": "external_id",
    "cursusid": "external_id",
    "course id": "external_id",
    "course-id": "external_id",
    "titel": "title",
    "title": "title",
    "naam": "title",
    "name": "title",
    "cursusnaam": "title",
    "course name": "title",
    "beschrijving": "description",
    "omschrijving": "description",
    "description": "description",
    "samenvatting": "description",
    "summary": "description",
    "categorie": "category",
    "category": "category",
    "thema": "category",
    "theme": "category",
    "duur": "minutes",
    "duration": "minutes",
    "tijdsduur": "minutes",
    "studielast": "minutes",
    "lengte": "minutes",
    "length": "minutes",
    "taal": "language",
    "language": "language",
    "niveau": "level",
    "level": "level",
    "link": "url",
    "url": "url",
    "aanbieder": "provider",
    "provider": "provider",
    "type": "format",
    "vorm": "format",
    "format": "format",
    "werkvorm": "format",
    "doelgroep": "audience",
    "audience": "audience",
    "vaardigheden": "skills",
    "skills": "skills",
    "competenties": "skills",
    "competencies": "skills",
    "kosten": "cost",
    "prijs": "cost",
    "cost": "cost",
    "price": "cost",
    "onderdelen": "modules",
    "modules": "modules",
    "lessen": "modules",
    "lessons": "modules",
    "hoofdstukken": "modules",
    "chapters": "modules",
    "syllabus": "modules",
}

# Headers that only a Dutch export uses: they set the language for text that gives no signal.
DUTCH_HEADERS = frozenset(
    {
        "titel",
        "naam",
        "cursusnaam",
        "beschrijving",
        "omschrijving",
        "samenvatting",
        "categorie",
        "thema",
        "duur",
        "tijdsduur",
        "studielast",
        "lengte",
        "taal",
        "niveau",
        "aanbieder",
        "vorm",
        "werkvorm",
        "doelgroep",
        "vaardigheden",
        "competenties",
        "kosten",
        "prijs",
        "cursus-id",
        "cursus id",
        "onderdelen",
        "lessen",
        "hoofdstukken",
    }
)

FILE_LANGUAGE_KEY = "_file_language"
MODULES_HEADER_KEY = "_modules_header"


def _key(header: str) -> str:
    return " ".join(header.strip().lower().split())


class GoodHabitzSource(Source):
    """Reads GoodHabitz-style provider lists; tolerant of missing columns, strict about the title."""

    kind: ClassVar[str] = "goodhabitz"

    def read_records(self, path: Path) -> Iterator[RawRecord]:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            headers, rows = read_csv_rows(path)
        elif suffix == ".xlsx":
            headers, rows = read_xlsx_rows(path)
        else:
            raise SourceError(path, f"expected a .csv or .xlsx file, got {path.suffix or 'no extension'!r}")
        mapping: dict[str, str] = {}  # field -> header
        for header in headers:
            field = HEADER_MAP.get(_key(header))
            if field and field not in mapping:
                mapping[field] = header
        if "title" not in mapping:
            found = ", ".join(repr(h) for h in headers if h) or "none"
            raise SourceError(
                path,
                f"no usable title column; found headers {found}; expected one of Titel, Title, Naam, Name "
                "(see the header table in ingest/sources/goodhabitz.py)",
            )
        file_language = "nl" if any(_key(h) in DUTCH_HEADERS for h in headers) else "en"
        constants = {FILE_LANGUAGE_KEY: file_language, MODULES_HEADER_KEY: mapping.get("modules", "")}
        yield from mapped_records(path, rows, mapping, constants)

    def to_item(self, record: RawRecord) -> CatalogItem:
        fields = record.fields
        reject_extra_fields(fields)

        def get(name: str) -> str:
            return field_text(fields, name)

        title = " ".join(get("title").split())
        if not title:
            raise RecordRejected("empty title", "title")
        description = get("description")
        category = get("category")
        url = get("url") or None
        external_id = get("external_id") or (url_slug(url) if url else "") or slug(title)
        if not external_id:
            raise RecordRejected(f"no id, url or usable title to identify {title!r}", "title")

        extra: dict[str, object] = {}
        text_for_time = description or title
        duration_text = get("minutes")
        minutes = parse_minutes(duration_text) if duration_text else None
        if minutes is None or minutes < 1:
            minutes = reading_minutes(text_for_time)
            extra["minutes_estimated"] = True
            if duration_text:
                extra["duration_text"] = duration_text

        level_text = get("level")
        try:
            level = parse_level(level_text)
        except ValueError:
            level = None
            extra["level_text"] = level_text

        detect_text = "\n".join(part for part in (title, description, category) if part)
        language = language_code(get("language")) or detect_language(
            detect_text, default=get(FILE_LANGUAGE_KEY) or "en"
        )

        skills = split_list(get("skills"), ";,") or split_list(category, ";")
        skills = tuple(dict.fromkeys(skills))
        for name in ("category", "audience", "cost"):
            if get(name):
                extra[name] = get(name)
        unit_text = description or "\n".join(part for part in (title, category) if part)
        structure = course_structure(
            title,
            unit_text,
            minutes,
            modules=get("modules"),
            description=description,
            minutes_known=not extra.get("minutes_estimated"),
        )
        apply_structure(structure, record, get(MODULES_HEADER_KEY) or "modules", extra, minutes)

        return CatalogItem(
            external_id=external_id,
            title=title,
            description=description,
            language=language,
            minutes=structure.minutes,
            format=normalise_format(get("format"), default="course"),
            url=url,
            level=level,
            provider=get("provider") or DEFAULT_PROVIDER,
            skills=skills,
            units=structure.units,
            line=record.line,
            extra=extra,
        )
