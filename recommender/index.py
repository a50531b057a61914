"""FAISS index snapshots: built from stored vectors, published atomically, searched read-only.

Layout under a tenant's index folder:

    snapshots/<version>/index.faiss   the serialised FAISS index (ids are micro-unit ids)
    snapshots/<version>/lexical.bm25  the BM25 index over the same units (`LexicalIndex.to_bytes`)
    snapshots/<version>/manifest.json model, dimension, count, checksums, version, catalog version
    CURRENT                           {"version": N}, replaced with os.replace: the only switch

A new snapshot is written into a temporary folder, fsynced and renamed, and only then does
CURRENT move to it, so a reader sees either the old snapshot or the new one, never a half-written
file. One writer at a time holds an exclusive lock on `.lock`. A snapshot whose checksum, count or
dimension disagrees with its manifest is refused at load (`IndexCorruptError`).

The BM25 file is stored so that a reader loads it (well under a second) instead of rebuilding it
from the database (about 22 s for 100,000 units). It is read lazily, only by callers that search
words (`Snapshot.lexical`), and verified against its own checksum. Snapshots published before it
existed have no such file and no lexical fields in their manifest.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from recommender.lexical import LexicalIndex

HNSW_THRESHOLD = 50_000  # below this an exact flat index is both fast and exact
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
KEEP_SNAPSHOTS = 3
INDEX_FILE = "index.faiss"
LEXICAL_FILE = "lexical.bm25"
MANIFEST_FILE = "manifest.json"
CURRENT_FILE = "CURRENT"


class IndexCorruptError(Exception):
    """A snapshot on disk does not match its manifest."""


@dataclass(frozen=True)
class Manifest:
    version: int
    model: str
    dimension: int
    count: int
    checksum: str
    index_type: str
    catalog_version: int
    created_at: str
    lexical_checksum: str | None = None  # None: published before BM25 indexes were stored
    lexical_count: int | None = None


@dataclass(frozen=True)
class SearchHit:
    unit_id: int
    score: float


class Snapshot:
    """An immutable, loaded index: safe to search from many threads at once."""

    def __init__(self, index: faiss.Index, manifest: Manifest, folder: Path) -> None:
        self._index = index
        self.manifest = manifest
        self.folder = folder

    @property
    def count(self) -> int:
        return int(self._index.ntotal)

    def search(self, queries: np.ndarray, k: int) -> list[list[SearchHit]]:
        """The k nearest units (inner product of unit vectors = cosine) for each query row."""
        if queries.ndim == 1:
            queries = queries.reshape(1, -1)
        k = min(k, self.count)
        if k <= 0:
            return [[] for _ in range(len(queries))]
        scores, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return [
            [SearchHit(int(i), float(s)) for s, i in zip(row_s, row_i, strict=True) if i != -1]
            for row_s, row_i in zip(scores, ids, strict=True)
        ]

    def lexical(self) -> LexicalIndex | None:
        """The BM25 index stored with this snapshot, read and verified on each call (callers keep it).

        None when the snapshot was published before BM25 indexes were stored; `IndexCorruptError`
        when the file is missing, truncated, altered or disagrees with the manifest."""
        checksum, count = self.manifest.lexical_checksum, self.manifest.lexical_count
        if checksum is None:
            return None
        where = f"snapshot {self.manifest.version} in {self.folder.parent.parent}: lexical index"
        try:
            blob = (self.folder / LEXICAL_FILE).read_bytes()
        except OSError as exc:
            raise IndexCorruptError(f"{where} unreadable ({exc})") from exc
        if hashlib.sha256(blob).hexdigest() != checksum:
            raise IndexCorruptError(f"{where} checksum mismatch")
        try:
            index = LexicalIndex.from_bytes(blob)
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"{where} unreadable ({exc})") from exc
        if index.size != count:
            raise IndexCorruptError(f"{where} holds {index.size} documents, its manifest {count}")
        return index

    def lexical_problem(self) -> str | None:
        """Why the stored BM25 index cannot stand for this snapshot's units, from the manifest and the
        file's presence only: cheap enough for every readiness probe (`lexical` verifies the bytes)."""
        count = self.manifest.lexical_count
        if self.manifest.lexical_checksum is None or count is None:
            return "snapshot has no stored lexical index (published before they were stored)"
        if count != self.count:
            return f"snapshot's lexical index holds {count} units, its FAISS index {self.count}"
        if not (self.folder / LEXICAL_FILE).is_file():
            return f"snapshot's lexical index file {LEXICAL_FILE} is missing"
        return None


