"""Markdown wiki pages (a folder of .md files, or one file): YAML front matter for the metadata, the
body cut into sections from its token stream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest.files import read_text
from ingest.normalise.levels import normalise_level
from ingest.normalise.units import Section
from ingest.records import RawRecord, RecordRejected, SourceError
from ingest.sources.wiki.folders import LINK_OUT, leaves
from ingest.sources.wiki.html_text import html_fragment_text
from ingest.sources.wiki.pages import HTML_COMMENT, Page, SectionBuilder, check_page_count, words_from_name

KIND = "markdown"

_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_SHORTCODE = re.compile(r"\{\{[^{}]*\}\}")


def read_file(path: Path) -> Iterator[RawRecord]:
    """One Markdown file is a one-page wiki; a read error refuses the import, nothing else is left."""
    text = read_text(path)
    yield RawRecord(1, {"kind": KIND, "path": path.name, "text": text}, origin=path.name)


def read_pages(root: Path, pages: list[Path], label: Path) -> Iterator[RawRecord]:
    """One record per page; a page that cannot be read becomes a rejection, not a failed import."""
    check_page_count(label, len(pages))
    for position, page in enumerate(pages, start=1):
        rel = page.relative_to(root).as_posix()
        if leaves(page, root):
            error = {"error": LINK_OUT, "error_field": "path"}
            yield RawRecord(position, {"kind": KIND, "path": rel, **error}, origin=rel)
            continue
        try:
            text = read_text(page)
        except SourceError as exc:
            yield RawRecord(position, {"kind": KIND, "path": rel, "error": exc.reason}, origin=rel)
            continue
        yield RawRecord(position, {"kind": KIND, "path": rel, "text": text}, origin=rel)


def parse_page(fields: dict[str, Any]) -> Page:
    """A page from its record: front matter for the metadata, the body as sections; the title from
    the front matter, the first top heading or the file name."""
    rel = str(fields["path"])
    text = str(fields["text"]).lstrip("\ufeff")
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        meta = _front_matter(match.group(1))
        text = text[match.end() :]
    sections = markdown_sections(text)
    title = _meta_str(meta, "title")
    if not title:
        title = next((s.title for s in sections if s.depth == 1 and s.title), "") or words_from_name(rel)
    external_id = _meta_str(meta, "id") or str(PurePosixPath(rel).with_suffix(""))
    extra: dict[str, Any] = {"path": rel, "wiki_format": KIND}
    return Page(
        external_id=external_id,
        title=title,
        sections=sections,
        url=_meta_str(meta, "url"),
        language=_meta_str(meta, "language") or _meta_str(meta, "lang"),
        description=_meta_str(meta, "description"),
        level=normalise_level(_meta_str(meta, "level")),
        skills=tuple(dict.fromkeys(_meta_list(meta, "tags") + _meta_list(meta, "skills"))),
        updated_at=_meta_date(meta),
        extra=extra,
    )


def _front_matter(block: str) -> dict[str, Any]:
    """YAML between '---' lines; a broken block rejects this page only, naming the line in the file."""
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise RecordRejected(f"bad front matter: {problem}{where}", "front matter") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RecordRejected(
            f"bad front matter: expected key: value pairs, got {type(data).__name__}", "front matter"
        )
    return {str(key).lower(): value for key, value in data.items()}


def _meta_str(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _meta_list(meta: dict[str, Any], key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    items = value if isinstance(value, list) else re.split(r"[;,]", str(value))
    seen: dict[str, None] = {}
    for item in items:
        text = str(item).strip()
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def _meta_date(meta: dict[str, Any]) -> datetime | None:
    key = "updated" if "updated" in meta else "date"
    value = meta.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise RecordRejected(f"front matter {key} is not a date: {value!r}", key) from exc


def markdown_sections(text: str) -> list[Section]:
    """Sections of a Markdown body from its token stream, so '#' lines inside code blocks stay text.

    Link targets, images, raw HTML tags and comments are dropped; link text and code are kept.
    """
    tokens = _MD.parse(HTML_COMMENT.sub("", text))
    builder = SectionBuilder()
    list_depth = 0
    bullet = ""
    cells: list[str] = []
    heading_depth = 0
    in_table = False
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_depth = int(token.tag[1])
        elif kind == "heading_close":
            heading_depth = 0
        elif kind == "inline":
            line = _inline_text(token)
            if heading_depth:
                builder.heading(line, heading_depth)
            elif in_table:
                cells.append(" ".join(line.split()))
            elif _SHORTCODE.fullmatch(line.strip()):
                continue  # site-generator calls such as {{generator:team_members_list}} are not text
            else:
                builder.write(bullet + line)
                bullet = ""
        elif kind in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
            builder.write("\n\n" if list_depth == 0 else "\n")
        elif kind == "list_item_open":
            bullet = "- "
        elif kind == "paragraph_close":
            builder.write("\n" if token.hidden else "\n\n")
        elif kind in ("fence", "code_block"):
            builder.write(bullet + token.content.rstrip("\n") + "\n\n")
            bullet = ""
        elif kind == "html_block":
            builder.write(html_fragment_text(token.content) + "\n\n")
        elif kind == "table_open":
            in_table = True
        elif kind == "table_close":
            in_table = False
            builder.write("\n")
        elif kind == "tr_open":
            cells = []
        elif kind == "tr_close":
            builder.write(" | ".join(cell for cell in cells if cell) + "\n")
    return builder.result()


def _inline_text(token: Token) -> str:
    """Visible text of an inline run: link text without targets, no images, no raw HTML."""
    out: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
    return "".join(out)
