"""Published index snapshots copied to and from a store every replica reads: a directory (a shared
volume, NFS) or an S3-compatible bucket. So API replicas need no shared file system for the index.

Layout in the store (beside whatever else the bucket holds, under its prefix):

    <tenant>/snapshots/<version>/<every file of the local snapshot folder>
    <tenant>/CURRENT   {"version": N, "files": {relative path: {"sha256": ..., "size": ...}}}

The publisher (whoever wrote the local snapshot: an ingest, `leerpad index rebuild`, a worker)
uploads every file of the version folder, whatever files it holds, and writes CURRENT last: CURRENT
is the announcement, and it names every file with its checksum. A replica that sees a CURRENT other
than its own downloads the listed files into a temporary folder of its local cache, verifies every
checksum (and the manifest's own), renames the folder into place and only then moves its local
CURRENT (`recommender.index.SnapshotStore.activate`): a half-uploaded version (no CURRENT yet) is
never seen, and a corrupt or partial download is never activated. Old local versions are pruned
by that same activation, old stored ones by the publisher.

S3 is spoken through boto3 (AWS's own SDK, kept by AWS): endpoint, region and credentials come
from the standard AWS variables and files, the endpoint also from LEERPAD_S3_ENDPOINT_URL.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from recommender.errors import INVALID, LeerpadError
from recommender.index import (
    CURRENT_FILE,
    INDEX_FILE,
    KEEP_SNAPSHOTS,
    LEXICAL_FILE,
    MANIFEST_FILE,
    IndexCorruptError,
    Manifest,
    SnapshotStore,
)


class SharedStoreError(LeerpadError):
    """The shared snapshot store cannot be used as configured."""

    code = INVALID


class ObjectStore(Protocol):
    """The few operations the snapshot copy needs; keys are '/'-separated paths under the store."""

    def read(self, key: str) -> bytes | None: ...
    def write(self, key: str, data: bytes) -> None: ...
    def upload(self, key: str, source: Path) -> None: ...
    def download(self, key: str, target: Path) -> None: ...
    def list_prefixes(self, key: str) -> list[str]: ...
    def remove_tree(self, key: str) -> None: ...


class DirectoryStore:
    """A folder every replica mounts: each file is written beside and renamed, so a reader never
    sees half of one."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def upload(self, key: str, source: Path) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        shutil.copyfile(source, tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def download(self, key: str, target: Path) -> None:
        shutil.copyfile(self._path(key), target)

    def list_prefixes(self, key: str) -> list[str]:
        folder = self._path(key)
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def remove_tree(self, key: str) -> None:
        shutil.rmtree(self._path(key), ignore_errors=True)


class S3Store:
    """A bucket (and key prefix) of S3 or any S3-compatible server, through boto3."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None = None) -> None:
        import boto3  # only a process configured for S3 pays for importing it

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url or None)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def read(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        return bytes(answer["Body"].read())

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def upload(self, key: str, source: Path) -> None:
        self.client.upload_file(str(source), self.bucket, self._key(key))

    def download(self, key: str, target: Path) -> None:
        self.client.download_file(self.bucket, self._key(key), str(target))

    def list_prefixes(self, key: str) -> list[str]:
        base = self._key(key).rstrip("/") + "/"
        names: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=base, Delimiter="/"
        ):
            names += [entry["Prefix"][len(base) :].rstrip("/") for entry in page.get("CommonPrefixes", [])]
        return sorted(names)

    def remove_tree(self, key: str) -> None:
        base = self._key(key).rstrip("/") + "/"
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=base):
            objects = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
            if objects:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects})


def open_store(location: str, endpoint_url: str = "") -> ObjectStore:
    """`s3://bucket/prefix` or a directory path (LEERPAD_SNAPSHOT_STORE)."""
    if location.startswith("s3://"):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        if not bucket:
            raise SharedStoreError(f"snapshot store {location!r} names no bucket")
        return S3Store(bucket, prefix, endpoint_url or None)
    if "://" in location:
        raise SharedStoreError(f"snapshot store {location!r}: only s3:// URLs and directories are supported")
    return DirectoryStore(Path(location).expanduser())


@dataclass(frozen=True)
class Announcement:
    """What a store's CURRENT says: the version to serve and every file of it with its checksum."""

    version: int
    files: dict[str, tuple[str, int]]  # relative path -> (sha256, size)

    def to_bytes(self) -> bytes:
        files = {name: {"sha256": digest, "size": size} for name, (digest, size) in self.files.items()}
        return json.dumps({"version": self.version, "files": files}, indent=2).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Announcement:
        raw = json.loads(data)
        files = {str(name): (str(f["sha256"]), int(f["size"])) for name, f in raw["files"].items()}
        return cls(int(raw["version"]), files)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def announced(remote: ObjectStore, tenant: str) -> Announcement | None:
    """The version the store announces for the tenant (None when none, or CURRENT is unreadable)."""
    data = remote.read(f"{tenant}/{CURRENT_FILE}")
    if data is None:
        return None
    try:
        return Announcement.from_bytes(data)
    except (ValueError, KeyError, TypeError):
        return None


