"""What a path request needs to know about every unit of a catalog, as columns beside its snapshot.

A path request used to read a few hundred unit rows (and their items) from the database and build
an object per row; at 100,000 units that was most of its time. A published snapshot now carries
these facts as numpy columns, one row per active unit (sorted by unit id), written once by the
publisher and memory-mapped read-only by every worker, so the pages are shared and a request reads
no catalog row: it works on row numbers and looks up only what it shows.

One file (`COLUMNS_FILE`): a magic line, the length of a JSON header, the header (each array's
dtype, shape and offset; the vocabularies of the coded columns) and the arrays, each aligned to 64
bytes. Strings are one UTF-8 blob per column with offsets; a `None` is marked in a mask.

Pure: numpy and stdlib. The service reads the rows from the database (`ingest.indexing`) and turns a
row back into its own card type.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from recommender.ranking import title_words

COLUMNS_FILE = "catalog.columns"
_MAGIC = b"LEERPAD-COLUMNS-1\n"
_ALIGN = 64
NO_CODE = -1  # a level the source did not give


@dataclass(frozen=True)
class UnitRow:
    """One unit and its item, as the publisher reads them from the database."""

    unit_id: int
    item_id: int
    unit_title: str
    minutes: int
    position: int
    anchor: str | None
    item_title: str
    url: str | None
    language: str
    format: str
    level: str | None
    rating: float | None
    updated_at: datetime | None
    source: str
    external_id: str
    minutes_known: bool


@dataclass(frozen=True)
class StringColumn:
    """Strings as one UTF-8 blob and offsets (row i is data[offsets[i]:offsets[i + 1]]); `none` marks
    rows whose value is None."""

    offsets: np.ndarray
    data: np.ndarray
    none: np.ndarray

    @classmethod
    def of(cls, values: Sequence[str | None]) -> StringColumn:
        encoded = [(value or "").encode("utf-8") for value in values]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        return cls(offsets, data, np.array([value is None for value in values], dtype=np.bool_))

    @functools.cached_property
    def _views(self) -> tuple[memoryview, memoryview, memoryview]:
        """Plain memory views of the arrays (still the mapped pages): a row read through them costs a
        fraction of numpy's per-element indexing, and a request reads a few thousand."""
        return (
            _view(self.offsets).cast("B").cast("q"),
            _view(self.data).cast("B"),
            _view(self.none).cast("B"),
        )

    def get(self, row: int) -> str | None:
        offsets, data, none = self._views
        if none[row]:
            return None
        return str(data[offsets[row] : offsets[row + 1]], "utf-8")

    def text(self, row: int) -> str:
        return self.get(row) or ""


_NUMBERS = ("unit_id", "item_id", "position", "minutes", "minutes_known", "in_item", "word_offsets", "words")
_CODED = ("language", "format", "level")
_FLOATS = ("rating", "updated")  # NaN: unknown; `updated` in seconds since 1970 (UTC)
_STRINGS = ("unit_title", "item_title", "title", "url", "anchor", "source", "external_id")


