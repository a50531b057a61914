"""Coursera catalogs (kind "coursera"): the catalog API's courses.v1 JSON, or a CSV export.

courses.v1 JSON, as a file holding one page ({"elements": [...], "paging": {...}, "linked": {...}}), a
file holding a JSON list of such pages, or a folder of page files (*.json, read in name order):
- external_id = id; title = name; url = https://www.coursera.org/learn/<slug>
- language = the first of primaryLanguages ('en', 'zh-CN' -> 'zh'), else detected
- minutes from workload ('4-8 hours/week' -> 6 hours a week for 4 weeks, see ingest.normalise.minutes.parse_minutes);
  none or unreadable -> reading time of the description, with extra["minutes_estimated"] = True
- declared skills: an optional `skills` array of labels (our extension, like `modules`: the skills the
  course teaches, for example taxonomy labels); without it, domainTypes: subdomainId then domainId as
  words ('machine-learning' -> 'machine learning'), which name a shelf rather than a skill
- provider = the partners' names from linked["partners.v1"], else "coursera:<partner id>"
- level: a `level`, `difficultyLevel` or `difficulty` field when the element has one ("BEGINNER",
  "Intermediate"; courses.v1 itself has none), else the level the description states in a line
  'Level: Beginner' or as 'Beginner level' (normalise.level_from_text); none found -> no level
- line = position of the element in the whole import (1-based); origin names file and page

Modules (our extension: the real API serves a course's modules from other endpoints, not inline). An
element may carry an optional `modules` array, in order:

    "modules": [
      {"name": "Your first SELECT", "description": "...", "minutes": 12},
      {"name": "Joins", "workload": "35 minutes", "lessons": [
          {"name": "Inner joins", "minutes": 12, "description": "..."},
          {"name": "Left joins", "minutes": 13}, {"name": "Join pitfalls", "minutes": 10}]}
    ]

`name` (or `title`) is required; `description` (or `summary`) optional; minutes as a number
(`minutes`) or a duration text (`workload`, `duration`); `lessons` (or `items`) have the same shape,
one level deep. The course is split along them (normalise.course_structure: one unit per module of 5
to 15 minutes, a longer module split into its lessons, tiny neighbours merged). Module minutes win: the
item's minutes become the sum of its modules, and `workload` stays in extra["workload"] (and the
parsed figure in extra["stated_minutes"] when it differs). Entries without minutes share what the
workload leaves. Without `modules`, lines of the description such as 'Module 1: ... (15 min)' or
'Week 2: ...' are used the same way. A malformed `modules` array keeps the course as one unit and puts
the reason in extra["modules_error"] (and a warning in the log); the course itself is not rejected.

CSV exports (the ones that circulate; headers case-insensitive, '_' and ' ' alike):
- title: Name, Course Name, course_title, Title; description: Description, course_description, About
- skills: Tags, Skills, course_skills, Skills Gained (comma-separated, or a Python list "['a', 'b']")
- level: Difficulty Level, course_difficulty, Difficulty, Level (unknown words go to extra["level_text"])
- url: Url, Course URL, course_url, Link; rating: Rating, course_rating (0..5; a bad value rejects the row)
- minutes: Duration, course_time, Workload; provider: University, Organization, course_organization,
  Partner, Offered By (else "Coursera"); language: Language
- external_id: an id column (id, course_id) when present, else the last path segment of the url, else
  a slug of the name; the url's catalog type ('learn', 'specializations', ...) goes to extra["coursera_type"]
- modules: Modules, Syllabus, Course Modules, Lessons (optional): 'title (N min)' entries separated by
  ';', '|' or line breaks ('Welcome (5 min); Your first SELECT (12 min); Joins (35 min)'), or the JSON
  array above; split, merged and reported exactly as the JSON `modules` (see ingest.normalise.modules.parse_module_list);
  without it, modules the description lists are used. The level falls back to the description too.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

from ingest.files import (
    MAX_RECORDS,
    field_text,
    mapped_records,
    read_csv_rows,
    read_text,
    reject_extra_fields,
)
from ingest.normalise.formats import normalise_format
from ingest.normalise.ids import slug
from ingest.normalise.language import detect_language, language_code
from ingest.normalise.levels import level_from_text, normalise_level, parse_level
from ingest.normalise.minutes import parse_minutes, reading_minutes
from ingest.normalise.modules import course_structure
from ingest.normalise.values import parse_rating, split_list
from ingest.records import CatalogItem, RawRecord, RecordRejected, Source, SourceError
from ingest.sources import apply_structure

COURSE_URL = "https://www.coursera.org/learn/{slug}"
DEFAULT_PROVIDER = "Coursera"
KIND_KEY = "_kind"
PARTNERS_KEY = "_partner_names"

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "course id", "courseid"),
    "title": ("name", "course name", "course title", "title"),
    "description": ("description", "course description", "about", "summary"),
    "skills": ("tags", "skills", "course skills", "skills gained"),
    "level": ("difficulty level", "course difficulty", "difficulty", "level"),
    "url": ("url", "course url", "link"),
    "rating": ("rating", "course rating"),
    "minutes": ("duration", "course time", "workload", "course duration"),
    "provider": ("university", "organization", "course organization", "partner", "offered by"),
    "language": ("language",),
    "modules": ("modules", "syllabus", "course modules", "lessons"),
}
LEVEL_KEYS = ("level", "difficultyLevel", "difficulty")
MODULES_HEADER_KEY = "_modules_header"


def _header_key(header: str) -> str:
    return " ".join(header.strip().lower().replace("_", " ").replace("-", " ").split())


def _words(identifier: str) -> str:
    """'machine-learning' -> 'machine learning'."""
    return " ".join(re.split(r"[-_\s]+", identifier.strip()))


def _tag_list(value: str) -> tuple[str, ...]:
    """Tags as 'a, b' or as a Python list literal "['a', 'b']" (both circulate)."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, list | tuple):
            return split_list("\x1f".join(str(p) for p in parsed), "\x1f")
        text = text[1:-1].replace("'", "").replace('"', "")
    return split_list(text, ",")


