"""Several API replicas on one database, each with a LEERPAD_HOME of its own, taking the published
snapshot from a shared store (a directory, or S3 through moto's server over HTTP): a replica serves
the new version once it is announced, never a half-uploaded or corrupt one, and answers throughout
the switch (issue 21, part 3)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ingest.shared_snapshots import Announcement, announced, open_store
from ingest.taxonomy import read_default_taxonomy
from models import repositories as repo
from models.db import sqlite_url
from recommender.embedding import Encoder
from recommender.index import INDEX_FILE
from service.app import create_app
from service.core import runtime as runtime_module
from service.core.runtime import Runtime
from service.paths.search import search_units
from service.skills.taxonomy import import_taxonomy
from tests.support.api_keys import make_key
from tests.support.catalogs import HEADER, PATH_CATALOG, ROWS, write_csv
from tests.support.s3 import new_bucket, s3_server
from tests.support.settings import make_settings

TENANT = "acme"
NEW_ITEM = [
    "k8s-1",
    "Kubernetes clusters beheren",
    "Zet een Kubernetes cluster op en beheer pods en deployments.",
    "https://lms.example/k8s-1",
    "nl",
    "20",
    "",
]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["directory", "s3"])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The snapshot store settings every process of the deployment shares; polled on every lookup."""
    if request.param == "directory":
        return {"snapshot_store": str(tmp_path / "shared"), "snapshot_poll_seconds": 0}
    endpoint = request.getfixturevalue("s3_endpoint")
    return {
        "snapshot_store": f"s3://{new_bucket(endpoint)}/leerpad",
        "s3_endpoint_url": endpoint,
        "snapshot_poll_seconds": 0,
    }


@pytest.fixture
def deployment(
    tmp_path: Path, database_url: str, encoder: Encoder, store_settings: dict[str, Any]
) -> Iterator[tuple[Runtime, Runtime]]:
    """A publisher (the worker) and a replica, each with its own home, on one database."""
    url = database_url or sqlite_url(tmp_path / "publisher")  # SQLite: one file both use
    publisher = Runtime(make_settings(tmp_path / "publisher", url, **store_settings), encoder=encoder)
    publisher.migrate()
    replica = Runtime(make_settings(tmp_path / "replica", url, **store_settings), encoder=encoder)
    yield publisher, replica
    replica.close()
    publisher.close()


def found_ids(runtime: Runtime, query: str) -> set[str]:
    with runtime.sessions() as session:
        tenant = repo.get_tenant(session, TENANT)
        assert tenant is not None
        return {f.unit.external_id for f in search_units(runtime, session, TENANT, tenant.id, query, 10)}


def test_a_replica_serves_the_version_announced_by_the_publisher(
    deployment: tuple[Runtime, Runtime], tmp_path: Path
) -> None:
    publisher, replica = deployment
    publisher.ingest(TENANT, "csv", write_csv(tmp_path / "a.csv", ROWS, header=HEADER))
    first = publisher.store(TENANT).current_version()
    snapshot = replica.snapshot(TENANT)
    assert snapshot is not None and snapshot.manifest.version == first
    assert replica.check_index(TENANT, repair=False) is None
    assert replica.settings.index_root != publisher.settings.index_root
    assert "k8s-1" not in found_ids(replica, "Kubernetes cluster")

    publisher.ingest(TENANT, "csv", write_csv(tmp_path / "b.csv", [*ROWS, NEW_ITEM], header=HEADER))
    second = publisher.store(TENANT).current_version()
    assert second is not None and first is not None and second > first
    assert "k8s-1" in found_ids(replica, "Kubernetes cluster")
    assert replica.store(TENANT).current_version() == second
    assert replica.check_index(TENANT, repair=False) is None


def test_a_replica_starting_later_takes_the_announced_snapshot_instead_of_rebuilding(
    deployment: tuple[Runtime, Runtime], tmp_path: Path
) -> None:
    publisher, replica = deployment
    publisher.ingest(TENANT, "csv", write_csv(tmp_path / "a.csv", ROWS, header=HEADER))
    version = publisher.store(TENANT).current_version()
    # what the API's lifespan runs for each tenant at start
    assert replica.check_index(TENANT, repair=True) is None
    assert replica.store(TENANT).versions() == [version]


def test_a_replica_never_uses_a_half_uploaded_or_corrupt_version(
    deployment: tuple[Runtime, Runtime], tmp_path: Path, store_settings: dict[str, Any], encoder: Encoder
) -> None:
    publisher, replica = deployment
    publisher.ingest(TENANT, "csv", write_csv(tmp_path / "a.csv", ROWS, header=HEADER))
    first = publisher.store(TENANT).current_version()
    assert replica.snapshot(TENANT) is not None
    remote = open_store(store_settings["snapshot_store"], store_settings.get("s3_endpoint_url", ""))

    # The publisher's next snapshot is uploaded but not announced (it died before CURRENT) ...
    local_only = Runtime(make_settings(publisher.settings.home, publisher.settings.db_url), encoder=encoder)
    second = local_only.rebuild_index(TENANT)
    local_only.close()
    folder = publisher.store(TENANT).snapshots / str(second)
    for path in folder.iterdir():
        remote.upload(f"{TENANT}/snapshots/{second}/{path.name}", path)
    snapshot = replica.snapshot(TENANT)
    assert snapshot is not None and snapshot.manifest.version == first

    # ... then announced with an index file that is not the one its checksum names.
    note = announced(remote, TENANT)
    assert note is not None and note.version == first
    blob = (folder / INDEX_FILE).read_bytes()
    remote.write(f"{TENANT}/CURRENT", _announcement(folder, second))
    remote.write(f"{TENANT}/snapshots/{second}/{INDEX_FILE}", blob[:-8] + b"\x00" * 8)
    snapshot = replica.snapshot(TENANT)
    assert snapshot is not None and snapshot.manifest.version == first
    assert replica.store(TENANT).versions() == [first]
    assert found_ids(replica, "SQL")  # still answering from the old one

    # Mended (the publisher announces it again): taken.
    remote.upload(f"{TENANT}/snapshots/{second}/{INDEX_FILE}", folder / INDEX_FILE)
    snapshot = replica.snapshot(TENANT)
    assert snapshot is not None and snapshot.manifest.version == second


