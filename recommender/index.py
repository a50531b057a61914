"""FAISS index snapshots: built from stored vectors, published atomically, searched read-only.

Layout under a tenant's index folder:

    snapshots/<version>/index.faiss   the serialised FAISS index (ids are micro-unit ids)
    snapshots/<version>/lexical.bm25  the BM25 index over the same units (`LexicalIndex.to_bytes`)
    snapshots/<version>/catalog.columns what a path request reads of each unit (recommender.catalog_columns)
    snapshots/<version>/manifest.json model, dimension, count, checksums, version, catalog version
    CURRENT                           {"version": N}, replaced with os.replace: the only switch

    snapshots/<version>.corrupt-<UTC time>/  a snapshot that failed its checksums, set aside (not
                                      deleted) for an operator to look at, with `set-aside.json`

A new snapshot is written into a temporary folder, fsynced and renamed, and only then does
CURRENT move to it, so a reader sees either the old snapshot or the new one, never a half-written
file. An ingest writes its snapshot before its database commit and moves CURRENT only after it
(`publish_locked(activate=False)`, then `activate`), so CURRENT is never ahead of the database. A
process killed midway leaves at most a temporary folder or file (removed by the next writer) or
a complete snapshot folder newer than CURRENT, which the next writer either switches to (its
commit happened) or discards (it did not): see `ingest.indexing.settle_index`. One writer at a
time holds an exclusive `flock` on `.lock`; the kernel releases it when its holder dies, so a
killed writer never blocks the next one. A snapshot whose checksum, count or dimension disagrees
with its manifest is refused at load (`IndexCorruptError`).

A loaded snapshot maps its FAISS file read-only (faiss `IO_FLAG_MMAP_IFC`) once the file's
checksum is verified, instead of deserialising a private copy: the vectors (and the HNSW graph, or
the IVF lists) stay in the kernel's page cache, which every worker process on the
machine that loads the same snapshot shares, and loading costs no copy. This is safe because a snapshot file is never written in place:
a new snapshot is a new folder, old ones are unlinked (a mapping outlives that) or renamed aside.
Overwriting a live snapshot file in place (say, `cp` of a backup over the index folder) is not: a
mapped file cut short makes the worker that reads it die of SIGBUS. Restore a backup beside it and
point CURRENT at it instead. A file that changes between its checksum and its mapping is refused.

The BM25 file is stored so that a reader loads it (well under a second) instead of rebuilding it
from the database (about 22 s for 100,000 units). It is read lazily, only by callers that search
words (`Snapshot.lexical`), and verified against its own checksum. Snapshots published before it
existed have no such file and no lexical fields in their manifest.
"""

from __future__ import annotations

import contextlib
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

from recommender.catalog_columns import COLUMNS_FILE, CatalogColumns
from recommender.errors import CORRUPT, LeerpadError
from recommender.lexical import LexicalIndex

HNSW_THRESHOLD = 50_000  # below this an exact flat index is both fast and exact
IVF_THRESHOLD = 500_000  # from here HNSW builds too slowly on two cores and holds 4 bytes a dimension
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
IVF_LISTS_PER_SQRT = 2  # nlist = 2 * sqrt(n): about 2,000 lists of 500 vectors at 1,000,000 units
IVF_TRAINING_PER_LIST = 39  # training sample per list: faiss's k-means warns below this
IVF_NPROBE = 16  # lists searched per query, nearest first ...
# ... but no more vectors scanned than 16 average lists hold: lists are uneven (at 1M synthetic units
# from 114 to 5,300 vectors, the long ones around skills), and a query near a skill would otherwise
# scan ten times as many (5 ms instead of 1 ms), for no recall@10 (bench/README.md, bench/scale.py)
KEEP_SNAPSHOTS = 3
INDEX_FILE = "index.faiss"
LEXICAL_FILE = "lexical.bm25"
MANIFEST_FILE = "manifest.json"
CURRENT_FILE = "CURRENT"
SET_ASIDE_MARK = ".corrupt-"
SET_ASIDE_NOTE = "set-aside.json"
# Map snapshot files read-only rather than copy them into each process (faiss >= 1.10; None before).
MMAP_FLAG: int | None = getattr(faiss, "IO_FLAG_MMAP_IFC", None)


def set_search_threads(count: int) -> None:
    """How many OpenMP threads a FAISS search may use in this process (process-wide)."""
    faiss.omp_set_num_threads(max(1, count))


class IndexCorruptError(LeerpadError):
    """A snapshot on disk does not match its manifest."""

    code = CORRUPT


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
    columns_checksum: str | None = None  # None: published before catalog columns were stored
    columns_count: int | None = None


@dataclass(frozen=True)
class SearchHit:
    unit_id: int
    score: float


