"""Internal wiki pages as catalog items: Markdown folders, Confluence HTML exports, MediaWiki XML exports.

A wiki page is long reference text, so every page becomes one item of format "page" whose micro-units are
cut at its headings. The three formats differ only in how text and headings are found; each is reduced to
the same list of `Section`s and from there shares one path to a `CatalogItem`.

`read_records` only finds pages and reads their text (cheap, and the place where a whole import can be
refused); parsing a page happens in `to_item`, so one broken page is one rejection, not a failed import.
"""

from __future__ import annotations

import html
import os
import re
import stat
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote
from xml.sax import SAXException, SAXParseException
from xml.sax.expatreader import ExpatLocator
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import Locator

import defusedxml
import defusedxml.sax
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest import normalise
from ingest.files import read_text
from ingest.normalise import Section
from ingest.records import CatalogItem, MicroUnit, RawRecord, RecordRejected, Source, SourceError

MAX_PAGES = 20_000
MAX_ZIP_MEMBERS = 50_000
MAX_ZIP_BYTES = 512 * 1024 * 1024  # total uncompressed size a zip may declare or expand to

MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
_XML_CHUNK = 1 << 20

_WIKI_MARKDOWN = "markdown"
_WIKI_CONFLUENCE = "confluence"
_WIKI_MEDIAWIKI = "mediawiki"