class CourseraSource(Source):
    """Reads Coursera's API pages or a CSV export into items with declared skills."""

    kind: ClassVar[str] = "coursera"

    def read_records(self, path: Path) -> Iterator[RawRecord]:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".json")
            if not files:
                raise SourceError(path, "folder holds no courses.v1 page files (*.json)")
            yield from self._json_records(path, files)
            return
        suffix = path.suffix.lower()
        if suffix == ".csv":
            yield from self._csv_records(path)
        elif suffix == ".json":
            yield from self._json_records(path, [path])
        else:
            text = read_text(path)
            if text.lstrip()[:1] in ("{", "["):
                yield from self._json_records(path, [path])
            else:
                yield from self._csv_records(path)

    # -- courses.v1 JSON ---------------------------------------------------------------------------

    def _json_records(self, root: Path, files: list[Path]) -> Iterator[RawRecord]:
        pages: list[tuple[str, dict[str, Any]]] = []
        for file in files:
            try:
                data = json.loads(read_text(file))
            except json.JSONDecodeError as exc:
                raise SourceError(
                    file, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                ) from None
            for number, page in enumerate(self._pages(file, data), start=1):
                label = f"{file} page {number}" if isinstance(data, list) else str(file)
                pages.append((label, page))
        partners: dict[str, str] = {}
        for _, page in pages:
            linked = page.get("linked") or {}
            for partner in (linked.get("partners.v1") or []) if isinstance(linked, dict) else []:
                if isinstance(partner, dict) and partner.get("id") is not None and partner.get("name"):
                    partners[str(partner["id"])] = str(partner["name"]).strip()
        position = 0
        for label, page in pages:
            for element in page["elements"]:
                position += 1
                if position > MAX_RECORDS:
                    raise SourceError(root, f"more than {MAX_RECORDS:,} courses; split the import")
                fields: dict[str, Any] = dict(element) if isinstance(element, dict) else {"_raw": element}
                fields[KIND_KEY] = "json"
                ids = element.get("partnerIds") if isinstance(element, dict) else None
                fields[PARTNERS_KEY] = [partners.get(str(i)) for i in ids] if isinstance(ids, list) else []
                yield RawRecord(line=position, fields=fields, origin=label)

    @staticmethod
    def _pages(file: Path, data: Any) -> list[dict[str, Any]]:
        """A page, a list of pages, or (leniently) a bare list of course elements."""
        if isinstance(data, dict) and isinstance(data.get("elements"), list):
            return [data]
        if isinstance(data, list) and data and all(isinstance(p, dict) and "elements" in p for p in data):
            for number, page in enumerate(data, start=1):
                if not isinstance(page["elements"], list):
                    raise SourceError(file, f"page {number}: 'elements' is not a list")
            return list(data)
        if isinstance(data, list) and all(isinstance(e, dict) and "id" in e for e in data):
            return [{"elements": data}]
        raise SourceError(
            file,
            'expected a courses.v1 page {"elements": [...], "paging": {...}} or a list of such pages',
        )

    def _json_item(self, record: RawRecord) -> CatalogItem:
        fields = record.fields
        if "_raw" in fields:
            raise RecordRejected("element is not a JSON object")
        course_id = fields.get("id")
        if course_id is None or not str(course_id).strip():
            raise RecordRejected("course has no id", "id")
        name = " ".join(str(fields.get("name") or "").split())
        if not name:
            raise RecordRejected("course has no name", "name")
        description = str(fields.get("description") or "").strip()
        course_slug = str(fields.get("slug") or "").strip()
        extra: dict[str, Any] = {}

        workload = str(fields.get("workload") or "").strip()
        minutes = parse_minutes(workload) if workload else None
        if workload:
            extra["workload"] = workload
        if minutes is None or minutes < 1:
            minutes = reading_minutes(description or name)
            extra["minutes_estimated"] = True
        structure = course_structure(
            name,
            description or name,
            minutes,
            modules=fields.get("modules"),
            description=description,
            minutes_known=not extra.get("minutes_estimated"),
        )
        apply_structure(structure, record, "modules", extra, minutes)

        level_value = next((fields[k] for k in LEVEL_KEYS if fields.get(k)), None)
        level = normalise_level(str(level_value)) if isinstance(level_value, str) else None
        level = level or level_from_text(description)

        languages = fields.get("primaryLanguages")
        first_language = languages[0] if isinstance(languages, list) and languages else languages
        language = language_code(str(first_language) if first_language else None) or detect_language(
            f"{name}\n{description}"
        )

        skills: list[str] = []
        listed = fields.get("skills")
        if isinstance(listed, list):
            skills = [
                " ".join(str(label).split()) for label in listed if isinstance(label, str) and label.strip()
            ]
        domains = fields.get("domainTypes") if not skills else None
        for domain in domains if isinstance(domains, list) else []:
            if not isinstance(domain, dict):
                continue
            for key in ("subdomainId", "domainId"):
                if domain.get(key):
                    skills.append(_words(str(domain[key])))
        partner_ids = fields.get("partnerIds")
        partner_ids = [str(p) for p in partner_ids] if isinstance(partner_ids, list) else []
        names = fields.get(PARTNERS_KEY) or []
        if partner_ids:
            extra["partner_ids"] = partner_ids
            labels = [
                (names[i] if i < len(names) and names[i] else f"coursera:{pid}")
                for i, pid in enumerate(partner_ids)
            ]
            provider = ", ".join(dict.fromkeys(labels))
        else:
            provider = DEFAULT_PROVIDER
        if course_slug:
            extra["slug"] = course_slug

        return CatalogItem(
            external_id=str(course_id).strip(),
            title=name,
            description=description,
            language=language,
            minutes=structure.minutes,
            format="course",
            url=COURSE_URL.format(slug=course_slug) if course_slug else None,
            level=level,
            provider=provider,
            skills=tuple(dict.fromkeys(skills)),
            units=structure.units,
            line=record.line,
            extra=extra,
        )

    # -- CSV exports -------------------------------------------------------------------------------

    def _csv_records(self, path: Path) -> Iterator[RawRecord]:
        headers, rows = read_csv_rows(path)
        by_key = {_header_key(h): h for h in reversed(headers) if h}  # first spelling wins
        mapping: dict[str, str] = {}
        for field, names in CSV_COLUMNS.items():
            for name in names:
                if name in by_key:
                    mapping[field] = by_key[name]
                    break
        if "title" not in mapping:
            raise SourceError(
                path,
                f"no course name column; found headers {', '.join(repr(h) for h in headers if h)}; "
                "expected one of Name, Course Name, course_title, Title",
            )
        constants = {KIND_KEY: "csv", MODULES_HEADER_KEY: mapping.get("modules", "")}
        yield from mapped_records(path, rows, mapping, constants)

    def _csv_item(self, record: RawRecord) -> CatalogItem:
        fields = record.fields
        reject_extra_fields(fields)

        def get(name: str) -> str:
            return field_text(fields, name)

        title = " ".join(get("title").split())
        if not title:
            raise RecordRejected("empty course name", "title")
        description = get("description")
        url = get("url") or None
        extra: dict[str, Any] = {}
        external_id = get("external_id")
        if not external_id and url:
            segments = [s for s in urlparse(url).path.split("/") if s]
            if segments:
                external_id = segments[-1]
                if len(segments) > 1:
                    extra["coursera_type"] = segments[-2]
        external_id = external_id or slug(title)

        rating = parse_rating(get("rating"))
        duration = get("minutes")
        minutes = parse_minutes(duration) if duration else None
        if duration:
            extra["duration_text"] = duration
        if minutes is None or minutes < 1:
            minutes = reading_minutes(description or title)
            extra["minutes_estimated"] = True

        level_text = get("level")
        try:
            level = parse_level(level_text)
        except ValueError:
            level = None
            extra["level_text"] = level_text
        if level is None and not level_text:
            level = level_from_text(description)
        structure = course_structure(
            title,
            description or title,
            minutes,
            modules=get("modules"),
            description=description,
            minutes_known=not extra.get("minutes_estimated"),
        )
        apply_structure(structure, record, get(MODULES_HEADER_KEY) or "modules", extra, minutes)

        language = language_code(get("language")) or detect_language(f"{title}\n{description}")
        return CatalogItem(
            external_id=external_id,
            title=title,
            description=description,
            language=language,
            minutes=structure.minutes,
            format=normalise_format(None, default="course"),
            url=url,
            level=level,
            provider=get("provider") or DEFAULT_PROVIDER,
            skills=_tag_list(get("skills")),
            rating=rating,
            units=structure.units,
            line=record.line,
            extra=extra,
        )

    def to_item(self, record: RawRecord) -> CatalogItem:
        if record.fields.get(KIND_KEY) == "json":
            return self._json_item(record)
        return self._csv_item(record)
