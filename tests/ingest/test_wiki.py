"""The wiki source: Markdown folders, Confluence exports (folder and zip) and MediaWiki XML exports.

All fixtures except the real Sourcegraph handbook are invented here, in Dutch and English.
"""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.records import CatalogItem, RawRecord, RecordRejected, SourceError
from ingest.sources.wiki.markdown import markdown_sections
from ingest.sources.wiki.mediawiki import wikitext_sections
from ingest.sources.wiki.source import WikiSource

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
HANDBOOK = DATA / "wiki_sourcegraph_handbook" / "content"

DUTCH_SENTENCES = [
    "Een goede start in het team begint met duidelijke afspraken over wie je kunt bellen als je vastloopt.",
    "Je buddy neemt in de eerste week elke ochtend een kwartier de tijd om je vragen te beantwoorden.",
    "We schrijven besluiten op in het logboek zodat collega's later kunnen nalezen waarom iets zo is gegaan.",
    "Vraag gerust door als iets niet duidelijk is, want niemand verwacht dat je alles meteen weet.",
    "Het is verstandig om je agenda voor de eerste dagen samen met je leidinggevende door te nemen.",
    "Tijdens de lunch op woensdag schuiven nieuwe collega's aan bij een ander team om kennis te maken.",
]
ENGLISH_SENTENCES = [
    "A good review starts with reading the description of the change before looking at the code itself.",
    "Ask questions when the intent of a function is unclear, because the author usually knows the answer.",
    "Small pull requests are reviewed faster and they tend to contain fewer mistakes than large ones.",
    "Leave praise when something is done well, so the author knows which habits are worth keeping.",
    "When you disagree about style, point to the written guideline instead of your personal preference.",
    "Approve the change once the remaining comments are minor and can be handled in a follow-up.",
]


def prose(sentences: list[str], words: int, marker: str = "") -> str:
    """Invented filler text of about `words` words in paragraphs of five sentences."""
    out: list[str] = []
    count = 0
    index = 0
    paragraph: list[str] = []
    while count < words:
        sentence = sentences[index % len(sentences)]
        paragraph.append(sentence)
        count += len(sentence.split())
        index += 1
        if len(paragraph) == 5:
            out.append(" ".join(paragraph))
            paragraph = []
    if paragraph:
        out.append(" ".join(paragraph))
    if marker:
        out[0] = f"{marker} {out[0]}"
    return "\n\n".join(out)


def ingest(path: Path) -> tuple[list[CatalogItem], list[tuple[RawRecord, RecordRejected]]]:
    """Read and normalise every record the way the pipeline does."""
    source = WikiSource()
    items: list[CatalogItem] = []
    rejected: list[tuple[RawRecord, RecordRejected]] = []
    for record in source.read_records(path):
        try:
            items.append(source.to_item(record))
        except RecordRejected as exc:
            rejected.append((record, exc))
    return items, rejected


def by_id(items: list[CatalogItem]) -> dict[str, CatalogItem]:
    return {item.external_id: item for item in items}


# ---------------------------------------------------------------------- the real handbook


@pytest.mark.skipif(not HANDBOOK.is_dir(), reason="shared data folder not present")
def test_sourcegraph_handbook_becomes_one_item_per_non_empty_page() -> None:
    pages = sorted(p for p in HANDBOOK.rglob("*.md"))
    non_empty = [p for p in pages if p.read_text(encoding="utf-8", errors="replace").strip()]
    assert len(non_empty) > 800

    items, rejected = ingest(HANDBOOK)

    assert len(items) == len(non_empty)
    assert all(exc.reason == "empty page" for _, exc in rejected), [(r.origin, e.reason) for r, e in rejected]
    assert len(items) + len(rejected) == len(pages)
    assert {item.language for item in items} == {"en"}
    assert all(item.title.strip() for item in items)
    assert len({item.external_id for item in items}) == len(items)
    assert all(item.format == "page" and item.units for item in items)
    assert all(item.minutes == sum(unit.minutes for unit in item.units) for item in items)

    units = [unit for item in items for unit in item.units]
    assert all(1 <= unit.minutes <= 15 for unit in units)
    long_units = [unit for item in items if item.minutes > 5 for unit in item.units]
    in_range = [unit for unit in long_units if 5 <= unit.minutes <= 15]
    assert len(in_range) > 0.8 * len(long_units)

    glossary = by_id(items)["company-info-and-process/onboarding/glossary"]
    assert glossary.extra["path"] == "company-info-and-process/onboarding/glossary.md"
    assert glossary.title == "Glossary of terms" and glossary.url is None
    # link targets and site-generator calls do not leak into the text; the few "](" left (about 2%) are
    # pages where the Markdown is not a link (inside a code block, a space in the target, a how-to that
    # shows the syntax), kept as the author wrote it
    assert sum("](" in item.description for item in items) < 0.05 * len(items)
    lines = [line for item in items for line in item.description.splitlines()]
    assert not any(line.startswith("{{generator:") for line in lines)
    team = by_id(items)["team/index"]
    assert "add-yourself-to-team-page.md" not in team.description
    assert "click here" in team.description