class WikiSource(Source):
    """Reads an internal wiki in one of three export formats; the format is chosen from the path."""

    kind = "wiki"

    # ------------------------------------------------------------------ reading

    def read_records(self, path: Path) -> Iterator[RawRecord]:
        """Yield one record per page; refuse the import when the path holds no wiki we can read."""
        path = Path(path)
        if not path.exists():
            raise SourceError(path, "does not exist")
        suffix = path.suffix.lower()
        if path.is_dir():
            yield from self._read_folder(path, label=path)
        elif suffix == ".xml":
            yield from self._read_mediawiki(path)
        elif suffix == ".zip":
            yield from self._read_zip(path)
        elif suffix in MARKDOWN_SUFFIXES:
            yield from self._read_single_markdown(path)
        else:
            raise SourceError(
                path,
                "a wiki import is a Markdown folder or .md file, a Confluence export folder or .zip, "
                f"or a MediaWiki .xml export; got a {suffix or 'suffix-less'} file",
            )

    def _read_folder(self, folder: Path, label: Path) -> Iterator[RawRecord]:
        """Pick Confluence or Markdown by what the folder holds; errors name `label` (the user's path)."""
        space = _confluence_root(folder)
        if space is not None:
            return self._read_confluence(space, label)
        pages = _markdown_files(folder)
        if pages:
            return self._read_markdown(folder, pages, label)
        raise SourceError(
            label,
            "no wiki found: expected Markdown pages (*.md), a Confluence export (index.html and page .html "
            f"files) or a MediaWiki .xml export; found {_describe_contents(folder)}",
        )

    def _read_single_markdown(self, path: Path) -> Iterator[RawRecord]:
        """One Markdown file is a one-page wiki; a read error refuses the import, nothing else is left."""
        text = read_text(path)
        yield RawRecord(1, {"kind": _WIKI_MARKDOWN, "path": path.name, "text": text}, origin=path.name)

    def _read_markdown(self, root: Path, pages: list[Path], label: Path) -> Iterator[RawRecord]:
        """One record per page; a page that cannot be read becomes a rejection, not a failed import."""
        _check_page_count(label, len(pages))
        for position, page in enumerate(pages, start=1):
            rel = page.relative_to(root).as_posix()
            if _leaves(page, root):
                error = {"error": LINK_OUT, "error_field": "path"}
                yield RawRecord(position, {"kind": _WIKI_MARKDOWN, "path": rel, **error}, origin=rel)
                continue
            try:
                text = read_text(page)
            except SourceError as exc:
                yield RawRecord(
                    position, {"kind": _WIKI_MARKDOWN, "path": rel, "error": exc.reason}, origin=rel
                )
                continue
            yield RawRecord(position, {"kind": _WIKI_MARKDOWN, "path": rel, "text": text}, origin=rel)

    def _read_confluence(self, space: Path, label: Path) -> Iterator[RawRecord]:
        """Every page file beside index.html; index.html itself is only the space's table of contents."""
        pages = sorted(
            p
            for p in space.iterdir()
            if p.is_file() and p.suffix.lower() in HTML_SUFFIXES and p.name.lower() != "index.html"
        )
        _check_page_count(label, len(pages))
        space_name = ""
        try:
            if not _leaves(space / "index.html", space):
                space_name = _parse_html(read_text(space / "index.html")).title
        except SourceError:
            pass  # the space name only tidies page titles
        for position, page in enumerate(pages, start=1):
            rel = page.relative_to(space).as_posix()
            fields: dict[str, Any] = {"kind": _WIKI_CONFLUENCE, "path": rel, "space": space_name}
            if _leaves(page, space):
                fields |= {"error": LINK_OUT, "error_field": "path"}
                yield RawRecord(position, fields, origin=rel)
                continue
            try:
                fields["html"] = read_text(page)
            except SourceError as exc:
                fields["error"] = exc.reason
            yield RawRecord(position, fields, origin=rel)

    def _read_zip(self, path: Path) -> Iterator[RawRecord]:
        """Unpack the text members of a zip into a private folder, with caps, then read it as a folder."""
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceError(path, f"not a readable zip file: {exc}") from exc
        with archive, tempfile.TemporaryDirectory(prefix="leerpad-wiki-") as tmp:
            _extract_text_members(archive, path, Path(tmp))
            yield from self._read_folder(Path(tmp), label=path)

    def _read_mediawiki(self, path: Path) -> Iterator[RawRecord]:
        """Stream the XML through a defused SAX parser: entity tricks are refused, pages keep their line."""
        text = read_text(path)
        handler = _MediaWikiHandler()
        parser = defusedxml.sax.make_parser()
        parser.setContentHandler(handler)
        handler.setDocumentLocator(ExpatLocator(parser))  # parse() would do this; feed() does not
        count = 0
        try:
            for start in range(0, len(text), _XML_CHUNK):
                parser.feed(text[start : start + _XML_CHUNK])
                for page in handler.drain():
                    count += 1
                    _check_page_count(path, count)
                    yield self._mediawiki_record(page, handler.base_url)
            parser.close()
        except defusedxml.EntitiesForbidden as exc:
            raise SourceError(
                path,
                f"the XML declares entities (<!ENTITY {exc.name} ...>); entity declarations are refused "
                "because their expansion can exhaust memory",
            ) from exc
        except defusedxml.ExternalReferenceForbidden as exc:
            raise SourceError(path, f"the XML refers to an external entity ({exc.sysid}); refused") from exc
        except defusedxml.DefusedXmlException as exc:
            raise SourceError(path, f"unsafe XML refused: {exc}") from exc
        except SAXParseException as exc:
            raise SourceError(
                path,
                f"malformed XML at line {exc.getLineNumber()}, column {exc.getColumnNumber()}: "
                f"{exc.getMessage()}",
            ) from exc
        except SAXException as exc:
            raise SourceError(path, f"unreadable XML: {exc}") from exc
        except _NotMediaWiki as exc:
            raise SourceError(path, str(exc)) from exc
        for page in handler.drain():
            count += 1
            _check_page_count(path, count)
            yield self._mediawiki_record(page, handler.base_url)

    @staticmethod
    def _mediawiki_record(page: _WikiXmlPage, base_url: str | None) -> RawRecord:
        url = None
        if base_url and page.title:
            url = base_url + quote(page.title.replace(" ", "_"), safe="/:()'_,-.")
        fields = {
            "kind": _WIKI_MEDIAWIKI,
            "title": page.title,
            "text": page.text,
            "timestamp": page.timestamp,
            "url": url,
        }
        return RawRecord(page.line, fields, origin=page.title)

    # ------------------------------------------------------------------ normalising

    def to_item(self, record: RawRecord) -> CatalogItem:
        """Parse the page in its own format, then build the item the same way for all three."""
        fields = record.fields
        if "error" in fields:
            raise RecordRejected(str(fields["error"]), fields.get("error_field"))
        kind = fields.get("kind")
        if kind == _WIKI_MARKDOWN:
            page = _markdown_page(fields)
        elif kind == _WIKI_CONFLUENCE:
            page = _confluence_page(fields)
        elif kind == _WIKI_MEDIAWIKI:
            page = _mediawiki_page(fields)
        else:
            raise RecordRejected(f"unknown wiki record kind {kind!r}", "kind")
        return _build_item(page, record.line)