def build_index(ids: np.ndarray, vectors: np.ndarray, dimension: int) -> tuple[faiss.Index, str]:
    """Flat for small catalogs (exact), HNSW for large ones (sub-linear search), both keyed by unit id."""
    if len(ids) >= HNSW_THRESHOLD:
        hnsw = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        hnsw.hnsw.efSearch = HNSW_EF_SEARCH
        index: faiss.Index = faiss.IndexIDMap2(hnsw)
        index_type = "hnsw"
    else:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        index_type = "flat"
    if len(ids):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
    return index, index_type


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class SnapshotStore:
    """The snapshots of one tenant's index in one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.snapshots = root / "snapshots"

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer at a time, across processes."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def current_version(self) -> int | None:
        try:
            return int(json.loads((self.root / CURRENT_FILE).read_text())["version"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def versions(self) -> list[int]:
        if not self.snapshots.is_dir():
            return []
        return sorted(int(p.name) for p in self.snapshots.iterdir() if p.is_dir() and p.name.isdigit())

    def publish(
        self,
        ids: np.ndarray,
        vectors: np.ndarray,
        *,
        model: str,
        dimension: int,
        catalog_version: int,
        lexical: LexicalIndex | None = None,
    ) -> Manifest:
        """Build, write and switch to a new snapshot; returns its manifest. Takes the writer lock."""
        with self.writer_lock():
            return self.publish_locked(
                ids,
                vectors,
                model=model,
                dimension=dimension,
                catalog_version=catalog_version,
                lexical=lexical,
            )

    def publish_locked(
        self,
        ids: np.ndarray,
        vectors: np.ndarray,
        *,
        model: str,
        dimension: int,
        catalog_version: int,
        lexical: LexicalIndex | None = None,
    ) -> Manifest:
        """`publish` for a caller that already holds `writer_lock()` (an ingest holds it throughout).

        `lexical`, when given, must index exactly the units in `ids`: the two halves of hybrid
        retrieval then always search the same catalog."""
        if vectors.shape[0] != len(ids) or (len(ids) and vectors.shape[1] != dimension):
            raise ValueError(f"vectors {vectors.shape} do not match {len(ids)} ids of dimension {dimension}")
        if lexical is not None and not np.array_equal(
            np.sort(lexical.unit_ids), np.sort(np.asarray(ids, dtype=np.int64))
        ):
            raise ValueError(
                f"the lexical index's {lexical.size} units are not the {len(ids)} vectors' units"
            )
        index, index_type = build_index(ids, vectors, dimension)
        blob = faiss.serialize_index(index).tobytes()
        lexical_blob = lexical.to_bytes() if lexical is not None else None
        version = max(self.versions(), default=0) + 1
        manifest = Manifest(
            version=version,
            model=model,
            dimension=dimension,
            count=int(index.ntotal),
            checksum=hashlib.sha256(blob).hexdigest(),
            index_type=index_type,
            catalog_version=catalog_version,
            created_at=datetime.now(UTC).isoformat(),
            lexical_checksum=None if lexical_blob is None else hashlib.sha256(lexical_blob).hexdigest(),
            lexical_count=None if lexical is None else lexical.size,
        )
        self.snapshots.mkdir(parents=True, exist_ok=True)
        tmp = self.snapshots / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        _write_durably(tmp / INDEX_FILE, blob)
        if lexical_blob is not None:
            _write_durably(tmp / LEXICAL_FILE, lexical_blob)
        _write_durably(tmp / MANIFEST_FILE, json.dumps(asdict(manifest), indent=2).encode())
        _fsync_path(tmp)
        os.replace(tmp, self.snapshots / str(version))
        _fsync_path(self.snapshots)
        self._point_current(version)
        self._prune(keep_from=version)
        return manifest

    def switch_to(self, version: int) -> None:
        """Point CURRENT back at an existing snapshot (undo a publish whose database commit failed)."""
        if not (self.snapshots / str(version) / MANIFEST_FILE).is_file():
            raise IndexCorruptError(f"snapshot {version} in {self.root} does not exist")
        self._point_current(version)

    def _point_current(self, version: int) -> None:
        """The one switch readers follow: written beside, fsynced, then renamed over."""
        current_tmp = self.root / f".{CURRENT_FILE}.{uuid.uuid4().hex}"
        _write_durably(current_tmp, json.dumps({"version": version}).encode())
        os.replace(current_tmp, self.root / CURRENT_FILE)
        _fsync_path(self.root)

    def discard(self, version: int) -> None:
        """Remove a snapshot that never became valid."""
        shutil.rmtree(self.snapshots / str(version), ignore_errors=True)

    def _prune(self, keep_from: int) -> None:
        """Drop old snapshots (readers hold loaded copies in memory) and stale temporary folders."""
        for old in self.versions()[:-KEEP_SNAPSHOTS]:
            if old < keep_from:
                shutil.rmtree(self.snapshots / str(old), ignore_errors=True)
        for stale in self.snapshots.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)

    def load(self, version: int | None = None) -> Snapshot | None:
        """Load and verify a snapshot (the current one by default); None when none was published."""
        version = self.current_version() if version is None else version
        if version is None:
            return None
        folder = self.snapshots / str(version)
        try:
            manifest = Manifest(**json.loads((folder / MANIFEST_FILE).read_text()))
            blob = (folder / INDEX_FILE).read_bytes()
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorruptError(f"snapshot {version} in {self.root}: unreadable ({exc})") from exc
        if hashlib.sha256(blob).hexdigest() != manifest.checksum:
            raise IndexCorruptError(f"snapshot {version} in {self.root}: checksum mismatch")
        try:
            index = faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))
        except RuntimeError as exc:
            raise IndexCorruptError(f"snapshot {version} in {self.root}: {exc}") from exc
        if index.ntotal != manifest.count or index.d != manifest.dimension:
            raise IndexCorruptError(f"snapshot {version} in {self.root}: count or dimension mismatch")
        if manifest.index_type == "hnsw":
            id_map: Any = faiss.downcast_index(index)
            hnsw: Any = faiss.downcast_index(id_map.index)
            hnsw.hnsw.efSearch = HNSW_EF_SEARCH
        return Snapshot(index, manifest, folder)


class SnapshotCache:
    """Loaded snapshots per folder, reloaded when CURRENT moves (a cheap read per lookup).

    Shared by all request threads of one process; each process (uvicorn worker) has its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[Path, Snapshot] = {}

    def get(self, store: SnapshotStore) -> Snapshot | None:
        version = store.current_version()
        loaded = self._loaded.get(store.root)
        if loaded is not None and loaded.manifest.version == version:
            return loaded
        with self._lock:
            loaded = self._loaded.get(store.root)
            if loaded is not None and loaded.manifest.version == version:
                return loaded
            try:
                snapshot = store.load(version)
            except IndexCorruptError:
                # A writer may have moved CURRENT on and pruned this version meanwhile: follow it once.
                newer = store.current_version()
                if newer == version:
                    raise
                version, snapshot = newer, store.load(newer)
            if snapshot is None:
                self._loaded.pop(store.root, None)
            else:
                self._loaded[store.root] = snapshot
            return snapshot

    def forget(self, store: SnapshotStore) -> None:
        with self._lock:
            self._loaded.pop(store.root, None)