# ---------------------------------------------------------------------- Markdown


def write_markdown_wiki(root: Path) -> None:
    (root / "nl").mkdir(parents=True)
    (root / "guides").mkdir()
    (root / ".git").mkdir()
    (root / "nl" / "inwerken.md").write_text(
        "---\n"
        "title: Inwerken bij het team\n"
        "tags: [onboarding, samenwerken]\n"
        "level: beginner\n"
        "updated: 2024-05-03\n"
        "---\n"
        "# Inwerken bij het team\n\n"
        "Welkom! <!-- interne notitie: nog niet publiceren --> Deze pagina helpt je op weg. "
        "![teamfoto](img/team.png) Lees ook de [gedragscode](../gedragscode.md) voor je begint.\n\n"
        "## Je eerste dag\n\n" + prose(DUTCH_SENTENCES, 1150, "EERSTEDAG") + "\n\n"
        "## Je eerste week\n\n" + prose(DUTCH_SENTENCES, 1150, "EERSTEWEEK") + "\n\n"
        "## Na een maand\n\n" + prose(DUTCH_SENTENCES, 1150, "NAEENMAAND") + "\n",
        encoding="utf-8",
    )
    (root / "guides" / "code-review.md").write_text(
        "# Code review guide\n\n"
        "Why we review: " + prose(ENGLISH_SENTENCES, 60) + "\n\n"
        "## Before you start\n\n"
        "Check out the branch and run the tests:\n\n"
        "```bash\n# this comment is code, not a heading\nmake test\n```\n\n"
        "| Step | Who |\n|---|---|\n| Read | Reviewer |\n| Fix | Author |\n\n"
        "## Giving feedback\n\n"
        "- Be kind\n- Be specific, see [the checklist](https://example.org/checklist)\n",
        encoding="utf-8",
    )
    (root / "guides" / "release-notes_2024.md").write_text(
        "Short notes without any heading, written for the spring release.\n", encoding="utf-8"
    )
    (root / "guides" / "broken.md").write_text(
        "---\ntitle: [unclosed\n---\n# Broken\n\nText.\n", encoding="utf-8"
    )
    (root / "guides" / "only-front-matter.md").write_text("---\ntitle: Leeg\n---\n\n", encoding="utf-8")
    (root / ".git" / "secret.md").write_text("# Hidden\n\nNot a wiki page.\n", encoding="utf-8")


def test_markdown_folder_pages_titles_languages_and_units(tmp_path: Path) -> None:
    write_markdown_wiki(tmp_path)
    items, rejected = ingest(tmp_path)
    found = by_id(items)

    assert sorted(found) == ["guides/code-review", "guides/release-notes_2024", "nl/inwerken"]
    reasons = {record.origin: exc for record, exc in rejected}
    assert set(reasons) == {"guides/broken.md", "guides/only-front-matter.md"}
    assert "front matter" in reasons["guides/broken.md"].reason
    assert reasons["guides/only-front-matter.md"].reason == "empty page"

    dutch = found["nl/inwerken"]
    assert dutch.title == "Inwerken bij het team"
    assert dutch.language == "nl"
    assert dutch.skills == ("onboarding", "samenwerken")
    assert dutch.level == "beginner"
    assert dutch.updated_at == datetime(2024, 5, 3)
    assert dutch.url is None and dutch.extra["path"] == "nl/inwerken.md"
    assert "interne notitie" not in dutch.description
    assert "team.png" not in dutch.description and "teamfoto" not in dutch.description
    assert "Lees ook de gedragscode voor je begint." in dutch.description
    assert "../gedragscode.md" not in dutch.description
    assert "Je eerste dag" in dutch.description.splitlines()
    # split at the headings: each long section is its own unit, in order
    markers = ["EERSTEDAG", "EERSTEWEEK", "NAEENMAAND"]
    assert len(dutch.units) == 3
    for unit, marker in zip(dutch.units, markers, strict=True):
        assert marker in unit.text
        assert all(other not in unit.text for other in markers if other != marker)
        assert 5 <= unit.minutes <= 15
    assert [unit.title for unit in dutch.units][1:] == ["Je eerste week", "Na een maand"]
    assert dutch.minutes == sum(unit.minutes for unit in dutch.units)

    english = found["guides/code-review"]
    assert english.title == "Code review guide"
    assert english.language == "en"
    lines = english.description.splitlines()
    assert "Before you start" in lines and "Giving feedback" in lines
    assert "# this comment is code, not a heading" in english.description
    assert "Read | Reviewer" in lines
    assert "- Be specific, see the checklist" in lines
    assert "example.org" not in english.description
    assert len(english.units) == 1  # a short page is one unit

    stub = found["guides/release-notes_2024"]
    assert stub.title == "Release notes 2024"
    assert len(stub.units) == 1 and stub.minutes >= 1

    lines_by_id = {item.external_id: item.line for item in items}
    assert lines_by_id == {"guides/code-review": 2, "guides/release-notes_2024": 4, "nl/inwerken": 5}


