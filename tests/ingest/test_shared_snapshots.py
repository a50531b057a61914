"""Snapshots copied through a shared store (ingest/shared_snapshots.py), on a directory and on an
S3-compatible server (moto, over HTTP): every file of a version folder travels, CURRENT is the only
announcement, and a partial or corrupt copy is never activated."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.shared_snapshots import (
    Announcement,
    ObjectStore,
    announced,
    follow_store,
    open_store,
    publish_to_store,
)
from recommender.index import INDEX_FILE, KEEP_SNAPSHOTS, IndexCorruptError, SnapshotStore
from recommender.lexical import LexicalIndex
from tests.support.s3 import new_bucket, s3_server
from tests.support.snapshots import publish, unit_texts

TENANT = "acme"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["directory", "s3"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "directory":
        return open_store(str(tmp_path / "shared"))
    endpoint = request.getfixturevalue("s3_endpoint")
    return open_store(f"s3://{new_bucket(endpoint)}/leerpad", endpoint)


def published(root: Path, n: int = 6, seed: int = 0) -> SnapshotStore:
    store = SnapshotStore(root)
    publish(store, n, seed=seed, lexical=LexicalIndex.build(unit_texts(n)))
    return store


def test_every_file_of_the_folder_travels_and_the_replica_switches(
    remote: ObjectStore, tmp_path: Path
) -> None:
    writer = published(tmp_path / "writer")
    version = writer.current_version()
    assert version is not None
    # a file this code does not know (another kind of array stored beside the index) goes too
    extra = writer.snapshots / str(version) / "catalog.columns"
    extra.write_bytes(b"\x00columnar" * 100)
    assert publish_to_store(writer, remote, TENANT) == version
    assert publish_to_store(writer, remote, TENANT) is None  # already announced

    reader = SnapshotStore(tmp_path / "reader")
    assert follow_store(reader, remote, TENANT) == version
    assert reader.current_version() == version
    assert (reader.snapshots / str(version) / "catalog.columns").read_bytes() == extra.read_bytes()
    snapshot = reader.load()
    assert snapshot is not None and snapshot.count == 6 and snapshot.lexical() is not None
    assert follow_store(reader, remote, TENANT) is None  # nothing new


def test_a_version_without_current_is_never_used(remote: ObjectStore, tmp_path: Path) -> None:
    writer = published(tmp_path / "writer")
    publish_to_store(writer, remote, TENANT)
    reader = SnapshotStore(tmp_path / "reader")
    follow_store(reader, remote, TENANT)
    first = reader.current_version()
    publish(writer, 8, seed=1, lexical=LexicalIndex.build(unit_texts(8)))
    second = writer.current_version()
    assert second is not None
    # uploaded, but the publisher stopped before CURRENT: nothing announced
    folder = writer.snapshots / str(second)
    for path in folder.iterdir():
        remote.upload(f"{TENANT}/snapshots/{second}/{path.name}", path)
    assert follow_store(reader, remote, TENANT) is None
    assert reader.current_version() == first
    assert not (reader.snapshots / str(second)).exists()


@pytest.mark.parametrize("damage", ["flipped", "truncated", "missing"])
def test_a_download_that_fails_its_checksum_is_never_activated(
    remote: ObjectStore, tmp_path: Path, damage: str
) -> None:
    writer = published(tmp_path / "writer")
    publish_to_store(writer, remote, TENANT)
    reader = SnapshotStore(tmp_path / "reader")
    first = follow_store(reader, remote, TENANT)
    publish(writer, 8, seed=1, lexical=LexicalIndex.build(unit_texts(8)))
    second = publish_to_store(writer, remote, TENANT)
    assert second is not None and second != first
    blob = (writer.snapshots / str(second) / INDEX_FILE).read_bytes()
    key = f"{TENANT}/snapshots/{second}/{INDEX_FILE}"
    if damage == "flipped":
        remote.write(key, blob[:100] + bytes([blob[100] ^ 0xFF]) + blob[101:])
    elif damage == "truncated":
        remote.write(key, blob[: len(blob) // 2])
    else:
        remote.remove_tree(f"{TENANT}/snapshots/{second}")
    # a missing file: whatever the store's client raises (404, FileNotFoundError); the runtime logs it
    with pytest.raises(IndexCorruptError if damage != "missing" else Exception):
        follow_store(reader, remote, TENANT)
    assert reader.current_version() == first
    assert reader.versions() == [first]
    assert not list(reader.snapshots.glob(".tmp-*"))  # the partial download is gone
    loaded = reader.load()
    assert loaded is not None and loaded.manifest.version == first


def test_an_announcement_that_disagrees_with_the_manifest_is_refused(
    remote: ObjectStore, tmp_path: Path
) -> None:
    writer = published(tmp_path / "writer")
    version = publish_to_store(writer, remote, TENANT)
    assert version is not None
    # a CURRENT whose checksums match forged files but not the manifest's own
    forged = b"not a faiss index"
    remote.write(f"{TENANT}/snapshots/{version + 1}/{INDEX_FILE}", forged)
    manifest = (writer.snapshots / str(version) / "manifest.json").read_bytes()
    remote.write(f"{TENANT}/snapshots/{version + 1}/manifest.json", manifest)
    files = {
        INDEX_FILE: (hashlib.sha256(forged).hexdigest(), len(forged)),
        "manifest.json": (hashlib.sha256(manifest).hexdigest(), len(manifest)),
    }
    remote.write(f"{TENANT}/CURRENT", Announcement(version + 1, files).to_bytes())
    reader = SnapshotStore(tmp_path / "reader")
    with pytest.raises(IndexCorruptError):
        follow_store(reader, remote, TENANT)
    assert reader.current_version() is None and reader.versions() == []


def test_the_store_and_the_cache_keep_only_the_newest_versions(remote: ObjectStore, tmp_path: Path) -> None:
    writer = SnapshotStore(tmp_path / "writer")
    reader = SnapshotStore(tmp_path / "reader")
    for seed in range(KEEP_SNAPSHOTS + 3):
        publish(writer, 4 + seed, seed=seed, lexical=LexicalIndex.build(unit_texts(4 + seed)))
        publish_to_store(writer, remote, TENANT)
        follow_store(reader, remote, TENANT)
    newest = writer.current_version()
    assert newest is not None
    stored = sorted(int(v) for v in remote.list_prefixes(f"{TENANT}/snapshots"))
    assert stored == list(range(newest - KEEP_SNAPSHOTS + 1, newest + 1))
    assert reader.versions() == stored
    note = announced(remote, TENANT)
    assert note is not None and note.version == newest


def test_a_store_location_is_a_directory_or_an_s3_url(tmp_path: Path) -> None:
    from ingest.shared_snapshots import DirectoryStore, SharedStoreError

    assert isinstance(open_store(str(tmp_path)), DirectoryStore)
    for wrong in ("s3://", "gs://bucket/x", "http://example.org/x"):
        with pytest.raises(SharedStoreError):
            open_store(wrong)
