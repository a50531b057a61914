"""Confluence HTML exports: a space folder (or its zip) holding index.html and one .html file per page;
the page body is the main-content div."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from ingest.files import read_text
from ingest.records import RawRecord, SourceError
from ingest.sources.wiki.folders import HTML_SUFFIXES, LINK_OUT, leaves
from ingest.sources.wiki.html_text import parse_html
from ingest.sources.wiki.pages import Page, check_page_count, words_from_name

KIND = "confluence"


def read_space(space: Path, label: Path) -> Iterator[RawRecord]:
    """Every page file beside index.html; index.html itself is only the space's table of contents."""
    pages = sorted(
        p
        for p in space.iterdir()
        if p.is_file() and p.suffix.lower() in HTML_SUFFIXES and p.name.lower() != "index.html"
    )
    check_page_count(label, len(pages))
    space_name = ""
    try:
        if not leaves(space / "index.html", space):
            space_name = parse_html(read_text(space / "index.html")).title
    except SourceError:
        pass  # the space name only tidies page titles
    for position, page in enumerate(pages, start=1):
        rel = page.relative_to(space).as_posix()
        fields: dict[str, Any] = {"kind": KIND, "path": rel, "space": space_name}
        if leaves(page, space):
            fields |= {"error": LINK_OUT, "error_field": "path"}
            yield RawRecord(position, fields, origin=rel)
            continue
        try:
            fields["html"] = read_text(page)
        except SourceError as exc:
            fields["error"] = exc.reason
        yield RawRecord(position, fields, origin=rel)


def _confluence_title(raw: str, space: str) -> str:
    """Confluence titles pages "Space name : Page title"; only the page title names the item."""
    raw = raw.strip()
    space = space.split(" : ")[0].strip()
    if space and raw.startswith(space + " : "):
        return raw[len(space) + 3 :].strip()
    if " : " in raw:
        return raw.split(" : ", 1)[1].strip()
    return raw


def parse_page(fields: dict[str, Any]) -> Page:
    """A page from its record: the main-content sections, the title without the space name."""
    rel = str(fields["path"])
    parsed = parse_html(str(fields["html"]))
    space = str(fields.get("space") or "")
    title = _confluence_title(parsed.title, space) or _confluence_title(parsed.first_h1, space)
    return Page(
        external_id=str(PurePosixPath(rel).with_suffix("")),
        title=title or words_from_name(rel, confluence=True),
        sections=parsed.sections(),
        extra={"path": rel, "wiki_format": KIND, **({"space": space} if space else {})},
    )


def space_folder(folder: Path) -> Path | None:
    """The folder holding index.html and page files: the export itself or its one space-key subfolder."""
    candidates = [folder]
    try:
        candidates += sorted(
            p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and not leaves(p, folder)
        )
    except OSError as exc:
        raise SourceError(folder, f"cannot list folder: {exc}") from exc
    for candidate in candidates:
        if not (candidate / "index.html").is_file():
            continue
        if any(
            p.is_file() and p.suffix.lower() in HTML_SUFFIXES and p.name.lower() != "index.html"
            for p in candidate.iterdir()
        ):
            return candidate
    return None