def test_markdown_front_matter_overrides(tmp_path: Path) -> None:
    page = tmp_path / "faq.md"
    page.write_text(
        "---\nid: kb-42\nurl: https://intranet.example/faq\nlang: Nederlands\nskills: Excel; rapporteren\n"
        "description: Vragen over rapportages\n---\n# FAQ\n\nEnglish text, but the page says Dutch.\n",
        encoding="utf-8",
    )
    items, rejected = ingest(page)
    assert not rejected
    (item,) = items
    assert item.external_id == "kb-42"
    assert item.url == "https://intranet.example/faq"
    assert item.language == "nl"
    assert item.skills == ("Excel", "rapporteren")
    assert item.description == "Vragen over rapportages"
    assert item.title == "FAQ"


def test_markdown_headings_become_sections() -> None:
    sections = markdown_sections("Intro.\n\n# Titel\n\nTekst.\n\n## Deel\n\n```\n# geen kop\n```\n")
    assert [(s.title, s.depth) for s in sections] == [("", 0), ("Titel", 1), ("Deel", 2)]
    assert sections[2].text == "# geen kop"


def test_folder_without_a_wiki_names_what_it_found(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hallo", encoding="utf-8")
    (tmp_path / "plan.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(SourceError) as error:
        list(WikiSource().read_records(tmp_path))
    assert ".txt" in error.value.reason and ".pdf" in error.value.reason


def test_too_many_pages_refuses_the_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ingest.sources.wiki.pages.MAX_PAGES", 2)
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.md").write_text(f"# {name}\n\ntext\n", encoding="utf-8")
    with pytest.raises(SourceError, match="more than 2 pages"):
        list(WikiSource().read_records(tmp_path))


# ---------------------------------------------------------------------- Confluence

CONFLUENCE_PAGE = """<!DOCTYPE html>
<html>
<head>
<title>Engineering Handboek : {title}</title>
<style type="text/css">body {{ color: #333; }}</style>
<script type="text/javascript">var geheim = "SCRIPTTEKST";</script>
</head>
<body class="theme-default aui-theme-default">
<div id="page">
<div id="main" class="aui-page-panel">
<div id="main-header">
<div id="breadcrumb-section">
<ol id="breadcrumbs">
<li class="first"><span><a href="index.html">Engineering Handboek</a></span></li>
<li><span><a href="Kruimelpad-Home_1000.html">KRUIMELPAD Home</a></span></li>
</ol>
</div>
<h1 id="title-heading" class="pagetitle"><span id="title-text">Engineering Handboek : {title}</span></h1>
</div>
<div id="content" class="view">
<div class="page-metadata">Aangemaakt door Sanne de Vries, laatst gewijzigd op 3 mei 2024</div>
<div id="main-content" class="wiki-content group">
{body}
</div>
<div class="pageSection group">
<div class="pageSectionHeader"><h2 id="attachments" class="pageSectionTitle">Attachments:</h2></div>
<div class="greybox" align="left">
<img src="images/icons/bullet_blue.gif" height="8" width="8" alt=""/>
<a href="attachments/1001/BIJLAGE-plan.pdf">BIJLAGE-plan.pdf</a> (application/pdf)<br/>
</div>
</div>
</div>
</div>
<div id="footer" role="contentinfo">
<section class="footer-body"><p>Document generated by Confluence on mei 03, 2024 10:15</p></section>
</div>
</div>
</body>
</html>
"""


def write_confluence_space(root: Path) -> Path:
    space = root / "ENG"
    space.mkdir(parents=True)
    (space / "index.html").write_text(
        "<html><head><title>Engineering Handboek</title></head><body><h1>Engineering Handboek</h1>"
        '<ul><li><a href="Inwerken_1001.html">Inwerken</a></li>'
        '<li><a href="Code-Review_1002.html">Code review</a></li></ul></body></html>',
        encoding="utf-8",
    )
    dutch_body = (
        "<p>Welkom bij het engineering team. Op deze pagina lees je wat je in je eerste weken doet.</p>\n"
        '<h2 id="Inwerken-Eerstedag">Eerste dag</h2>\n'
        + "".join(f"<p>{p}</p>\n" for p in prose(DUTCH_SENTENCES, 1100, "DAGEEN").split("\n\n"))
        + '<h2 id="Inwerken-Tweedeweek">Tweede week</h2>\n'
        + "".join(f"<p>{p}</p>\n" for p in prose(DUTCH_SENTENCES, 1100, "WEEKTWEE").split("\n\n"))
        + "<table><tbody><tr><th>Wie</th><th>Wat</th></tr>"
        "<tr><td>Mentor</td><td>Koffie &amp; uitleg</td></tr></tbody></table>\n"
    )
    (space / "Inwerken_1001.html").write_text(
        CONFLUENCE_PAGE.format(title="Inwerken", body=dutch_body), encoding="utf-8"
    )
    english_body = (
        "<p>How we review code in this team.</p>\n"
        "<h2>Before the review</h2>\n<p>Read the ticket and run the change locally.</p>\n"
        "<h2>During the review</h2>\n<ul><li>Ask questions</li><li>Leave <strong>concrete</strong> "
        'suggestions, see <a href="https://example.org/guide">the guide</a></li></ul>\n'
    )
    (space / "Code-Review_1002.html").write_text(
        CONFLUENCE_PAGE.format(title="Code review", body=english_body), encoding="utf-8"
    )
    (space / "attachments" / "1001").mkdir(parents=True)
    (space / "attachments" / "1001" / "BIJLAGE-plan.pdf").write_bytes(b"%PDF-1.4 not really")
    return space


def check_confluence_items(items: list[CatalogItem]) -> None:
    found = by_id(items)
    assert sorted(found) == ["Code-Review_1002", "Inwerken_1001"]

    dutch = found["Inwerken_1001"]
    assert dutch.title == "Inwerken"
    assert dutch.language == "nl"
    assert dutch.extra["path"] == "Inwerken_1001.html"
    lines = dutch.description.splitlines()
    assert "Eerste dag" in lines and "Tweede week" in lines
    assert "Wie | Wat" in lines and "Mentor | Koffie & uitleg" in lines
    for leaked in ("KRUIMELPAD", "SCRIPTTEKST", "BIJLAGE", "Document generated", "Aangemaakt door", "color:"):
        assert leaked not in dutch.description
    assert len(dutch.units) == 2
    assert "DAGEEN" in dutch.units[0].text and "WEEKTWEE" not in dutch.units[0].text
    assert dutch.units[1].title == "Tweede week" and "WEEKTWEE" in dutch.units[1].text

    english = found["Code-Review_1002"]
    assert english.title == "Code review"
    assert english.language == "en"
    lines = english.description.splitlines()
    assert "Before the review" in lines and "During the review" in lines
    assert "- Leave concrete suggestions, see the guide" in lines
    assert "example.org" not in english.description
    assert "KRUIMELPAD" not in english.description


def test_confluence_export_folder(tmp_path: Path) -> None:
    write_confluence_space(tmp_path / "export")
    items, rejected = ingest(tmp_path / "export")
    assert not rejected
    check_confluence_items(items)
    assert sorted(item.line for item in items) == [1, 2]


def test_confluence_export_zip(tmp_path: Path) -> None:
    space = write_confluence_space(tmp_path / "export")
    archive = tmp_path / "ENG.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(space.rglob("*")):
            zf.write(file, file.relative_to(space.parent).as_posix())
    items, rejected = ingest(archive)
    assert not rejected
    check_confluence_items(items)


@pytest.mark.parametrize("name", ["../evil.html", "/etc/evil.html", "ENG/../../evil.html", "C:/evil.html"])
def test_zip_with_traversal_member_is_refused(tmp_path: Path, name: str) -> None:
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ENG/index.html", "<html><title>X</title></html>")
        zf.writestr("ENG/Pagina_1.html", "<html><title>X : Pagina</title><body><p>Tekst</p></body></html>")
        zf.writestr(zipfile.ZipInfo(name), "<html><body>kwaadaardig</body></html>")
    with pytest.raises(SourceError, match="evil.html"):
        list(WikiSource().read_records(archive))
    assert not (tmp_path.parent / "evil.html").exists()


def test_zip_bomb_caps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ENG/index.html", "<html><title>X</title></html>")
        zf.writestr("ENG/Groot_1.html", "<p>" + "a" * 200_000 + "</p>")
    monkeypatch.setattr("ingest.sources.wiki.folders.MAX_ZIP_BYTES", 100_000)
    with pytest.raises(SourceError, match="expands"):
        list(WikiSource().read_records(archive))
    monkeypatch.setattr("ingest.sources.wiki.folders.MAX_ZIP_BYTES", 10_000_000)
    monkeypatch.setattr("ingest.sources.wiki.folders.MAX_ZIP_MEMBERS", 1)
    with pytest.raises(SourceError, match="members"):
        list(WikiSource().read_records(archive))


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    archive.write_bytes(b"this is not a zip archive")
    with pytest.raises(SourceError, match="zip"):
        list(WikiSource().read_records(archive))


# ---------------------------------------------------------------------- MediaWiki

MEDIAWIKI_XML = """<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="nl">
  <siteinfo>
    <sitename>Kennisbank</sitename>
    <base>https://wiki.voorbeeld.nl/wiki/Hoofdpagina</base>
  </siteinfo>
  <page>
    <title>Feedback geven</title>
    <ns>0</ns>
    <id>1</id>
    <revision>
      <id>10</id>
      <timestamp>2023-01-10T08:00:00Z</timestamp>
      <text xml:space="preserve">Oude versie.</text>
    </revision>
    <revision>
      <id>11</id>
      <timestamp>2024-03-01T09:30:00Z</timestamp>
      <text xml:space="preserve">{{Infobox vaardigheid|naam=Feedback|niveau={{Niveau|2}}}}
'''Feedback geven''' is een vaardigheid die iedereen kan leren.&lt;ref&gt;Interne training, 2023&lt;/ref&gt; \
Zie ook [[Gesprekstechnieken|gesprekken voeren]] en [[Coaching]].
[[Bestand:Feedback-model.png|thumb|Een [[model]] voor feedback]]

== Waarom feedback ==
Goede feedback helpt collega's om ''beter'' samen te werken. Het gaat om gedrag dat je zelf hebt gezien.

=== Het SBI-model ===
{| class="wikitable"
! Stap !! Betekenis
|-
| Situatie || Beschrijf wanneer en waar het gebeurde
|-
| style="color:red" | Gedrag || Beschrijf wat iemand deed
|}

== Meer lezen ==
* [https://voorbeeld.nl/artikel Een artikel over feedback]
* [[Coaching#Vragen|vragen stellen]]
[[Categorie:Communicatie]]
</text>
    </revision>
  </page>
  <page>
    <title>Feedback</title>
    <ns>0</ns>
    <redirect title="Feedback geven" />
    <revision>
      <timestamp>2024-03-01T09:31:00Z</timestamp>
      <text xml:space="preserve">#REDIRECT [[Feedback geven]]</text>
    </revision>
  </page>
  <page>
    <title>Terugkoppeling</title>
    <ns>0</ns>
    <revision>
      <timestamp>2024-03-01T09:32:00Z</timestamp>
      <text xml:space="preserve">#DOORVERWIJZING [[Feedback geven]]</text>
    </revision>
  </page>
  <page>
    <title>Gebruiker:Anna</title>
    <ns>2</ns>
    <revision>
      <timestamp>2024-02-01T10:00:00Z</timestamp>
      <text xml:space="preserve">Hallo, ik ben Anna en ik werk bij de afdeling HR.</text>
    </revision>
  </page>
  <page>
    <title>Code review</title>
    <ns>0</ns>
    <revision>
      <timestamp>2024-04-15T14:00:00</timestamp>
      <text xml:space="preserve">A '''code review''' is a talk about a change, not an exam.{{citation needed}}

== How to start ==
Read the description first and then look at the tests. &lt;ref name="guide" /&gt;

== Giving comments ==
Keep comments about the code, never about the person. See [[Feedback geven]].
</text>
    </revision>
  </page>
</mediawiki>
"""


def test_mediawiki_export(tmp_path: Path) -> None:
    export = tmp_path / "kennisbank.xml"
    export.write_text(MEDIAWIKI_XML, encoding="utf-8")
    items, rejected = ingest(export)
    assert not rejected
    found = by_id(items)
    assert sorted(found) == ["Code review", "Feedback geven"]

    dutch = found["Feedback geven"]
    assert dutch.title == "Feedback geven"
    assert dutch.language == "nl"
    assert dutch.updated_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert dutch.url == "https://wiki.voorbeeld.nl/wiki/Feedback_geven"
    assert dutch.line == MEDIAWIKI_XML.splitlines().index("  <page>") + 1
    text = dutch.description
    assert "Oude versie" not in text
    for leaked in (
        "{{",
        "}}",
        "[[",
        "]]",
        "'''",
        "''",
        "<ref",
        "Interne training",
        "Infobox",
        "Feedback-model",
        "thumb",
        "wikitable",
        "{|",
        "|}",
        "|-",
        "||",
        "!!",
        "style=",
        "https://",
        "Categorie",
    ):
        assert leaked not in text, leaked
    lines = text.splitlines()
    assert (
        lines[0]
        == "Feedback geven is een vaardigheid die iedereen kan leren. Zie ook gesprekken voeren en Coaching."
    )
    assert "Waarom feedback" in lines and "Het SBI-model" in lines and "Meer lezen" in lines
    assert "Stap | Betekenis" in lines
    assert "Situatie | Beschrijf wanneer en waar het gebeurde" in lines
    assert "Gedrag | Beschrijf wat iemand deed" in lines
    assert "- Een artikel over feedback" in lines and "- vragen stellen" in lines
    assert "Goede feedback helpt collega's om beter samen te werken." in text

    english = found["Code review"]
    assert english.language == "en"
    assert english.updated_at == datetime(2024, 4, 15, 14, 0, tzinfo=UTC)
    assert "citation needed" not in english.description
    assert "See Feedback geven." in english.description


def test_wikitext_heading_depths() -> None:
    sections = wikitext_sections("Intro\n== Een ==\ntekst\n=== Twee ===\nmeer\n==== Drie ====\n")
    assert [(s.title, s.depth) for s in sections] == [("", 0), ("Een", 1), ("Twee", 2), ("Drie", 3)]


def test_mediawiki_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    b = "&a;" * 10
    c = "&b;" * 10
    bomb.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE mediawiki [\n<!ENTITY a "{"a" * 100}">\n<!ENTITY b "{b}">\n'
        f'<!ENTITY c "{c}">\n]>\n<mediawiki><page><title>Bom</title><ns>0</ns>'
        "<revision><text>&c;</text></revision></page></mediawiki>\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match="entit"):
        list(WikiSource().read_records(bomb))


def test_mediawiki_external_entity_is_refused(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.xml"
    sneaky.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE mediawiki [<!ENTITY geheim SYSTEM "file:///etc/passwd">]>\n'
        "<mediawiki><page><title>X</title><ns>0</ns><revision><text>&geheim;</text></revision></page>"
        "</mediawiki>\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match="entit"):
        list(WikiSource().read_records(sneaky))


def test_malformed_mediawiki_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "kapot.xml"
    broken.write_text(
        "<mediawiki>\n  <page>\n    <title>Kapot</title>\n    <ns>0</ns>\n"
        "    <revision><text>tekst</revision>\n  </page>\n</mediawiki>\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match="line 5"):
        list(WikiSource().read_records(broken))


def test_xml_that_is_not_mediawiki_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "feed.xml"
    other.write_text("<rss><channel><title>Nieuws</title></channel></rss>", encoding="utf-8")
    with pytest.raises(SourceError, match="mediawiki"):
        list(WikiSource().read_records(other))


def test_unknown_file_kind_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "pagina.html"
    page.write_text("<p>Los</p>", encoding="utf-8")
    with pytest.raises(SourceError, match=r"\.html"):
        list(WikiSource().read_records(page))
    with pytest.raises(SourceError, match="does not exist"):
        list(WikiSource().read_records(tmp_path / "missing"))
