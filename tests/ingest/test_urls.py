"""Only http(s) urls from catalogs: clients render an item's url as a link, so a `javascript:` url
from any source is rejected as a field (its line and reason in the report) and the item kept without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.normalise.urls import web_url_problem
from ingest.pipeline import IngestReport, read_items
from ingest.sources import get_source

EVIL = "javascript:alert(1)"


@pytest.mark.parametrize(
    "url",
    [
        "https://lms.example/sql?x=1#deel-2",
        "HTTP://Wiki.Example",
        "http://127.0.0.1:8080/a",
        "https://lms.example/mijn cursus",
    ],
)
def test_http_and_https_urls_pass(url: str) -> None:
    assert web_url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (EVIL, "scheme 'javascript:'"),
        ("JavaScript:alert(1)", "scheme 'javascript:'"),
        ("java\tscript:alert(1)", "control character"),  # browsers drop the tab: javascript:
        ("data:text/html,<script>alert(1)</script>", "scheme 'data:'"),
        ("vbscript:msgbox(1)", "scheme 'vbscript:'"),
        ("file:///etc/passwd", "scheme 'file:'"),
        ("//evil.example/x", "no scheme"),
        ("lms.example/x", "no scheme"),
        ("https://", "no host"),
        ("https:evil", "no host"),
        ("http://[::1/x", "not a url"),
        ("https://evil.example/\u202egnp.exe", "control character"),
        ("https://lms.example/" + "a" * 3000, "longer than 2048"),
    ],
)
def test_other_urls_are_refused_with_the_reason(url: str, words: str) -> None:
    problem = web_url_problem(url)
    assert problem is not None and words in problem, problem


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# One small file per source, each holding one item whose url is `javascript:alert(1)`, and the line
# the report must name.
SOURCES = {
    "csv": (
        "c.csv",
        f"external_id,title,description,url\nok-1,SQL,Leer SQL.,https://lms.example/1\nbad-1,XSS,Tekst.,{EVIL}\n",
        3,
    ),
    "coursera": (
        "courses.csv",
        f"Course Name,Description,Course URL\nSQL,Learn SQL.,https://www.coursera.org/learn/sql\nXSS,Text.,{EVIL}\n",
        3,
    ),
    "goodhabitz": (
        "export.csv",
        f"Titel,Beschrijving,Duur,Link\nSQL,Leer SQL.,45 min,https://gh.example/sql\nXSS,Tekst.,10 min,{EVIL}\n",
        3,
    ),
    "wiki": ("page.md", f"---\ntitle: XSS\nurl: '{EVIL}'\n---\n# XSS\n\nTekst over veilig werken.\n", 1),
}


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_every_source_keeps_the_row_and_rejects_the_url_naming_its_line(kind: str, tmp_path: Path) -> None:
    name, text, line = SOURCES[kind]
    path = _csv(tmp_path / name, text)
    report = IngestReport(kind=kind, source=kind, path=str(path))
    items = read_items(get_source(kind), path, report)
    evil = [item for item in items if item.line == line]
    assert len(evil) == 1 and evil[0].url is None  # the row is kept, without its url
    assert all(item.url is None or item.url.startswith("https://") for item in items)
    [rejection] = report.rejected
    assert (rejection.line, rejection.field) == (line, "url")
    assert EVIL in rejection.reason and "only http and https" in rejection.reason
    assert "kept without a url" in rejection.reason


def test_a_mediawiki_export_with_a_javascript_base_links_no_page(tmp_path: Path) -> None:
    """The export's <base> makes every page's url; the wiki source takes only an http(s) one."""
    export = tmp_path / "wiki.xml"
    export.write_text(
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="nl">\n'
        f"  <siteinfo><base>{EVIL}/Hoofdpagina</base></siteinfo>\n"
        "  <page>\n    <title>Veilig werken</title>\n    <ns>0</ns>\n"
        "    <revision><timestamp>2024-03-01T09:30:00Z</timestamp>\n"
        '      <text xml:space="preserve">== Wachtwoorden ==\nGebruik een wachtwoordmanager.</text>\n'
        "    </revision>\n  </page>\n</mediawiki>\n",
        encoding="utf-8",
    )
    report = IngestReport(kind="wiki", source="wiki", path=str(export))
    [item] = read_items(get_source("wiki"), export, report)
    assert item.url is None and item.title == "Veilig werken"


def test_blanks_around_a_good_url_are_dropped(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "c.csv",
        'external_id,title,description,url\nok-1,SQL,Leer SQL.," https://lms.example/1 "\n',
    )
    report = IngestReport(kind="csv", source="csv", path=str(path))
    [item] = read_items(get_source("csv"), path, report)
    assert item.url == "https://lms.example/1" and not report.rejected


def test_a_bad_lms_url_is_rejected_like_a_url_and_the_row_kept_with_its_url(tmp_path: Path) -> None:
    """The csv format's lms_url (the LMS's own page, which xAPI statements name) gets the url check."""
    path = _csv(
        tmp_path / "c.csv",
        "external_id,title,description,url,lms_url\n"
        "ok-1,SQL,Leer SQL.,https://lms.example/1, https://moodle.example/course/view.php?id=2 \n"
        f"bad-1,XSS,Tekst.,https://lms.example/2,{EVIL}\n",
    )
    report = IngestReport(kind="csv", source="csv", path=str(path))
    good, bad = read_items(get_source("csv"), path, report)
    assert good.lms_url == "https://moodle.example/course/view.php?id=2"
    assert (bad.lms_url, bad.url) == (None, "https://lms.example/2")
    [rejection] = report.rejected
    assert (rejection.line, rejection.field) == (3, "lms_url")
    assert EVIL in rejection.reason and "only http and https" in rejection.reason
    assert "kept without a lms_url" in rejection.reason
