"""HTML to plain-text sections: the body of a Confluence page, and HTML embedded in Markdown.

Navigation, breadcrumbs, footers and attachment lists are skipped; headings start sections.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ingest.normalise.units import Section
from ingest.sources.wiki.pages import SectionBuilder, page_text

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


class HtmlPage(HTMLParser):
    """Plain-text sections of an HTML page, both for the whole body and for its main-content div.

    Navigation, breadcrumbs, footers and attachment lists are skipped; headings start sections.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.first_h1 = ""
        self.body = SectionBuilder()
        self.main = SectionBuilder()
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


def parse_html(text: str) -> HtmlPage:
    parser = HtmlPage()
    parser.feed(text)
    parser.close()
    return parser


def html_fragment_text(fragment: str) -> str:
    """Plain text of a piece of HTML (as Markdown may embed), headings kept as lines."""
    return page_text(parse_html(fragment).sections())
