"""Hostile wiki exports: symbolic links in a wiki folder (`leerpad ingest wiki FOLDER`) that lead out of
it are never read (each such page is rejected with its path and the reason, and no text of the file it
points to reaches the catalog; links inside the folder are read), and an external entity in a
Confluence page is text, never a file read.

Covered elsewhere: zip slip and links in zips (tests/ingest/test_wiki.py::
test_zip_with_traversal_member_is_refused; _extract_text_members refuses link members), zip bombs
(test_zip_bomb_caps), external and expanding entities in MediaWiki XML
(test_mediawiki_external_entity_is_refused, test_mediawiki_entity_expansion_is_refused)."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import IngestReport, read_items
from ingest.records import CatalogItem
from ingest.sources.wiki.source import WikiSource

SECRET = "GEHEIM-BUITEN-DE-WIKI"
PAGE = "<html><head><title>ENG : {title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"


def read(path: Path) -> tuple[list[CatalogItem], IngestReport]:
    report = IngestReport(kind="wiki", source="wiki", path=str(path))
    return read_items(WikiSource(), path, report), report


def outside(tmp_path: Path) -> Path:
    """A folder beside the wiki with a page and a secret a link could lead to."""
    folder = tmp_path / "elders"
    folder.mkdir()
    (folder / "geheim.html").write_text(PAGE.format(title="Geheim", text=SECRET), encoding="utf-8")
    (folder / "geheim.md").write_text(f"# Geheim\n\n{SECRET}\n", encoding="utf-8")
    (folder / "index.html").write_text("<html><title>Elders</title></html>", encoding="utf-8")
    return folder


def leaked(items: list[CatalogItem]) -> bool:
    return any(SECRET in item.description or any(SECRET in u.text for u in item.units) for item in items)


def test_a_markdown_page_linked_from_outside_is_rejected_naming_it(tmp_path: Path) -> None:
    elders = outside(tmp_path)
    wiki = tmp_path / "wiki"
    wiki.mkdir()
    (wiki / "welkom.md").write_text("# Welkom\n\nLees dit eerst.\n", encoding="utf-8")
    (wiki / "binnen.md").symlink_to(wiki / "welkom.md")  # inside the folder: read
    (wiki / "lek.md").symlink_to(elders / "geheim.md")
    items, report = read(wiki)
    assert sorted(item.external_id for item in items) == ["binnen", "welkom"] and not leaked(items)
    [rejection] = report.rejected
    assert rejection.origin == "lek.md" and "outside" in rejection.reason


def test_confluence_pages_and_spaces_linked_from_outside_are_not_read(tmp_path: Path) -> None:
    elders = outside(tmp_path)
    space = tmp_path / "export" / "ENG"
    space.mkdir(parents=True)
    (space / "index.html").write_text("<html><title>Engineering</title></html>", encoding="utf-8")
    (space / "Inwerken_1.html").write_text(PAGE.format(title="Inwerken", text="Welkom."), encoding="utf-8")
    (space / "Lek_2.html").symlink_to(elders / "geheim.html")
    items, report = read(tmp_path / "export")
    assert [item.external_id for item in items] == ["Inwerken_1"] and not leaked(items)
    [rejection] = report.rejected
    assert rejection.origin == "Lek_2.html" and "outside" in rejection.reason
    # A whole space that is a link out of the export is not a space of it.
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "ENG").symlink_to(elders)
    (linked / "notities.md").write_text("# Notities\n\nEen pagina.\n", encoding="utf-8")
    items, report = read(linked)
    assert [item.external_id for item in items] == ["notities"] and not leaked(items)


def test_an_external_entity_in_a_confluence_page_reads_no_file(tmp_path: Path) -> None:
    """Confluence exports are HTML, read by html.parser, which resolves no entity: `&xxe;` stays text."""
    secret = outside(tmp_path) / "geheim.txt"
    secret.write_text(SECRET, encoding="utf-8")
    space = tmp_path / "export"
    space.mkdir()
    (space / "index.html").write_text("<html><title>Engineering</title></html>", encoding="utf-8")
    (space / "Xxe_1.html").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        + PAGE.format(title="Xxe", text="Begin &xxe; einde."),
        encoding="utf-8",
    )
    items, report = read(space)
    assert [item.title for item in items] == ["Xxe"] and not report.rejected and not leaked(items)