# ---------------------------------------------------------------------- shared page shape


@dataclass
class _Page:
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


def _build_item(page: _Page, line: int) -> CatalogItem:
    """One route from sections to item so all formats get the same units, minutes and language."""
    text = page_text(page.sections)
    if not text.strip():
        raise RecordRejected("empty page", "text")
    title = page.title.strip() or page.external_id
    if page.language:
        language = normalise.normalise_language(page.language, text)
    else:
        language = normalise.detect_language(text)
    units = tuple(normalise.split_units(title, page.sections))
    if not units:
        units = (MicroUnit(0, title, text, normalise.reading_minutes(text)),)
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


class _SectionBuilder:
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


def _check_page_count(label: Path | str, count: int) -> None:
    if count > MAX_PAGES:
        raise SourceError(
            label, f"more than {MAX_PAGES} pages in one import; split the wiki into smaller imports"
        )


def _words_from_name(path: str, confluence: bool = False) -> str:
    """A readable title from a file name, used only when the page names itself nowhere."""
    pure = PurePosixPath(path)
    stem = pure.stem
    if stem.lower() in {"index", "readme", "_index", "home"} and pure.parent.name:
        stem = pure.parent.name
    if confluence:
        stem = re.sub(r"_\d+$", "", stem)  # Confluence appends the page id to file names
    words = " ".join(re.sub(r"[-_.+]+", " ", stem).split())
    return words[:1].upper() + words[1:] if words else stem


# ---------------------------------------------------------------------- Markdown

_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_SHORTCODE = re.compile(r"\{\{[^{}]*\}\}")


def _markdown_page(fields: dict[str, Any]) -> _Page:
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
        title = next((s.title for s in sections if s.depth == 1 and s.title), "") or _words_from_name(rel)
    external_id = _meta_str(meta, "id") or str(PurePosixPath(rel).with_suffix(""))
    extra: dict[str, Any] = {"path": rel, "wiki_format": _WIKI_MARKDOWN}
    return _Page(
        external_id=external_id,
        title=title,
        sections=sections,
        url=_meta_str(meta, "url"),
        language=_meta_str(meta, "language") or _meta_str(meta, "lang"),
        description=_meta_str(meta, "description"),
        level=normalise.normalise_level(_meta_str(meta, "level")),
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
    tokens = _MD.parse(_HTML_COMMENT.sub("", text))
    builder = _SectionBuilder()
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


# ---------------------------------------------------------------------- HTML (Confluence)

_VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "nav", "svg", "iframe", "object", "button"]
)
_SKIP_IDS = frozenset(
    ["breadcrumb-section", "breadcrumbs", "footer", "navigation", "attachments", "comments-section"]
)
_SKIP_CLASSES = frozenset(["pageSection", "page-metadata", "breadcrumbs", "footer", "navigation"])
_PARAGRAPH_TAGS = frozenset(
    [
        "p",
        "div",
        "table",
        "ul",
        "ol",
        "dl",
        "pre",
        "blockquote",
        "section",
        "article",
        "header",
        "main",
        "aside",
        "figure",
        "hr",
        "form",
        "fieldset",
    ]
)
_LINE_TAGS = frozenset(["tr", "dt", "dd", "caption"])
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])


