"""Run one source adapter over a file the way the pipeline does, without a database."""

from __future__ import annotations

from pathlib import Path

from ingest.records import CatalogItem, RecordRejected, Source


def parse_all(source: Source, path: Path) -> tuple[list[CatalogItem], list[tuple[int, str, str | None]]]:
    """Every item the source makes of `path`, and every rejection as (line, reason, field)."""
    items: list[CatalogItem] = []
    rejected: list[tuple[int, str, str | None]] = []
    for record in source.read_records(path):
        try:
            items.append(source.to_item(record))
        except RecordRejected as exc:
            rejected.append((record.line, exc.reason, exc.field))
    return items, rejected
