"""The wiki source: picks the export format from the path, and parses each page in its own format."""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ingest.records import CatalogItem, RawRecord, RecordRejected, Source, SourceError
from ingest.sources.wiki import confluence, markdown, mediawiki
from ingest.sources.wiki.folders import (
    MARKDOWN_SUFFIXES,
    describe_contents,
    extract_text_members,
    markdown_files,
)
from ingest.sources.wiki.pages import build_item


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
            yield from mediawiki.read_export(path)
        elif suffix == ".zip":
            yield from self._read_zip(path)
        elif suffix in MARKDOWN_SUFFIXES:
            yield from markdown.read_file(path)
        else:
            raise SourceError(
                path,
                "a wiki import is a Markdown folder or .md file, a Confluence export folder or .zip, "
                f"or a MediaWiki .xml export; got a {suffix or 'suffix-less'} file",
            )

    def _read_folder(self, folder: Path, label: Path) -> Iterator[RawRecord]:
        """Pick Confluence or Markdown by what the folder holds; errors name `label` (the user's path)."""
        space = confluence.space_folder(folder)
        if space is not None:
            return confluence.read_space(space, label)
        pages = markdown_files(folder)
        if pages:
            return markdown.read_pages(folder, pages, label)
        raise SourceError(
            label,
            "no wiki found: expected Markdown pages (*.md), a Confluence export (index.html and page .html "
            f"files) or a MediaWiki .xml export; found {describe_contents(folder)}",
        )

    def _read_zip(self, path: Path) -> Iterator[RawRecord]:
        """Unpack the text members of a zip into a private folder, with caps, then read it as a folder."""
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceError(path, f"not a readable zip file: {exc}") from exc
        with archive, tempfile.TemporaryDirectory(prefix="leerpad-wiki-") as tmp:
            extract_text_members(archive, path, Path(tmp))
            yield from self._read_folder(Path(tmp), label=path)

    # ------------------------------------------------------------------ normalising

    def to_item(self, record: RawRecord) -> CatalogItem:
        """Parse the page in its own format, then build the item the same way for all three."""
        fields = record.fields
        if "error" in fields:
            raise RecordRejected(str(fields["error"]), fields.get("error_field"))
        kind = fields.get("kind")
        if kind == markdown.KIND:
            page = markdown.parse_page(fields)
        elif kind == confluence.KIND:
            page = confluence.parse_page(fields)
        elif kind == mediawiki.KIND:
            page = mediawiki.parse_page(fields)
        else:
            raise RecordRejected(f"unknown wiki record kind {kind!r}", "kind")
        return build_item(page, record.line)
