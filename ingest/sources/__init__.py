"""One adapter per catalog kind; `get_source` is the only way the pipeline picks one."""

from __future__ import annotations

from ingest.records import Source

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
        from ingest.sources.wiki import WikiSource

        return WikiSource()
    if kind == "csv":
        from ingest.sources.csv_source import CsvSource

        return CsvSource()
    raise ValueError(f"unknown catalog kind {kind!r}; expected one of {', '.join(KINDS)}")
