"""Response models for catalog items, units, search hits and jobs (separate from the tables)."""

from __future__ import annotations

from datetime import datetime

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
    lms_url: str | None = Field(
        default=None, description="the LMS's own page of the item (csv lms_url); xAPI statements may name it"
    )
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