def _check_manifest(folder: Path, version: int, files: dict[str, tuple[str, int]]) -> None:
    """The manifest names this version, and its own checksums agree with the listed files."""
    try:
        manifest = Manifest(**json.loads((folder / MANIFEST_FILE).read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(f"snapshot {version}: manifest unreadable ({exc})") from exc
    if manifest.version != version:
        raise IndexCorruptError(f"snapshot {version}: its manifest names version {manifest.version}")
    checks = [(INDEX_FILE, manifest.checksum), (LEXICAL_FILE, manifest.lexical_checksum)]
    for name, want in checks:
        if want is not None and files.get(name, ("", 0))[0] != want:
            raise IndexCorruptError(f"snapshot {version}: {name} does not match its manifest's checksum")


def publish_to_store(local: SnapshotStore, remote: ObjectStore, tenant: str) -> int | None:
    """Upload the local current snapshot, every file in its folder, then announce it (CURRENT last).
    Returns the version announced; None when there is nothing newer than what the store announces."""
    version = local.current_version()
    if version is None:
        return None
    known = announced(remote, tenant)
    if known is not None and known.version >= version:
        return None
    folder = local.snapshots / str(version)
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    files = {p.relative_to(folder).as_posix(): (_sha256(p), p.stat().st_size) for p in paths}
    _check_manifest(folder, version, files)  # never announce a snapshot that is already damaged
    for name in files:
        remote.upload(f"{tenant}/snapshots/{version}/{name}", folder / name)
    remote.write(f"{tenant}/{CURRENT_FILE}", Announcement(version, files).to_bytes())
    _prune_store(remote, tenant, version)
    return version


def _prune_store(remote: ObjectStore, tenant: str, current: int) -> None:
    """Keep the newest stored versions (a replica may still be downloading the one before)."""
    stored = sorted(int(name) for name in remote.list_prefixes(f"{tenant}/snapshots") if name.isdigit())
    for old in stored[:-KEEP_SNAPSHOTS]:
        if old < current:
            remote.remove_tree(f"{tenant}/snapshots/{old}")


def _download(remote: ObjectStore, tenant: str, note: Announcement, target: Path) -> None:
    """Every announced file into `target`, each verified by size and checksum."""
    for name, (digest, size) in note.files.items():
        path = target / name
        if not path.resolve().is_relative_to(target.resolve()):
            raise IndexCorruptError(f"snapshot {note.version}: file name {name!r} leaves its folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        remote.download(f"{tenant}/snapshots/{note.version}/{name}", path)
        if path.stat().st_size != size or _sha256(path) != digest:
            raise IndexCorruptError(f"snapshot {note.version}: downloaded {name} does not match its checksum")
    _check_manifest(target, note.version, note.files)


def _holds(folder: Path, note: Announcement) -> bool:
    """Whether a local folder already holds exactly the announced files."""
    for name, (digest, size) in note.files.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size or _sha256(path) != digest:
            return False
    return True


@contextlib.contextmanager
def _writer_lock_or_none(local: SnapshotStore) -> Iterator[bool]:
    """The local writer lock if it is free now, else False at once: while one process of the host
    downloads (or writes), the others go on serving what they have and look again at their next poll."""
    local.root.mkdir(parents=True, exist_ok=True)
    with open(local.root / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def follow_store(local: SnapshotStore, remote: ObjectStore, tenant: str) -> int | None:
    """Make the local cache serve what the store announces: download, verify, rename into place,
    then move the local CURRENT. Returns the version switched to (None when already there or nothing
    is announced); `IndexCorruptError` (nothing switched) when the download fails its checksums."""
    note = announced(remote, tenant)
    if note is None or note.version == local.current_version():
        return None
    with _writer_lock_or_none(local) as locked:
        if not locked or note.version == local.current_version():
            return None
        folder = local.snapshots / str(note.version)
        if folder.is_dir() and not _holds(folder, note):
            local.discard(note.version)  # a local snapshot of that number but other content
        if not folder.is_dir():
            local.snapshots.mkdir(parents=True, exist_ok=True)
            tmp = local.snapshots / f".tmp-{uuid.uuid4().hex}"  # a leftover the next writer removes
            tmp.mkdir()
            try:
                _download(remote, tenant, note, tmp)
                os.replace(tmp, folder)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        local.activate(note.version)
    return note.version