@dataclass(frozen=True)
class CatalogColumns:
    """The units of one snapshot, one row each, sorted by unit id."""

    unit_id: np.ndarray  # int64
    item_id: np.ndarray  # int64
    position: np.ndarray  # int32
    minutes: np.ndarray  # int32
    minutes_known: np.ndarray  # bool
    in_item: np.ndarray  # bool: one of several parts of its item (its title is not the item's)
    # the step title's words (`ranking.title_words`) as numbers, row i at words[word_offsets[i]:...+1]]:
    # what the shortlist compares titles by, without reading a title
    word_offsets: np.ndarray  # int64, size + 1
    words: np.ndarray  # int32
    language: np.ndarray  # int16 codes into `languages`
    format: np.ndarray  # int16 codes into `formats`
    level: np.ndarray  # int16 codes into `levels`, NO_CODE when unknown
    rating: np.ndarray  # float64, NaN when unknown
    updated: np.ndarray  # float64 epoch seconds of the source's date, NaN when unknown
    languages: tuple[str, ...]
    formats: tuple[str, ...]
    levels: tuple[str, ...]
    unit_title: StringColumn
    item_title: StringColumn
    title: StringColumn  # the step title: `step_title(item_title, unit_title)`, worked out once
    url: StringColumn
    anchor: StringColumn
    source: StringColumn
    external_id: StringColumn

    @property
    def size(self) -> int:
        return int(self.unit_id.shape[0])

    @classmethod
    def build(cls, units: Sequence[UnitRow]) -> CatalogColumns:
        """The columns of these units (any order; they are sorted by unit id)."""
        rows = sorted(units, key=lambda u: u.unit_id)
        languages = tuple(sorted({u.language for u in rows}))
        formats = tuple(sorted({u.format for u in rows}))
        levels = tuple(sorted({u.level for u in rows if u.level is not None}))

        def codes(values: Sequence[str | None], vocabulary: tuple[str, ...]) -> np.ndarray:
            place = {value: code for code, value in enumerate(vocabulary)}
            return np.array([NO_CODE if v is None else place[v] for v in values], dtype=np.int16)

        titles = [step_title(u.item_title, u.unit_title) for u in rows]
        vocabulary: dict[str, int] = {}
        title_words_of = [
            [vocabulary.setdefault(w, len(vocabulary)) for w in sorted(title_words(t))] for t in titles
        ]
        word_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(w) for w in title_words_of], out=word_offsets[1:])
        return cls(
            unit_id=np.array([u.unit_id for u in rows], dtype=np.int64),
            item_id=np.array([u.item_id for u in rows], dtype=np.int64),
            position=np.array([u.position for u in rows], dtype=np.int32),
            minutes=np.array([u.minutes for u in rows], dtype=np.int32),
            minutes_known=np.array([u.minutes_known for u in rows], dtype=np.bool_),
            in_item=np.array([u.unit_title.strip() != u.item_title.strip() for u in rows], dtype=np.bool_),
            word_offsets=word_offsets,
            words=np.array([w for found in title_words_of for w in found], dtype=np.int32),
            language=codes([u.language for u in rows], languages),
            format=codes([u.format for u in rows], formats),
            level=codes([u.level for u in rows], levels),
            rating=np.array([math.nan if u.rating is None else u.rating for u in rows], dtype=np.float64),
            updated=np.array([_epoch(u.updated_at) for u in rows], dtype=np.float64),
            languages=languages,
            formats=formats,
            levels=levels,
            unit_title=StringColumn.of([u.unit_title for u in rows]),
            item_title=StringColumn.of([u.item_title for u in rows]),
            title=StringColumn.of(titles),
            url=StringColumn.of([u.url for u in rows]),
            anchor=StringColumn.of([u.anchor for u in rows]),
            source=StringColumn.of([u.source for u in rows]),
            external_id=StringColumn.of([u.external_id for u in rows]),
        )

    def rows_of(self, unit_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """The row of each unit id, -1 for a unit the snapshot does not hold."""
        wanted = np.asarray(unit_ids, dtype=np.int64)
        if self.size == 0 or wanted.size == 0:
            return np.full(wanted.shape, -1, dtype=np.int64)
        found = np.minimum(np.searchsorted(self.unit_id, wanted), self.size - 1)
        return np.where(self.unit_id[found] == wanted, found, -1)

    def title_incidence(self, rows: Sequence[int]) -> np.ndarray:
        """A (row, word) 0/1 matrix of the step titles' words of these rows, over the words they use."""
        slices = [self.words[self.word_offsets[r] : self.word_offsets[r + 1]] for r in rows]
        found = np.concatenate(slices) if slices else np.zeros(0, dtype=np.int32)
        used, column = np.unique(found, return_inverse=True)
        incidence = np.zeros((len(rows), used.shape[0]), dtype=np.float64)
        incidence[np.repeat(np.arange(len(rows)), [s.shape[0] for s in slices]), column] = 1.0
        return incidence

    def described(self, row: int) -> tuple[str, str, str | None, float | None, datetime | None]:
        """One row's language, format, level, rating and source date (None where unknown), decoded."""
        level = int(self.level[row])
        rating = float(self.rating[row])
        updated = float(self.updated[row])
        return (
            self.languages[int(self.language[row])],
            self.formats[int(self.format[row])],
            None if level == NO_CODE else self.levels[level],
            None if math.isnan(rating) else rating,
            None if math.isnan(updated) else datetime.fromtimestamp(updated, UTC),
        )

    def unit(self, row: int) -> UnitRow:
        """Everything about one row, as the publisher read it."""
        language, format_, level, rating, updated_at = self.described(row)
        return UnitRow(
            unit_id=int(self.unit_id[row]),
            item_id=int(self.item_id[row]),
            unit_title=self.unit_title.text(row),
            minutes=int(self.minutes[row]),
            position=int(self.position[row]),
            anchor=self.anchor.get(row),
            item_title=self.item_title.text(row),
            url=self.url.get(row),
            language=language,
            format=format_,
            level=level,
            rating=rating,
            updated_at=updated_at,
            source=self.source.text(row),
            external_id=self.external_id.text(row),
            minutes_known=bool(self.minutes_known[row]),
        )

    def to_bytes(self) -> bytes:
        """The file's content (see the module docstring)."""
        arrays: dict[str, np.ndarray] = {name: getattr(self, name) for name in (*_NUMBERS, *_CODED, *_FLOATS)}
        for name in _STRINGS:
            column: StringColumn = getattr(self, name)
            arrays[f"{name}.offsets"] = column.offsets
            arrays[f"{name}.data"] = column.data
            arrays[f"{name}.none"] = column.none
        layout: dict[str, dict[str, Any]] = {}
        blocks: list[bytes] = []
        offset = 0
        for name, array in arrays.items():
            data = np.ascontiguousarray(array).tobytes()
            layout[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
            padding = (-len(data)) % _ALIGN
            blocks.append(data + b"\0" * padding)
            offset += len(data) + padding
        header = json.dumps(
            {
                "arrays": layout,
                "vocabularies": {
                    "languages": self.languages,
                    "formats": self.formats,
                    "levels": self.levels,
                },
            }
        ).encode()
        start = len(_MAGIC) + 8 + len(header)
        start_padding = (-start) % _ALIGN
        return b"".join([_MAGIC, len(header).to_bytes(8, "little"), header, b"\0" * start_padding, *blocks])

    @classmethod
    def from_buffer(cls, buffer: np.ndarray) -> CatalogColumns:
        """Columns viewing `buffer` (bytes of the file, e.g. a read-only memory map): nothing is copied.
        ValueError when it is not such a file."""
        raw = np.asarray(buffer, dtype=np.uint8)
        if bytes(raw[: len(_MAGIC)]) != _MAGIC:
            raise ValueError("not a catalog columns file")
        length = int.from_bytes(bytes(raw[len(_MAGIC) : len(_MAGIC) + 8]), "little")
        start = len(_MAGIC) + 8
        header = json.loads(bytes(raw[start : start + length]).decode())
        base = start + length + (-(start + length)) % _ALIGN
        views: dict[str, np.ndarray] = {}
        for name, spec in header["arrays"].items():
            dtype = np.dtype(spec["dtype"])
            shape = tuple(spec["shape"])
            begin = base + int(spec["offset"])
            end = begin + dtype.itemsize * int(np.prod(shape, dtype=np.int64))
            if end > raw.shape[0]:
                raise ValueError(f"catalog columns file cut short in {name}")
            views[name] = raw[begin:end].view(dtype).reshape(shape)
        vocabularies: Mapping[str, list[str]] = header["vocabularies"]
        strings = {
            name: StringColumn(views[f"{name}.offsets"], views[f"{name}.data"], views[f"{name}.none"])
            for name in _STRINGS
        }
        columns = cls(
            unit_id=views["unit_id"],
            item_id=views["item_id"],
            position=views["position"],
            minutes=views["minutes"],
            minutes_known=views["minutes_known"],
            in_item=views["in_item"],
            word_offsets=views["word_offsets"],
            words=views["words"],
            language=views["language"],
            format=views["format"],
            level=views["level"],
            rating=views["rating"],
            updated=views["updated"],
            languages=tuple(vocabularies["languages"]),
            formats=tuple(vocabularies["formats"]),
            levels=tuple(vocabularies["levels"]),
            unit_title=strings["unit_title"],
            item_title=strings["item_title"],
            title=strings["title"],
            url=strings["url"],
            anchor=strings["anchor"],
            source=strings["source"],
            external_id=strings["external_id"],
        )
        per_row = [n for n in (*_NUMBERS, *_CODED, *_FLOATS) if n not in ("word_offsets", "words")]
        sizes = {getattr(columns, n).shape[0] for n in per_row} | {columns.word_offsets.shape[0] - 1}
        sizes |= {getattr(columns, n).none.shape[0] for n in _STRINGS}
        if len(sizes) > 1:
            raise ValueError(f"catalog columns of different lengths: {sorted(sizes)}")
        return columns

    @classmethod
    def load(cls, path: Path) -> CatalogColumns:
        """Map the file read-only (workers on one machine share its pages) and view it as columns."""
        if path.stat().st_size == 0:
            raise ValueError("catalog columns file is empty")
        return cls.from_buffer(np.memmap(path, dtype=np.uint8, mode="r"))


def step_title(item_title: str, unit_title: str) -> str:
    """The item's title, and the unit's after it when it adds something ("Guide: Joins")."""
    item, unit = item_title.strip(), unit_title.strip()
    if not unit or unit.casefold() in item.casefold():
        return item
    if item.casefold() in unit.casefold():
        return unit
    return f"{item}: {unit}"


def _view(array: np.ndarray) -> memoryview:
    buffer: Any = np.ascontiguousarray(array)  # numpy arrays are buffers; the stubs do not say so
    return memoryview(buffer)


def _epoch(moment: datetime | None) -> float:
    if moment is None:
        return math.nan
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
