"""What a crash or a damaged disk leaves in a snapshot folder, at the store level: snapshots written
but not switched to, corrupt snapshots set aside (kept, never renumbered), leftovers of a killed
writer removed, and a writer lock that a killed holder never keeps.

The database side (which snapshot matches, fall back or rebuild) is in tests/ingest/test_index_recovery.py."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from recommender.index import (
    INDEX_FILE,
    LEXICAL_FILE,
    SET_ASIDE_NOTE,
    IndexCorruptError,
    SnapshotStore,
)
from recommender.lexical import LexicalIndex
from tests.support.snapshots import DIM, damage, publish, unit_texts, unit_vectors


def test_a_snapshot_written_without_activating_is_not_current_until_activated(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    first = publish(store, 10)
    pending = store.publish(
        np.arange(100, 112, dtype=np.int64),
        unit_vectors(12),
        model="m",
        dimension=DIM,
        catalog_version=2,
        activate=False,
    )
    assert store.current_version() == first.version and pending.version == first.version + 1
    loaded = store.load()
    assert loaded is not None and loaded.count == 10  # readers still see the old snapshot
    store.activate(pending.version)
    loaded = store.load()
    assert loaded is not None and loaded.count == 12


@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_a_set_aside_snapshot_keeps_its_files_and_its_number(tmp_path: Path, how: str) -> None:
    store = SnapshotStore(tmp_path)
    publish(store, 10)
    second = publish(store, 11, seed=1)
    index_file = store.snapshots / str(second.version) / INDEX_FILE
    original = damage(index_file, how)
    with pytest.raises(IndexCorruptError) as refused:
        store.load()
    folder = store.set_aside(second.version, str(refused.value))
    assert folder is not None and folder.name.startswith(f"{second.version}.corrupt-")
    assert store.versions() == [1] and store.set_aside_folders() == [folder]
    assert (folder / INDEX_FILE).read_bytes() != original  # kept as found, for an operator
    note = json.loads((folder / SET_ASIDE_NOTE).read_text())
    assert note["version"] == second.version and "snapshot" in note["reason"]
    # The number is not given to another snapshot, and pruning leaves set-aside folders alone.
    assert [publish(store, 5 + i, seed=i).version for i in range(4)] == [3, 4, 5, 6]
    assert store.set_aside_folders() == [folder]


def test_leftovers_of_a_killed_writer_are_removed_by_the_next_one(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    publish(store, 10)
    half_written = store.snapshots / ".tmp-0123abcd"
    half_written.mkdir()
    (half_written / INDEX_FILE).write_bytes(b"\x00" * 10)
    current_tmp = store.root / ".CURRENT.0123abcd"
    current_tmp.write_text('{"version": 99}')
    assert sorted(p.name for p in store.remove_leftovers()) == [current_tmp.name, half_written.name]
    assert not half_written.exists() and not current_tmp.exists()
    assert store.current_version() == 1
    half_written.mkdir()
    current_tmp.write_text("{")
    publish(store, 11)  # publishing cleans up as well
    assert not half_written.exists() and not current_tmp.exists()


@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_a_damaged_lexical_file_is_reported_by_the_cheap_check(tmp_path: Path, how: str) -> None:
    """`lexical_problem` (what readiness asks) verifies the BM25 file's checksum once per snapshot."""
    store = SnapshotStore(tmp_path)
    manifest = publish(store, 12, lexical=LexicalIndex.build(unit_texts(12)))
    damage(store.snapshots / str(manifest.version) / LEXICAL_FILE, how)
    snapshot = store.load()
    assert snapshot is not None
    assert "checksum mismatch" in (snapshot.lexical_problem() or "")
    intact = SnapshotStore(tmp_path / "other")
    publish(intact, 12, lexical=LexicalIndex.build(unit_texts(12)))
    loaded = intact.load()
    assert loaded is not None and loaded.lexical_problem() is None


def test_a_manifest_that_names_another_version_is_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    publish(store, 10)
    second = publish(store, 10)
    manifest = json.loads((store.snapshots / "2" / "manifest.json").read_text())
    (store.snapshots / "2" / "manifest.json").write_text(json.dumps({**manifest, "version": 1}))
    with pytest.raises(IndexCorruptError, match="names version 1"):
        store.load(second.version)


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from recommender.index import SnapshotStore
with SnapshotStore(Path(sys.argv[1])).writer_lock():
    print("locked", flush=True)
    time.sleep(600)
"""


def test_a_writer_killed_while_holding_the_lock_does_not_block_the_next(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        store = SnapshotStore(tmp_path)
        acquired = threading.Event()

        def take() -> None:
            with store.writer_lock():
                acquired.set()

        waiter = threading.Thread(target=take, daemon=True)
        waiter.start()
        assert not acquired.wait(0.5)  # held: the lock works across processes
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        assert acquired.wait(10), "the lock of a killed writer was never released"
        assert (tmp_path / ".lock").exists()  # the file stays; it is the flock that counts
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
