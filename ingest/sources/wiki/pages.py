"""What every wiki format is reduced to: a page of `Section`s with optional metadata, and the one
route from there to a `CatalogItem` (units cut at headings, minutes, language)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from ingest.normalise.language import detect_language, normalise_language
from ingest.normalise.minutes import reading_minutes
from ingest.normalise.units import Section, split_units
from ingest.records import CatalogItem, MicroUnit, RecordRejected, SourceError

MAX_PAGES = 20_000
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass
class Page:
    """What every format yields before normalisation: text as sections plus optional metadata."""

    external_id: str
    title: str
    sections: list[Section]
    url: str | None = None
    language: str | None = None
    description: str | None = None
    level: str | None = None
    skills: tuple[str, ...] = ()
    updated_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def build_item(page: Page, line: int) -> CatalogItem:
    """One route from sections to item so all formats get the same units, minutes and language."""
    text = page_text(page.sections)
    if not text.strip():
        raise RecordRejected("empty page", "text")
    title = page.title.strip() or page.external_id
    language = normalise_language(page.language, text) if page.language else detect_language(text)
    units = tuple(split_units(title, page.sections))
    if not units:
        units = (MicroUnit(0, title, text, reading_minutes(text)),)
    return CatalogItem(
        external_id=page.external_id,
        title=title,
        description=page.description if page.description else text,
        language=language,
        minutes=sum(unit.minutes for unit in units),
        format="page",
        url=page.url,
        level=page.level,
        skills=page.skills,
        updated_at=page.updated_at,
        units=units,
        line=line,
        extra=page.extra,
    )


def page_text(sections: list[Section]) -> str:
    """The plain text of a page: each heading on its own line above its text, blocks apart."""
    blocks = []
    for section in sections:
        block = "\n".join(part for part in (section.title.strip(), section.text.strip()) if part)
        if block:
            blocks.append(block)
    return "\n\n".join(blocks)


class SectionBuilder:
    """Collects running text and cuts it into sections at headings, tidying whitespace per section."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self._title = ""
        self._depth = 0
        self._parts: list[str] = []

    def write(self, text: str) -> None:
        self._parts.append(text)

    def heading(self, title: str, depth: int) -> None:
        self._flush()
        self._title = " ".join(title.split())
        self._depth = depth

    def result(self) -> list[Section]:
        self._flush()
        return self.sections

    def _flush(self) -> None:
        text = tidy_text("".join(self._parts))
        self._parts = []
        if self._title or text:
            self.sections.append(Section(title=self._title, depth=self._depth, text=text))


def tidy_text(raw: str) -> str:
    """Collapse spaces inside lines and runs of blank lines; single blank lines stay as paragraph breaks."""
    out: list[str] = []
    blank = False
    for line in raw.split("\n"):
        line = " ".join(line.split())
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
            blank = False
        out.append(line)
    return "\n".join(out)


def check_page_count(label: Path | str, count: int) -> None:
    if count > MAX_PAGES:
        raise SourceError(
            label, f"more than {MAX_PAGES} pages in one import; split the wiki into smaller imports"
        )


def words_from_name(path: str, confluence: bool = False) -> str:
    """A readable title from a file name, used only when the page names itself nowhere."""
    pure = PurePosixPath(path)
    stem = pure.stem
    if stem.lower() in {"index", "readme", "_index", "home"} and pure.parent.name:
        stem = pure.parent.name
    if confluence:
        stem = re.sub(r"_\d+$", "", stem)  # Confluence appends the page id to file names
    words = " ".join(re.sub(r"[-_.+]+", " ", stem).split())
    return words[:1].upper() + words[1:] if words else stem
