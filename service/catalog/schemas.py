"""Response models for catalog items, units, search hits and jobs (separate from the tables)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, Field


class UnitPublic(BaseModel):
    unit_id: int
    position: int
    title: str
    minutes: int
    url: str | None
    source: str
    external_id: str
    activity_id: str


class ItemPublic(BaseModel):
    item_id: int
    source: str
    external_id: str
    activity_id: str
    title: str
    description: str
    url: str | None
    language: str
    minutes: int
    level: str | None
    format: str
    provider: str | None
    rating: float | None
    skills: list[str]
    status: str
    updated_at: datetime
    units: list[UnitPublic]


class ItemPage(BaseModel):
    items: list[ItemPublic]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page")


class SearchHit(BaseModel):
    item_id: int
    unit_id: int
    title: str
    unit_title: str
    snippet: str
    url: str | None
    minutes: int
    language: str
    format: str
    score: float
    source: str
    external_id: str
    activity_id: str
    language_fallback: bool = Field(
        default=False, description="not in the preferred languages: nothing in them answered as well"
    )
    minutes_known: bool = Field(
        default=True,
        description="false: the source gave no duration; `minutes` is the description's reading time",
    )


class SearchResponse(BaseModel):
    query: str
    results: list[SearchHit]
    index_version: int


class JobPublic(BaseModel):
    job_id: int
    kind: str
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    report: dict[str, Any] | None = Field(
        description="When finished: the ingest report of an ingest job, the verdict of a retrain job"
    )


ACTIVITY_PREFIX = "urn:leerpad:activity"


def activity_id(source: str, external_id: str, position: int | None = None) -> str:
    """The xAPI activity IRI of an item (or of one unit of it): stable across re-ingests."""
    from urllib.parse import quote

    base = f"{ACTIVITY_PREFIX}:{quote(source, safe='')}:{quote(external_id, safe='/')}"
    return base if position is None else f"{base}#unit-{position}"


def parse_activity_id(iri: str) -> tuple[str, str, int | None] | None:
    """(source, external id, unit position or None) of an IRI made by `activity_id`; None for any other."""
    prefix = f"{ACTIVITY_PREFIX}:"
    if not iri.startswith(prefix):
        return None
    rest, _, fragment = iri[len(prefix) :].partition("#")
    source, colon, external_id = rest.partition(":")
    unit = re.fullmatch(r"unit-(\d{1,9})", fragment) if fragment else None
    if not colon or not source or not external_id or (fragment and unit is None):
        return None
    return unquote(source), unquote(external_id), int(unit[1]) if unit else None


def unit_url(item_url: str | None, anchor: str | None) -> str | None:
    if item_url and anchor and "#" not in item_url:
        return f"{item_url}#{anchor}"
    return item_url
