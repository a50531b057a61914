"""The shapes that cross the ingest pipeline: raw records in, normalised catalog items out.

Every source adapter reads a file into `RawRecord`s (one per row, element or page, with the
line it came from) and turns each into a `CatalogItem` or rejects it with a reason. The
pipeline only ever sees these types, so adding a source never touches the pipeline.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from recommender.errors import LeerpadError

LEVELS = ("beginner", "intermediate", "advanced")
FORMATS = ("course", "video", "article", "page", "microlearning", "classroom", "event", "podcast", "other")


class SourceError(LeerpadError):
    """The file cannot be used at all (unreadable, wrong format, too large, no usable headers)."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class RecordRejected(Exception):
    """One record cannot become a catalog item; the rest of the file still can."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class RawRecord:
    """One record as the source file holds it, before any normalisation."""

    line: int  # 1-based line (CSV row incl. header, JSON element position, page number)
    fields: dict[str, Any]
    origin: str = ""  # file or page path inside the import, for error messages


@dataclass(frozen=True)
class MicroUnit:
    """A 5 to 15 minute piece of an item: the thing that is embedded, searched and scheduled."""

    position: int  # 0-based order inside its item
    title: str
    text: str
    minutes: int
    anchor: str | None = None  # heading slug, appended to the item url as #anchor

    def embedding_text(self, item_title: str) -> str:
        return unit_embedding_text(item_title, self.title, self.text)


def unit_embedding_text(item_title: str, unit_title: str, text: str) -> str:
    """What the encoder sees for a unit: the item title gives context to the unit's own heading."""
    heading = unit_title if unit_title in ("", item_title) else f"{item_title}: {unit_title}"
    return f"{heading}\n{text}".strip()


@dataclass(frozen=True)
class CatalogItem:
    """A normalised catalog item, source-independent."""

    external_id: str
    title: str
    description: str
    language: str
    minutes: int
    format: str
    url: str | None = None
    # The LMS's own page of this course or module (the csv format's lms_url): xAPI statements from
    # that LMS name it as object.id, so events resolve to the item by it.
    lms_url: str | None = None
    level: str | None = None
    provider: str | None = None
    skills: tuple[str, ...] = ()
    rating: float | None = None
    updated_at: datetime | None = None
    units: tuple[MicroUnit, ...] = ()
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def content_hash(self) -> str:
        """A stable hash of everything that describes the item; equal hash means nothing changed."""
        payload = {
            "external_id": self.external_id,
            "title": self.title,
            "description": self.description,
            "language": self.language,
            "minutes": self.minutes,
            "format": self.format,
            "url": self.url,
            "level": self.level,
            "provider": self.provider,
            "skills": list(self.skills),
            "rating": self.rating,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "units": [[u.position, u.title, u.text, u.minutes, u.anchor] for u in self.units],
            "extra": self.extra,
        }
        if self.lms_url is not None:  # only when given: items imported before lms_url keep their hash
            payload["lms_url"] = self.lms_url
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Source(ABC):
    """One adapter per catalog kind: read raw records, then turn each into an item.

    `read_records` raises `SourceError` when the file cannot be used at all;
    `to_item` raises `RecordRejected` for a single bad record.
    """

    kind: ClassVar[str]

    @abstractmethod
    def read_records(self, path: Path) -> Iterator[RawRecord]:
        """Yield the raw records of the file or folder at `path`."""

    @abstractmethod
    def to_item(self, record: RawRecord) -> CatalogItem:
        """Normalise one raw record into a catalog item."""