def test_a_replica_keeps_answering_while_it_switches(
    deployment: tuple[Runtime, Runtime], tmp_path: Path
) -> None:
    publisher, replica = deployment
    publisher.ingest(TENANT, "csv", write_csv(tmp_path / "a.csv", ROWS, header=HEADER))
    assert found_ids(replica, "SQL")
    errors: list[BaseException] = []
    answers: list[int] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                assert found_ids(replica, "SQL")
                snapshot = replica.snapshot(TENANT)
                assert snapshot is not None
                answers.append(snapshot.manifest.version)
            except BaseException as exc:  # any failure is the test's failure
                errors.append(exc)
                return

    clients = [threading.Thread(target=client) for _ in range(3)]
    for thread in clients:
        thread.start()
    try:
        versions = [publisher.rebuild_index(TENANT) for _ in range(3)]
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=60)
    assert not errors, errors
    snapshot = replica.snapshot(TENANT)
    assert snapshot is not None and snapshot.manifest.version == versions[-1]
    assert len(answers) > 3


def _announcement(folder: Path, version: int) -> bytes:
    """CURRENT for the files of a local folder, as the publisher writes it."""
    files = {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_size)
        for p in sorted(folder.iterdir())
        if p.is_file()
    }
    return Announcement(version, files).to_bytes()


def test_a_replica_stays_ready_while_the_publisher_announces_but_not_for_ever(
    deployment: tuple[Runtime, Runtime], tmp_path: Path, encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher, replica = deployment
    publisher.ingest(TENANT, "csv", write_csv(tmp_path / "a.csv", ROWS, header=HEADER))
    assert replica.check_index(TENANT, repair=True) is None
    # the publisher has committed a new catalog version, and not yet announced its snapshot
    local_only = Runtime(make_settings(publisher.settings.home, publisher.settings.db_url), encoder=encoder)
    local_only.ingest(TENANT, "csv", write_csv(tmp_path / "b.csv", [*ROWS, NEW_ITEM], header=HEADER))
    local_only.close()
    before = replica.store(TENANT).versions()
    assert replica.check_index(TENANT, repair=False) is None  # within the grace: still routed to
    assert replica.check_index(TENANT, repair=True) is None  # and no snapshot of its own rebuilt
    assert replica.store(TENANT).versions() == before
    monkeypatch.setattr(runtime_module, "FOLLOW_GRACE_SECONDS", 0.0)
    problem = replica.check_index(TENANT, repair=False)
    assert problem is not None and "catalog version" in problem

    assert publisher.announce(TENANT) == publisher.store(TENANT).current_version()
    assert replica.check_index(TENANT, repair=False) is None
    assert "k8s-1" in found_ids(replica, "Kubernetes cluster")


def test_a_replicas_api_answers_paths_and_searches_from_the_announced_snapshot(
    deployment: tuple[Runtime, Runtime], tmp_path: Path
) -> None:
    """Through HTTP: the company is set up on the publisher's API, asked on the replica's."""
    publisher, replica = deployment
    import_taxonomy(publisher, TENANT, read_default_taxonomy(), origin="default")
    publisher.ingest(TENANT, "csv", write_csv(tmp_path / "c.csv", PATH_CATALOG, header=HEADER))
    with TestClient(create_app(runtime=publisher)) as writer:
        role = {"name": "Data-analist", "skills": [{"skill": "SQL", "level": 4, "importance": "essential"}]}
        ld = make_key(publisher, TENANT, "ld")
        assert writer.put("/v1/roles/analyst", json=role, headers=ld).status_code == 200
        lms = make_key(publisher, TENANT, "lms")
        employee = {"role": "analyst", "language": "nl"}
        assert writer.put("/v1/employees/e-1", json=employee, headers=lms).status_code == 200
        assessment = [{"skill": "SQL", "level": 1, "source": "test"}]
        assert writer.post("/v1/employees/e-1/assessments", json=assessment, headers=lms).status_code < 300
    first = publisher.store(TENANT).current_version()
    with TestClient(create_app(runtime=replica)) as client:
        assert client.get("/readyz").status_code == 200
        search = client.get("/v1/search", params={"q": "SQL"}, headers=lms)
        assert search.status_code == 200 and search.json()["index_version"] == first
        path = client.post("/v1/employees/e-1/path", json={}, headers=lms)
        assert path.status_code == 200, path.text
        assert path.json()["steps"]

        second = publisher.rebuild_index(TENANT)
        search = client.get("/v1/search", params={"q": "SQL"}, headers=lms)
        assert search.status_code == 200 and search.json()["index_version"] == second
        assert client.post("/v1/employees/e-1/path", json={}, headers=lms).status_code == 200
        assert client.get("/readyz").status_code == 200
    assert replica.store(TENANT).versions()[-1] == second
