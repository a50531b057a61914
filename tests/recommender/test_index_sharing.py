"""A loaded snapshot maps its FAISS file read-only after verifying it, so that the uvicorn workers of
one machine share one copy of the index in the page cache instead of holding one each (issue 8)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import faiss
import numpy as np
import pytest

import recommender.index as index_module
from recommender.index import INDEX_FILE, IndexCorruptError, SnapshotStore
from tests.support.snapshots import DIM, publish, unit_vectors

pytestmark = pytest.mark.skipif(index_module.MMAP_FLAG is None, reason="this faiss cannot map index files")

HOLDER = """
import sys
from pathlib import Path
from recommender.index import SnapshotStore
snapshot = SnapshotStore(Path(sys.argv[1])).load()
import numpy as np
snapshot.search(np.ones((1, 16), dtype=np.float32), 5)  # a flat search reads every page
print("loaded", flush=True)
sys.stdin.readline()
"""


def mapping(pid: int, suffix: str) -> dict[str, int]:
    """kB of Rss and Pss of the process's mappings of files ending with `suffix` (/proc/<pid>/smaps)."""
    totals = {"Rss": 0, "Pss": 0, "mappings": 0}
    inside = False
    with open(f"/proc/{pid}/smaps") as handle:
        for line in handle:
            first = line.split(maxsplit=1)[0]
            if "-" in first and not first.endswith(":"):
                inside = line.rstrip().removesuffix(" (deleted)").endswith(suffix)
                totals["mappings"] += int(inside)
            elif inside and first in ("Rss:", "Pss:"):
                totals[first[:-1]] += int(line.split()[1])
    return totals


def test_a_loaded_snapshot_maps_its_verified_file_and_searches_like_a_copy(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    manifest = publish(store, 2000)
    snapshot = store.load()
    assert snapshot is not None
    path = str(store.snapshots / str(manifest.version) / INDEX_FILE)
    assert mapping(os.getpid(), path)["mappings"] >= 1
    copy = faiss.deserialize_index(np.frombuffer(Path(path).read_bytes(), dtype=np.uint8))
    queries = unit_vectors(5, seed=9)
    expected_scores, expected_ids = copy.search(queries, 10)
    hits = snapshot.search(queries, 10)
    assert [[h.unit_id for h in row] for row in hits] == expected_ids.tolist()
    assert np.allclose([[h.score for h in row] for row in hits], expected_scores, atol=1e-6)
    del snapshot
    gc.collect()
    assert mapping(os.getpid(), path)["mappings"] == 0  # dropping the snapshot releases the file


def test_two_processes_share_the_pages_of_one_snapshot(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    manifest = store.publish(
        np.arange(100, 40_100, dtype=np.int64),
        np.repeat(unit_vectors(40, seed=3), 1000, axis=0),
        model="m",
        dimension=DIM,
        catalog_version=1,
    )  # a flat index of 40,000 vectors: about 2.5 MB of vectors
    path = str(store.snapshots / str(manifest.version) / INDEX_FILE)
    other = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "loaded"
        snapshot = store.load()
        assert snapshot is not None
        snapshot.search(unit_vectors(3, seed=4), 5)
        mine = mapping(os.getpid(), path)
        theirs = mapping(other.pid, path)
        assert mine["Rss"] > 1000 and theirs["Rss"] > 1000
        # Each page of the file is resident once and counted half to each process.
        assert mine["Pss"] <= 0.6 * mine["Rss"] and theirs["Pss"] <= 0.6 * theirs["Rss"]
    finally:
        if other.stdin is not None:
            other.stdin.close()
        other.wait(timeout=30)


def test_a_file_replaced_between_its_checksum_and_its_mapping_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SnapshotStore(tmp_path)
    manifest = publish(store, 20)
    path = store.snapshots / str(manifest.version) / INDEX_FILE
    verify = index_module._file_sha256

    def verify_then_replace(target: Path) -> str:
        digest = verify(target)
        replacement = target.with_name("replacement")
        replacement.write_bytes(target.read_bytes())
        os.replace(replacement, target)  # same bytes, another file: what was verified is gone
        return digest

    monkeypatch.setattr(index_module, "_file_sha256", verify_then_replace)
    with pytest.raises(IndexCorruptError, match="changed while loading"):
        store.load()
    monkeypatch.undo()
    assert store.load() is not None and path.exists()


def test_a_snapshot_that_cannot_be_mapped_is_read_into_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SnapshotStore(tmp_path)
    publish(store, 20)

    read_index = faiss.read_index

    def cannot_map(source: object, *flags: int) -> faiss.Index:
        if isinstance(source, str):  # mapping a file; deserialising bytes goes through a reader
            raise RuntimeError("mmap failed")
        return read_index(source, *flags)

    monkeypatch.setattr(faiss, "read_index", cannot_map)
    snapshot = store.load()
    assert snapshot is not None and snapshot.count == 20
    assert snapshot.search(unit_vectors(1), 3)[0][0].unit_id == 100