class Snapshot:
    """An immutable, loaded index: safe to search from many threads at once. Its FAISS file is
    mapped read-only (see the module's docstring), so several processes share its memory."""

    def __init__(self, index: faiss.Index, manifest: Manifest, folder: Path) -> None:
        self._index = index
        self.manifest = manifest
        self.folder = folder
        self._lexical_verified: str | None = None  # the checksum problem found once, "" when none
        self._columns: CatalogColumns | None = None
        self._columns_lock = threading.Lock()

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
            self._lexical_verified = "checksum mismatch"
            raise IndexCorruptError(f"{where} checksum mismatch")
        self._lexical_verified = ""
        try:
            index = LexicalIndex.from_bytes(blob)
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"{where} unreadable ({exc})") from exc
        if index.size != count:
            raise IndexCorruptError(f"{where} holds {index.size} documents, its manifest {count}")
        return index

    def columns(self) -> CatalogColumns | None:
        """The catalog columns stored with this snapshot, mapped read-only and verified once per loaded
        snapshot. None when it was published before they were stored; `IndexCorruptError` when the
        file is missing, altered or disagrees with the manifest."""
        checksum = self.manifest.columns_checksum
        if checksum is None:
            return None
        if self._columns is not None:
            return self._columns
        with self._columns_lock:
            if self._columns is None:
                where = f"snapshot {self.manifest.version} in {self.folder.parent.parent}: catalog columns"
                path = self.folder / COLUMNS_FILE
                try:
                    before = os.stat(path)
                    digest = _file_sha256(path)
                    columns = CatalogColumns.load(path)
                    unchanged = _identity(os.stat(path)) == _identity(before)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    raise IndexCorruptError(f"{where} unreadable ({exc})") from exc
                if digest != checksum or not unchanged:
                    raise IndexCorruptError(f"{where} checksum mismatch")
                if columns.size != self.manifest.columns_count:
                    raise IndexCorruptError(
                        f"{where} hold {columns.size} units, its manifest {self.manifest.columns_count}"
                    )
                self._columns = columns
            return self._columns

    def lexical_problem(self) -> str | None:
        """Why the stored BM25 index cannot stand for this snapshot's units: from the manifest and the
        file's presence, and the file's checksum, verified once per loaded snapshot, so cheap enough
        for every readiness probe (`lexical` also parses it)."""
        count = self.manifest.lexical_count
        if self.manifest.lexical_checksum is None or count is None:
            return "snapshot has no stored lexical index (published before they were stored)"
        if count != self.count:
            return f"snapshot's lexical index holds {count} units, its FAISS index {self.count}"
        path = self.folder / LEXICAL_FILE
        if not path.is_file():
            return f"snapshot's lexical index file {LEXICAL_FILE} is missing"
        if self._lexical_verified is None:
            try:
                digest = _file_sha256(path)
            except OSError as exc:
                return f"snapshot's lexical index file {LEXICAL_FILE} is unreadable ({exc})"
            self._lexical_verified = "" if digest == self.manifest.lexical_checksum else "checksum mismatch"
        if self._lexical_verified:
            return f"snapshot's lexical index file {LEXICAL_FILE}: {self._lexical_verified}"
        return None


@dataclass(frozen=True)
class IndexPolicy:
    """Which FAISS index a catalog of a given size gets: exact flat below `hnsw_from` units, HNSW
    (graph over full vectors) below `ivf_from`, and from there IVF over float16 vectors (half the
    bytes, built in about two minutes per million on two cores; 8-bit codes, a quarter, reorder
    scores closer than about 5e-4, and the synthetic catalog has many such). The thresholds are
    parameters so that tests can exercise every kind on a few thousand vectors."""

    hnsw_from: int = HNSW_THRESHOLD
    ivf_from: int = IVF_THRESHOLD

    def kind(self, count: int) -> str:
        if count >= self.ivf_from:
            return "ivf-fp16"
        if count >= self.hnsw_from:
            return "hnsw"
        return "flat"


DEFAULT_POLICY = IndexPolicy()