class _HtmlPage(HTMLParser):
    """Plain-text sections of an HTML page, both for the whole body and for its main-content div.

    Navigation, breadcrumbs, footers and attachment lists are skipped; headings start sections.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.first_h1 = ""
        self.body = _SectionBuilder()
        self.main = _SectionBuilder()
        self.has_main = False
        self._title_parts: list[str] | None = None
        self._skip_tag = ""
        self._skip_depth = 0
        self._main_tag = ""
        self._main_depth = 0
        self._heading_tag = ""
        self._heading_parts: list[str] = []
        self._heading_in_main = False
        self._pre = 0
        self._cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._title_parts = []
            return
        if self._skip_depth:
            if tag == self._skip_tag:
                self._skip_depth += 1
            return
        attributes = {name: value or "" for name, value in attrs}
        if tag not in _VOID_TAGS and (
            tag in _SKIP_TAGS
            or attributes.get("id", "") in _SKIP_IDS
            or _SKIP_CLASSES.intersection(attributes.get("class", "").split())
        ):
            self._skip_tag, self._skip_depth = tag, 1
            return
        if self._main_depth and tag == self._main_tag:
            self._main_depth += 1
        elif not self._main_depth and attributes.get("id") == "main-content" and tag not in _VOID_TAGS:
            self._main_tag, self._main_depth, self.has_main = tag, 1, True
        if tag in _HEADINGS:
            self._heading_tag, self._heading_parts = tag, []
            self._heading_in_main = bool(self._main_depth)
        elif tag == "pre":
            self._pre += 1
            self._write("\n\n")
        elif tag in _PARAGRAPH_TAGS:
            self._write("\n\n")
        elif tag == "li":
            self._write("\n- ")
        elif tag == "br":
            self._write("\n")
        elif tag == "tr":
            self._cells = 0
        elif tag in ("td", "th"):
            if self._cells:
                self._write(" | ")
            self._cells += 1
        elif tag in _LINE_TAGS:
            self._write("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            if self._title_parts is not None:
                self.title = " ".join("".join(self._title_parts).split())
            self._title_parts = None
            return
        if self._skip_depth:
            if tag == self._skip_tag:
                self._skip_depth -= 1
            return
        if tag == self._heading_tag:
            text = " ".join("".join(self._heading_parts).split())
            depth = int(tag[1])
            if tag == "h1" and not self.first_h1:
                self.first_h1 = text
            if text:
                self.body.heading(text, depth)
                if self._heading_in_main:
                    self.main.heading(text, depth)
            self._heading_tag = ""
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
            self._write("\n\n")
        elif tag in _PARAGRAPH_TAGS:
            self._write("\n\n")
        elif tag in ("li", "tr") or tag in _LINE_TAGS:
            self._write("\n")
        if self._main_depth and tag == self._main_tag:
            self._main_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._title_parts is not None:
            self._title_parts.append(data)
            return
        if self._skip_depth:
            return
        text = data if self._pre else re.sub(r"\s+", " ", data)
        if self._heading_tag:
            self._heading_parts.append(text)
            return
        self._write(text)

    def _write(self, text: str) -> None:
        self.body.write(text)
        if self._main_depth:
            self.main.write(text)

    def sections(self) -> list[Section]:
        """The main-content div when the page has one (a Confluence page does), else the whole body."""
        return self.main.result() if self.has_main else self.body.result()


def _parse_html(text: str) -> _HtmlPage:
    parser = _HtmlPage()
    parser.feed(text)
    parser.close()
    return parser


def html_fragment_text(fragment: str) -> str:
    """Plain text of a piece of HTML (as Markdown may embed), headings kept as lines."""
    return page_text(_parse_html(fragment).sections())


def _confluence_title(raw: str, space: str) -> str:
    """Confluence titles pages "Space name : Page title"; only the page title names the item."""
    raw = raw.strip()
    space = space.split(" : ")[0].strip()
    if space and raw.startswith(space + " : "):
        return raw[len(space) + 3 :].strip()
    if " : " in raw:
        return raw.split(" : ", 1)[1].strip()
    return raw


def _confluence_page(fields: dict[str, Any]) -> _Page:
    rel = str(fields["path"])
    parsed = _parse_html(str(fields["html"]))
    space = str(fields.get("space") or "")
    title = _confluence_title(parsed.title, space) or _confluence_title(parsed.first_h1, space)
    return _Page(
        external_id=str(PurePosixPath(rel).with_suffix("")),
        title=title or _words_from_name(rel, confluence=True),
        sections=parsed.sections(),
        extra={"path": rel, "wiki_format": _WIKI_CONFLUENCE, **({"space": space} if space else {})},
    )


def _confluence_root(folder: Path) -> Path | None:
    """The folder holding index.html and page files: the export itself or its one space-key subfolder."""
    candidates = [folder]
    try:
        candidates += sorted(
            p
            for p in folder.iterdir()
            if p.is_dir() and not p.name.startswith(".") and not _leaves(p, folder)
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


# ---------------------------------------------------------------------- folders and zips


LINK_OUT = "a symbolic link to a file outside the wiki folder: not read"


def _leaves(path: Path, root: Path) -> bool:
    """Whether `path` is a symbolic link that leads out of `root` (a page there is never read: a
    link to /etc/passwd or to another team's files would otherwise land in the catalog)."""
    return path.is_symlink() and not path.resolve().is_relative_to(root.resolve())


def _visible_files(root: Path) -> Iterator[Path]:
    """Files under `root`, skipping hidden folders and files; linked folders are not entered (os.walk
    follows no links), linked files are listed and the readers refuse those leading out (`_leaves`)."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name


def _markdown_files(root: Path) -> list[Path]:
    files = [p for p in _visible_files(root) if p.suffix.lower() in MARKDOWN_SUFFIXES]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _describe_contents(root: Path) -> str:
    """A short inventory for the error message, so the user sees what the tool saw."""
    counts = Counter(p.suffix.lower() or "(no suffix)" for p in _visible_files(root))
    if not counts:
        return "an empty folder"
    listed = ", ".join(f"{n} {suffix}" for suffix, n in counts.most_common(6))
    return f"{sum(counts.values())} files ({listed})"


def _safe_member_name(name: str) -> PurePosixPath | None:
    """The member's relative path, or None when it is absolute or climbs out of the target folder."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal) or "\x00" in normal:
        return None
    parts = [part for part in normal.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        return None
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def _extract_text_members(archive: zipfile.ZipFile, label: Path, target: Path) -> None:
    """Write the .html/.md members below `target`, refusing bombs, traversal names and links."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise SourceError(label, f"the zip has {len(members)} members; at most {MAX_ZIP_MEMBERS} are read")
    declared = sum(info.file_size for info in members)
    if declared > MAX_ZIP_BYTES:
        raise SourceError(label, f"the zip expands to {declared} bytes; at most {MAX_ZIP_BYTES} are read")
    safe: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    for info in members:
        rel = _safe_member_name(info.filename)
        if rel is None:
            raise SourceError(label, f"refused zip member {info.filename!r}: its path leaves the export")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise SourceError(label, f"refused zip member {info.filename!r}: symbolic links are not read")
        safe.append((info, rel))
    written = 0
    for info, rel in safe:
        if info.is_dir() or rel.suffix.lower() not in HTML_SUFFIXES + MARKDOWN_SUFFIXES:
            continue
        if any(part.startswith(".") for part in rel.parts):
            continue
        destination = target.joinpath(*rel.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(info) as source, destination.open("wb") as sink:
                while chunk := source.read(1 << 16):
                    written += len(chunk)
                    if written > MAX_ZIP_BYTES:
                        raise SourceError(label, f"the zip expands beyond {MAX_ZIP_BYTES} bytes; refused")
                    sink.write(chunk)
        except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, ValueError) as exc:
            raise SourceError(label, f"cannot read zip member {info.filename!r}: {exc}") from exc


# ---------------------------------------------------------------------- MediaWiki


class _NotMediaWiki(Exception):
    """The XML is well-formed but not a MediaWiki export."""


@dataclass
class _WikiXmlPage:
    line: int
    title: str = ""
    ns: str = "0"
    redirect: bool = False
    timestamp: str = ""
    text: str = ""


class _MediaWikiHandler(ContentHandler):
    """Collects main-namespace, non-redirect pages with the line of their <page> element."""

    _LEAVES = frozenset({"title", "ns", "timestamp", "text", "base"})

    def __init__(self) -> None:
        super().__init__()
        self.base_url: str | None = None
        self._ready: list[_WikiXmlPage] = []
        self._stack: list[str] = []
        self._page: _WikiXmlPage | None = None
        self._parts: list[str] | None = None
        self._locator: Locator | None = None
        self._revision: dict[str, str] = {}

    def setDocumentLocator(self, locator: Locator) -> None:  # noqa: N802 - SAX API name
        self._locator = locator

    def drain(self) -> list[_WikiXmlPage]:
        ready, self._ready = self._ready, []
        return ready

    def startElement(self, name: str, attrs: Any) -> None:  # noqa: N802 - SAX API name
        local = name.rpartition(":")[2]
        if not self._stack and local != "mediawiki":
            raise _NotMediaWiki(f"not a MediaWiki export: the root element is <{name}>, expected <mediawiki>")
        parent = self._stack[-1] if self._stack else ""
        self._stack.append(local)
        if local == "page":
            line = self._locator.getLineNumber() if self._locator else 0
            self._page = _WikiXmlPage(line=line or 0)
        elif local == "redirect" and self._page is not None:
            self._page.redirect = True
        elif local == "revision":
            self._revision = {}
        if local in self._LEAVES and parent in ("page", "revision", "siteinfo"):
            self._parts = []

    def characters(self, content: str) -> None:
        if self._parts is not None:
            self._parts.append(content)

    def endElement(self, name: str) -> None:  # noqa: N802 - SAX API name
        local = self._stack.pop() if self._stack else name
        parent = self._stack[-1] if self._stack else ""
        value = "".join(self._parts) if self._parts is not None else ""
        self._parts = None
        page = self._page
        if parent == "siteinfo" and local == "base":
            self.base_url = _wiki_base(value.strip())
        elif page is not None and parent == "page" and local == "title":
            page.title = value.strip()
        elif page is not None and parent == "page" and local == "ns":
            page.ns = value.strip() or "0"
        elif parent == "revision" and local in ("timestamp", "text"):
            self._revision[local] = value
        elif page is not None and local == "revision":
            # a history export holds every revision in order; the last one is the page as it is now
            page.timestamp = self._revision.get("timestamp", "").strip()
            page.text = self._revision.get("text", "")
        elif page is not None and local == "page":
            if page.ns == "0" and not page.redirect and not _REDIRECT.match(page.text):
                self._ready.append(page)
            self._page = None


_REDIRECT = re.compile(r"\s*#(?:REDIRECT|DOORVERWIJZING)\b", re.I)


def _wiki_base(base: str) -> str | None:
    """'https://wiki.example/wiki/Main_Page' -> 'https://wiki.example/wiki/', the prefix of every page url."""
    if not base.startswith(("http://", "https://")) or "/" not in base[8:]:
        return None
    return base.rsplit("/", 1)[0] + "/"


def _parse_timestamp(value: str) -> datetime | None:
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RecordRejected(f"revision timestamp is not a date: {value!r}", "timestamp") from exc
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _mediawiki_page(fields: dict[str, Any]) -> _Page:
    title = str(fields.get("title") or "").strip()
    if not title:
        raise RecordRejected("page without a title", "title")
    return _Page(
        external_id=title,
        title=title,
        sections=wikitext_sections(str(fields.get("text") or "")),
        url=fields.get("url"),
        updated_at=_parse_timestamp(str(fields.get("timestamp") or "")),
        extra={"wiki_format": _WIKI_MEDIAWIKI},
    )


_WIKI_HEADING = re.compile(r"^(={1,6})\s*(.+?)\s*\1\s*$")
_MEDIA_NAMESPACES = "file|image|media|bestand|afbeelding|category|categorie|datei|fichier|kategorie"
_WIKI_MEDIA_LINK = re.compile(rf"\[\[\s*:?\s*(?:{_MEDIA_NAMESPACES})\s*:", re.I)
_WIKI_LINK = re.compile(r"\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
_WIKI_EXTERNAL = re.compile(r"\[(?:https?://|ftp://|mailto:|//)[^\s\]]+(?:[ \t]+([^\]]*))?\]")
_WIKI_REF_EMPTY = re.compile(r"<ref\b[^>]*?/>", re.I)
_WIKI_REF = re.compile(r"<ref\b[^>]*>.*?</ref\s*>", re.I | re.S)
_WIKI_DROP_BLOCKS = re.compile(r"<(gallery|timeline|imagemap)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_WIKI_BR = re.compile(r"<br\s*/?>", re.I)
_WIKI_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*\b[^<>]*>")
_WIKI_MAGIC = re.compile(r"__[A-Z]+__")
_WIKI_QUOTES = re.compile(r"'{2,}")
_WIKI_LIST = re.compile(r"^[*#]+\s*")
_WIKI_INDENT = re.compile(r"^[:;]+\s*")


def wikitext_sections(text: str) -> list[Section]:
    """Sections of MediaWiki markup split at '== H ==' lines, with markup reduced to readable text."""
    builder = _SectionBuilder()
    for line in clean_wikitext(text).split("\n"):
        heading = _WIKI_HEADING.match(line)
        if heading:
            builder.heading(heading.group(2), max(1, len(heading.group(1)) - 1))
        else:
            builder.write(line + "\n")
    return builder.result()


def clean_wikitext(text: str) -> str:
    """Wikitext to plain text: templates, media links, references and formatting go; link labels stay."""
    text = _HTML_COMMENT.sub("", text.replace("\r\n", "\n"))
    text = _WIKI_REF_EMPTY.sub("", text)
    text = _WIKI_REF.sub("", text)
    text = _WIKI_DROP_BLOCKS.sub("", text)
    text = _remove_balanced(text, re.compile(r"\{\{"), "{{", "}}")
    text = _remove_balanced(text, _WIKI_MEDIA_LINK, "[[", "]]")
    previous = None
    while previous != text:  # innermost first, so a link inside a label still resolves
        previous = text
        text = _WIKI_LINK.sub(_link_label, text)
    text = _WIKI_EXTERNAL.sub(lambda m: m.group(1) or "", text)
    text = _tables_to_text(text)
    text = _WIKI_BR.sub("\n", text)
    text = _WIKI_TAG.sub("", text)
    text = _WIKI_MAGIC.sub("", text)
    text = _WIKI_QUOTES.sub("", text)
    lines = []
    for line in text.split("\n"):
        if re.fullmatch(r"\s*-{4,}\s*", line):
            continue
        line = _WIKI_LIST.sub("- ", line)
        lines.append(_WIKI_INDENT.sub("", line))
    return html.unescape("\n".join(lines))


def _link_label(match: re.Match[str]) -> str:
    target, label = match.group(1).strip(), match.group(2)
    if label is not None and label.strip():
        return label.strip()
    target = target.lstrip(":")
    if label is not None:  # the "pipe trick": [[Kat (dier)|]] shows "Kat"
        target = re.sub(r"\s*\([^)]*\)\s*$", "", target.split(":", 1)[-1])
    return target


def _remove_balanced(text: str, start: re.Pattern[str], opener: str, closer: str) -> str:
    """Remove every construct that `start` finds, up to its balanced closer; unbalanced ones stay as text."""
    out: list[str] = []
    position = 0
    while True:
        match = start.search(text, position)
        if match is None:
            out.append(text[position:])
            return "".join(out)
        out.append(text[position : match.start()])
        depth = 0
        index = match.start()
        end = -1
        while index < len(text):
            if text.startswith(opener, index):
                depth += 1
                index += len(opener)
            elif text.startswith(closer, index):
                depth -= 1
                index += len(closer)
                if depth == 0:
                    end = index
                    break
            else:
                index += 1
        if end < 0:
            out.append(text[match.start() : match.end()])
            position = match.end()
        else:
            position = end


def _tables_to_text(text: str) -> str:
    """'{| ... |}' tables to one line of cell text per row; rows cells joined by ' | '."""
    out: list[str] = []
    depth = 0
    row: list[str] = []

    def flush() -> None:
        cells = [cell for cell in (" ".join(c.split()) for c in row) if cell]
        if cells:
            out.append(" | ".join(cells))
        row.clear()

    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("{|"):
            flush()
            depth += 1
            out.append("")
            continue
        if not depth:
            out.append(line)
            continue
        if stripped.startswith("|}"):
            flush()
            depth -= 1
            out.append("")
        elif stripped.startswith("|-"):
            flush()
        elif stripped.startswith("|+"):
            flush()
            row.append(_cell_text(stripped[2:]))
            flush()
        elif stripped.startswith("!"):
            row.extend(_cell_text(cell) for cell in re.split(r"!!|\|\|", stripped[1:]))
        elif stripped.startswith("|"):
            row.extend(_cell_text(cell) for cell in stripped[1:].split("||"))
        elif row:
            row[-1] = f"{row[-1]} {stripped}"
        elif stripped:
            row.append(stripped)
    flush()
    return "\n".join(out)


def _cell_text(cell: str) -> str:
    """A cell's content without its attributes ('style="..." | text' -> 'text')."""
    if "|" in cell:
        attributes, content = cell.split("|", 1)
        if "=" in attributes or not attributes.strip():
            return content.strip()
    return cell.strip()
