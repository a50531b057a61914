"""FAISS snapshots: exact search, atomic publish, corruption refused at load."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from recommender.index import IndexCorruptError, SnapshotCache, SnapshotStore, build_index

DIM = 16


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(n, DIM)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def publish(store: SnapshotStore, n: int, seed: int = 0, catalog_version: int = 1):
    ids = np.arange(100, 100 + n, dtype=np.int64)
    return store.publish(
        ids, unit_vectors(n, seed), model="m", dimension=DIM, catalog_version=catalog_version
    )


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
