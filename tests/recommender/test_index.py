"""FAISS snapshots: exact search, atomic publish, corruption refused at load; the BM25 index stored beside."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from recommender.index import (
    LEXICAL_FILE,
    MANIFEST_FILE,
    IndexCorruptError,
    SnapshotCache,
    SnapshotStore,
    build_index,
)
from recommender.lexical import LexicalIndex
from tests.support.snapshots import DIM, publish, unit_texts, unit_vectors


def rewrite_manifest(store: SnapshotStore, version: int, **changes: object) -> None:
    """Edit a published manifest in place; a change to None drops the field (an older manifest)."""
    path = store.snapshots / str(version) / MANIFEST_FILE
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(json.dumps(data))


def test_search_finds_the_nearest_stored_vector_by_its_id(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    publish(store, 50)
    snapshot = store.load()
    assert snapshot is not None and snapshot.count == 50
    vectors = unit_vectors(50)
    hits = snapshot.search(vectors[7], 3)[0]
    assert hits[0].unit_id == 107
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_manifest_describes_the_snapshot(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    manifest = publish(store, 20, catalog_version=7)
    on_disk = json.loads((store.snapshots / str(manifest.version) / "manifest.json").read_text())
    assert on_disk["count"] == 20 and on_disk["dimension"] == DIM and on_disk["catalog_version"] == 7
    assert on_disk["model"] == "m" and len(on_disk["checksum"]) == 64 and on_disk["index_type"] == "flat"


def test_hnsw_is_chosen_for_large_catalogs_and_still_finds_exact_matches() -> None:
    n = 60_000
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index, kind = build_index(np.arange(n, dtype=np.int64), vectors, DIM)
    assert kind == "hnsw"
    _, ids = index.search(vectors[:20], 1)
    assert (ids[:, 0] == np.arange(20)).mean() >= 0.95


def test_truncated_or_tampered_snapshot_is_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    manifest = publish(store, 30)
    index_file = store.snapshots / str(manifest.version) / "index.faiss"
    data = index_file.read_bytes()
    index_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorruptError, match="checksum"):
        store.load()
    flipped = bytearray(data)
    flipped[-5] ^= 0xFF
    index_file.write_bytes(bytes(flipped))
    with pytest.raises(IndexCorruptError):
        store.load()


def test_switch_back_and_pruning_keep_recent_snapshots(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    versions = [publish(store, 5 + i, seed=i).version for i in range(5)]
    assert store.current_version() == versions[-1]
    assert store.versions() == versions[-3:]
    store.switch_to(versions[-2])
    loaded = store.load()
    assert loaded is not None and loaded.count == 5 + 3


def test_readers_never_see_a_half_written_snapshot(tmp_path: Path) -> None:
    """While a writer publishes snapshots of growing size, every load a reader makes is whole."""
    store = SnapshotStore(tmp_path)
    publish(store, 10)
    cache = SnapshotCache()
    errors: list[Exception] = []
    counts: set[int] = set()
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                snapshot = cache.get(store)
                assert snapshot is not None
                counts.add(snapshot.count)
            except Exception as exc:  # collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for n in range(11, 40):
        publish(store, n, seed=n)
    done.set()
    for thread in threads:
        thread.join()
    assert not errors
    assert counts <= set(range(10, 40)) and len(counts) > 1


def test_publish_stores_the_lexical_index_beside_the_vectors(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    built = LexicalIndex.build(unit_texts(20))
    manifest = publish(store, 20, lexical=built)
    folder = store.snapshots / str(manifest.version)
    on_disk = json.loads((folder / MANIFEST_FILE).read_text())
    assert on_disk["lexical_count"] == on_disk["count"] == 20
    assert on_disk["lexical_checksum"] == hashlib.sha256((folder / LEXICAL_FILE).read_bytes()).hexdigest()
    snapshot = store.load()
    assert snapshot is not None and snapshot.lexical_problem() is None
    loaded = snapshot.lexical()
    assert loaded is not None and loaded.size == 20
    for query in ("vergadering leiden", "meetings", "woord7", "word8", "deel 3"):
        assert loaded.search(query, 5) == built.search(query, 5)
    assert loaded.search("woord7", 5)[0][0] == 107


def test_lexical_index_must_cover_exactly_the_vectors_units(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    with pytest.raises(ValueError, match="lexical"):
        publish(store, 20, lexical=LexicalIndex.build(unit_texts(19)))
    assert store.current_version() is None


def test_a_snapshot_of_the_old_layout_loads_without_a_lexical_index(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    manifest = publish(store, 10)
    assert manifest.lexical_checksum is None and manifest.lexical_count is None
    assert not (store.snapshots / str(manifest.version) / LEXICAL_FILE).exists()
    # a manifest written before the lexical fields existed
    rewrite_manifest(store, manifest.version, lexical_checksum=None, lexical_count=None)
    snapshot = store.load()
    assert snapshot is not None and snapshot.count == 10
    assert snapshot.lexical() is None
    assert "no stored lexical index" in (snapshot.lexical_problem() or "")


def test_truncated_tampered_or_missing_lexical_file_is_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    manifest = publish(store, 12, lexical=LexicalIndex.build(unit_texts(12)))
    lexical_file = store.snapshots / str(manifest.version) / LEXICAL_FILE
    data = lexical_file.read_bytes()
    lexical_file.write_bytes(data[: len(data) - 7])
    snapshot = store.load()  # the FAISS half loads: the lexical half is read only on demand
    assert snapshot is not None and snapshot.count == 12
    with pytest.raises(IndexCorruptError, match="lexical index checksum"):
        snapshot.lexical()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    lexical_file.write_bytes(bytes(flipped))
    with pytest.raises(IndexCorruptError, match="lexical index checksum"):
        snapshot.lexical()
    lexical_file.unlink()
    with pytest.raises(IndexCorruptError, match="lexical index unreadable"):
        snapshot.lexical()
    assert "missing" in (snapshot.lexical_problem() or "")


def test_lexical_count_disagreeing_with_the_vectors_is_reported(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    manifest = publish(store, 12, lexical=LexicalIndex.build(unit_texts(12)))
    rewrite_manifest(store, manifest.version, lexical_count=11)
    snapshot = store.load()
    assert snapshot is not None
    assert snapshot.lexical_problem() == "snapshot's lexical index holds 11 units, its FAISS index 12"
    with pytest.raises(IndexCorruptError, match="12 documents, its manifest 11"):
        snapshot.lexical()