def ivf_lists(count: int) -> int:
    """About 2 * sqrt(n) inverted lists, but never fewer than 39 training vectors per list."""
    return max(1, min(int(IVF_LISTS_PER_SQRT * np.sqrt(count)), count // IVF_TRAINING_PER_LIST))


def _build_ivf_fp16(ids: np.ndarray, vectors: np.ndarray, dimension: int) -> faiss.Index:
    """IVF over float16 vectors, its lists trained on a seeded sample (same catalog, same index)."""
    nlist = ivf_lists(len(ids))
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )
    sample_size = min(len(ids), IVF_TRAINING_PER_LIST * nlist)
    sample = np.random.default_rng(0).choice(len(ids), sample_size, replace=False)
    index.train(vectors[np.sort(sample)])
    index.add_with_ids(vectors, ids)
    _limit_ivf_search(index)
    return index


def _limit_ivf_search(ivf: Any) -> None:
    """nprobe and max_codes (see IVF_NPROBE), which faiss does not store in the file."""
    ivf.nprobe = min(IVF_NPROBE, int(ivf.nlist))
    ivf.max_codes = max(1, IVF_NPROBE * int(ivf.ntotal) // max(1, int(ivf.nlist)))


def build_index(
    ids: np.ndarray, vectors: np.ndarray, dimension: int, policy: IndexPolicy = DEFAULT_POLICY
) -> tuple[faiss.Index, str]:
    """Flat for small catalogs (exact), HNSW for large ones (sub-linear search), IVF over float16
    for the largest (sub-linear, half the bytes), all keyed by unit id; returns it and its kind."""
    ids = np.asarray(ids, dtype=np.int64)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index_type = policy.kind(len(ids))
    if index_type == "ivf-fp16":
        return _build_ivf_fp16(ids, vectors, dimension), index_type
    if index_type == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        hnsw.hnsw.efSearch = HNSW_EF_SEARCH
        index: faiss.Index = faiss.IndexIDMap2(hnsw)
    else:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    if len(ids):
        index.add_with_ids(vectors, ids)
    return index, index_type


def tune_for_search(index: faiss.Index, index_type: str) -> None:
    """Set the search-time parameters, which a serialised index does not keep (HNSW's efSearch) or
    which this version may have changed since the snapshot was written (IVF's nprobe)."""
    if index_type == "hnsw":
        id_map: Any = faiss.downcast_index(index)
        hnsw: Any = faiss.downcast_index(id_map.index)
        hnsw.hnsw.efSearch = HNSW_EF_SEARCH
    elif index_type == "ivf-fp16":
        _limit_ivf_search(faiss.extract_index_ivf(index))


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _identity(stat: os.stat_result) -> tuple[int, int, int, int]:
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


def _map_index(path: Path, where: str) -> faiss.Index:
    """The FAISS index in `path`, mapped read-only (shared page cache, no private copy); a private
    copy when this faiss cannot map it (an older faiss, a file system without mmap). A file faiss
    cannot read either way is corrupt."""
    if MMAP_FLAG is not None:
        try:
            return faiss.read_index(str(path), MMAP_FLAG)
        except RuntimeError:
            pass  # read it the ordinary way below, which tells a damaged file from a mapping problem
    try:
        return faiss.deserialize_index(np.frombuffer(path.read_bytes(), dtype=np.uint8))
    except (OSError, RuntimeError) as exc:
        raise IndexCorruptError(f"{where}: {exc}") from exc


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class SnapshotStore:
    """The snapshots of one tenant's index in one folder."""

    def __init__(self, root: Path, policy: IndexPolicy = DEFAULT_POLICY) -> None:
        self.root = root
        self.snapshots = root / "snapshots"
        self.policy = policy

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

    def set_aside_folders(self) -> list[Path]:
        """Snapshots refused at load and set aside for an operator (`set_aside`), oldest first."""
        if not self.snapshots.is_dir():
            return []
        return sorted(p for p in self.snapshots.iterdir() if p.is_dir() and SET_ASIDE_MARK in p.name)

    def _next_version(self) -> int:
        """One past every number used so far, set-aside snapshots included: a number names one
        snapshot only, so a log line or an operator's note never means two."""
        used = [0, *self.versions()]
        used += [int(p.name.split(SET_ASIDE_MARK)[0]) for p in self.set_aside_folders()]
        used.append(self.current_version() or 0)
        return max(used) + 1

    def read_manifest(self, version: int) -> Manifest | None:
        """A snapshot's manifest without loading its index (None when missing or unreadable)."""
        try:
            return Manifest(**json.loads((self.snapshots / str(version) / MANIFEST_FILE).read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def publish(
        self,
        ids: np.ndarray,
        vectors: np.ndarray,
        *,
        model: str,
        dimension: int,
        catalog_version: int,
        lexical: LexicalIndex | None = None,
        columns: CatalogColumns | None = None,
        activate: bool = True,
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
                columns=columns,
                activate=activate,
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
        columns: CatalogColumns | None = None,
        activate: bool = True,
    ) -> Manifest:
        """`publish` for a caller that already holds `writer_lock()` (an ingest holds it throughout).

        `lexical`, when given, must index exactly the units in `ids`: the two halves of hybrid
        retrieval then always search the same catalog. With `activate=False` the snapshot is written
        completely but CURRENT stays where it is: the caller commits what the snapshot stands for,
        then calls `activate` (or `discard` when the commit fails)."""
        if vectors.shape[0] != len(ids) or (len(ids) and vectors.shape[1] != dimension):
            raise ValueError(f"vectors {vectors.shape} do not match {len(ids)} ids of dimension {dimension}")
        if lexical is not None and not np.array_equal(
            np.sort(lexical.unit_ids), np.sort(np.asarray(ids, dtype=np.int64))
        ):
            raise ValueError(
                f"the lexical index's {lexical.size} units are not the {len(ids)} vectors' units"
            )
        index, index_type = build_index(ids, vectors, dimension, self.policy)
        blob = faiss.serialize_index(index).tobytes()
        lexical_blob = lexical.to_bytes() if lexical is not None else None
        columns_blob = columns.to_bytes() if columns is not None else None
        version = self._next_version()
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
            columns_checksum=None if columns_blob is None else hashlib.sha256(columns_blob).hexdigest(),
            columns_count=None if columns is None else columns.size,
        )
        self.snapshots.mkdir(parents=True, exist_ok=True)
        tmp = self.snapshots / f".tmp-{uuid.uuid4().hex}"
        tmp.mkdir()
        _write_durably(tmp / INDEX_FILE, blob)
        if lexical_blob is not None:
            _write_durably(tmp / LEXICAL_FILE, lexical_blob)
        if columns_blob is not None:
            _write_durably(tmp / COLUMNS_FILE, columns_blob)
        _write_durably(tmp / MANIFEST_FILE, json.dumps(asdict(manifest), indent=2).encode())
        _fsync_path(tmp)
        os.replace(tmp, self.snapshots / str(version))
        _fsync_path(self.snapshots)
        if activate:
            self.activate(version)
        return manifest

    def activate(self, version: int) -> None:
        """Make a written snapshot the current one, then drop old snapshots and leftovers."""
        self.switch_to(version)
        self._prune(keep_from=version)

    def switch_to(self, version: int) -> None:
        """Point CURRENT at an existing snapshot (forward to a written one, or back to an older one)."""
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

    def set_aside(self, version: int, reason: str) -> Path | None:
        """Move a snapshot that failed verification out of the way, keeping its files for an operator:
        `snapshots/<version>.corrupt-<UTC time>/` with a `set-aside.json` saying why. Returns the new
        folder (None when the snapshot was already gone). Only a writer holding the lock calls this."""
        folder = self.snapshots / str(version)
        if not folder.is_dir():
            return None
        moment = datetime.now(UTC)
        target = self.snapshots / f"{version}{SET_ASIDE_MARK}{moment.strftime('%Y%m%dT%H%M%S%fZ')}"
        os.rename(folder, target)
        _fsync_path(self.snapshots)
        note = {"version": version, "reason": reason, "set_aside_at": moment.isoformat()}
        with contextlib.suppress(OSError):  # the rename is what matters; the note is a courtesy
            _write_durably(target / SET_ASIDE_NOTE, json.dumps(note, indent=2).encode())
        return target

    def remove_leftovers(self) -> list[Path]:
        """Remove what a writer killed midway leaves behind: temporary snapshot folders and temporary
        CURRENT files. Only a writer holding the lock calls this (no other writer is midway)."""
        found: list[Path] = []
        if self.snapshots.is_dir():
            found += list(self.snapshots.glob(".tmp-*"))
        if self.root.is_dir():
            found += list(self.root.glob(f".{CURRENT_FILE}.*"))
        for path in found:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return found

    def _prune(self, keep_from: int) -> None:
        """Drop old snapshots (readers hold loaded copies in memory) and stale temporary files."""
        for old in self.versions()[:-KEEP_SNAPSHOTS]:
            if old < keep_from:
                shutil.rmtree(self.snapshots / str(old), ignore_errors=True)
        self.remove_leftovers()

    def load(self, version: int | None = None) -> Snapshot | None:
        """Load and verify a snapshot (the current one by default); None when none was published."""
        version = self.current_version() if version is None else version
        if version is None:
            return None
        folder = self.snapshots / str(version)
        path = folder / INDEX_FILE
        try:
            manifest = Manifest(**json.loads((folder / MANIFEST_FILE).read_text()))
            if manifest.version != version:
                raise ValueError(f"its manifest names version {manifest.version}")
            before = os.stat(path)
            digest = _file_sha256(path)
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorruptError(f"snapshot {version} in {self.root}: unreadable ({exc})") from exc
        if digest != manifest.checksum:
            raise IndexCorruptError(f"snapshot {version} in {self.root}: checksum mismatch")
        index = _map_index(path, f"snapshot {version} in {self.root}")
        try:
            after = os.stat(path)
        except OSError as exc:
            raise IndexCorruptError(f"snapshot {version} in {self.root}: unreadable ({exc})") from exc
        if _identity(after) != _identity(before):
            raise IndexCorruptError(f"snapshot {version} in {self.root}: its file changed while loading")
        if index.ntotal != manifest.count or index.d != manifest.dimension:
            raise IndexCorruptError(f"snapshot {version} in {self.root}: count or dimension mismatch")
        tune_for_search(index, manifest.index_type)
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
