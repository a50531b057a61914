"""MediaWiki XML exports: pages streamed through a defused SAX parser (the main namespace, no
redirects, the last revision), and wikitext markup reduced to readable sections."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax import SAXException, SAXParseException
from xml.sax.expatreader import ExpatLocator
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import Locator

import defusedxml
import defusedxml.sax

from ingest.files import read_text
from ingest.normalise.units import Section
from ingest.records import RawRecord, RecordRejected, SourceError
from ingest.sources.wiki.pages import HTML_COMMENT, Page, SectionBuilder, check_page_count

KIND = "mediawiki"
_XML_CHUNK = 1 << 20


def read_export(path: Path) -> Iterator[RawRecord]:
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
                check_page_count(path, count)
                yield _record(page, handler.base_url)
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
        check_page_count(path, count)
        yield _record(page, handler.base_url)


def _record(page: _WikiXmlPage, base_url: str | None) -> RawRecord:
    url = None
    if base_url and page.title:
        url = base_url + quote(page.title.replace(" ", "_"), safe="/:()'_,-.")
    fields = {
        "kind": KIND,
        "title": page.title,
        "text": page.text,
        "timestamp": page.timestamp,
        "url": url,
    }
    return RawRecord(page.line, fields, origin=page.title)


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


def parse_page(fields: dict[str, Any]) -> Page:
    """A page from its record: the wikitext as sections, the last revision's time."""
    title = str(fields.get("title") or "").strip()
    if not title:
        raise RecordRejected("page without a title", "title")
    return Page(
        external_id=title,
        title=title,
        sections=wikitext_sections(str(fields.get("text") or "")),
        url=fields.get("url"),
        updated_at=_parse_timestamp(str(fields.get("timestamp") or "")),
        extra={"wiki_format": KIND},
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
    builder = SectionBuilder()
    for line in clean_wikitext(text).split("\n"):
        heading = _WIKI_HEADING.match(line)
        if heading:
            builder.heading(heading.group(2), max(1, len(heading.group(1)) - 1))
        else:
            builder.write(line + "\n")
    return builder.result()


def clean_wikitext(text: str) -> str:
    """Wikitext to plain text: templates, media links, references and formatting go; link labels stay."""
    text = HTML_COMMENT.sub("", text.replace("\r\n", "\n"))
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
