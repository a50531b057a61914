"""One adapter per catalog kind; `get_source` is the only way the pipeline picks one."""

from __future__ import annotations

import logging
from typing import Any

from ingest.normalise.modules import Structure
from ingest.records import RawRecord, Source

log = logging.getLogger("leerpad.ingest")

KINDS = ("coursera", "goodhabitz", "wiki", "csv")


def get_source(kind: str) -> Source:
    """A fresh adapter for `kind` (one of KINDS)."""
    if kind == "coursera":
        from ingest.sources.coursera import CourseraSource

        return CourseraSource()
    if kind == "goodhabitz":
        from ingest.sources.goodhabitz import GoodHabitzSource

        return GoodHabitzSource()
    if kind == "wiki":
        from ingest.sources.wiki.source import WikiSource

        return WikiSource()
    if kind == "csv":
        from ingest.sources.csv_source import CsvSource

        return CsvSource()
    raise ValueError(f"unknown catalog kind {kind!r}; expected one of {', '.join(KINDS)}")


def apply_structure(
    structure: Structure, record: RawRecord, field: str, extra: dict[str, Any], stated_minutes: int
) -> None:
    """Record what an item's module structure changed (ingest.normalise.modules.Structure.annotate); a module
    list that could not be used is a warning naming the row and the field, never a rejected row."""
    structure.annotate(extra, field, stated_minutes)
    if structure.error:
        log.warning(
            "%s line %d: field %r not used, the item stays one unit: %s",
            record.origin or "import",
            record.line,
            field,
            structure.error,
        )
