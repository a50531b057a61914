"""A damaged or out-of-step index is detected at load and restored, on both databases.

A snapshot whose FAISS or BM25 file is truncated or altered is set aside (renamed, kept) and the
previous snapshot is served when it matches the database, else one is rebuilt from it. An import
killed after its commit but before it switched the index leaves the index one step behind, which
the next load or the next import rolls forward; one killed before its commit leaves a snapshot
that never became current, which the next import discards. `/readyz` is 503 whenever a tenant's
index is missing, empty, behind or corrupt, and 200 once restored.

Real SIGKILLs of real imports are in tests/ingest/test_crash_safety.py."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ingest.pipeline import ingest_catalog
from models import repositories as repo
from recommender.embedding import Encoder
from recommender.index import INDEX_FILE, LEXICAL_FILE, SnapshotStore
from recommender.lexical import LexicalIndex
from service.app import create_app
from service.core.runtime import Runtime
from tests.support.catalogs import ROWS, write_csv
from tests.support.encoders import CountingEncoder
from tests.support.ingest import db_state, run_ingest
from tests.support.settings import make_settings
from tests.support.snapshots import damage

FILES = {"faiss": INDEX_FILE, "bm25": LEXICAL_FILE}


class Killed(BaseException):
    """Stands for SIGKILL in-process: nothing after it runs, not even `except Exception` handlers."""


def active_units(runtime: Runtime, tenant: str) -> int:
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        return repo.count_active_units(session, row.id)


def load(runtime: Runtime, tenant: str, file: str) -> None:
    """What serving does first: the FAISS half for any search, the BM25 half for a word search."""
    if file == "faiss":
        runtime.snapshot(tenant)
    else:
        runtime.lexical(tenant)


@pytest.mark.parametrize("how", ["truncate", "flip"])
@pytest.mark.parametrize("file", ["faiss", "bm25"])
def test_a_corrupt_snapshot_is_set_aside_and_rebuilt_when_no_previous_one_matches(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path, file: str, how: str
) -> None:
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    run_ingest(runtime, tenant, write_csv(tmp_path / "b.csv", ROWS[:2]), CountingEncoder(encoder))
    store = runtime.store(tenant)
    version = store.current_version()
    assert version is not None
    original = damage(store.snapshots / str(version) / FILES[file], how)
    runtime.snapshots.forget(store)  # as a process starting up would
    assert runtime.check_index(tenant, repair=False) is not None  # readiness sees it
    load(runtime, tenant, file)
    [aside] = store.set_aside_folders()
    assert aside.name.startswith(f"{version}.corrupt-")
    assert (aside / FILES[file]).read_bytes() != original  # kept as it was found
    assert version not in store.versions()
    # The previous snapshot is of the older catalog: it is not served, the index is rebuilt.
    served = runtime.snapshot(tenant)
    assert served is not None and served.manifest.version > version
    assert served.count == active_units(runtime, tenant)
    lexical = runtime.lexical(tenant)
    assert lexical is not None and lexical.size == served.count
    assert runtime.check_index(tenant, repair=False) is None


@pytest.mark.parametrize("file", ["faiss", "bm25"])
def test_a_corrupt_snapshot_falls_back_to_the_previous_one_when_it_matches_the_database(
    runtime: Runtime,
    tenant: str,
    encoder: Encoder,
    tmp_path: Path,
    file: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    store = runtime.store(tenant)
    previous = store.current_version()
    latest = runtime.rebuild_index(tenant)  # the same catalog, published again
    damage(store.snapshots / str(latest) / FILES[file], "flip")
    runtime.snapshots.forget(store)
    with caplog.at_level(logging.WARNING, logger="leerpad"):
        load(runtime, tenant, file)
    assert "fell back to snapshot" in caplog.text
    assert store.current_version() == previous and store.versions() == [previous]
    assert [p.name.split(".")[0] for p in store.set_aside_folders()] == [str(latest)]
    assert runtime.check_index(tenant, repair=False) is None
    # The next snapshot gets a number of its own, not the set-aside one's.
    assert runtime.rebuild_index(tenant) == (latest or 0) + 1


@pytest.mark.parametrize("restored_by", ["service", "next import"])
def test_an_import_killed_between_commit_and_switch_is_rolled_forward(
    runtime: Runtime,
    tenant: str,
    encoder: Encoder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    restored_by: str,
) -> None:
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    store = runtime.store(tenant)
    before = store.current_version()
    changed = write_csv(tmp_path / "b.csv", ROWS[:2])

    def killed(self: SnapshotStore, version: int) -> None:
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(SnapshotStore, "activate", killed)
        with pytest.raises(Killed):
            run_ingest(runtime, tenant, changed, CountingEncoder(encoder))
    assert db_state(runtime, tenant)["fb-1"][1] == "retired"  # committed
    assert store.current_version() == before  # behind the database, never ahead
    written = max(store.versions())
    assert written == (before or 0) + 1
    runtime.snapshots.forget(store)
    assert "catalog version" in (runtime.check_index(tenant, repair=False) or "")
    if restored_by == "service":
        assert runtime.check_index(tenant, repair=True) is None
    else:
        counting = CountingEncoder(encoder)
        report = run_ingest(runtime, tenant, changed, counting)
        assert (report.created, report.updated, report.retired, counting.texts) == (0, 0, 0, 0)
    assert store.current_version() == written  # switched to, not rebuilt
    assert runtime.check_index(tenant, repair=False) is None


def test_an_import_killed_before_its_commit_leaves_the_index_matching_the_database(
    runtime: Runtime, tenant: str, encoder: Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_ingest(runtime, tenant, write_csv(tmp_path / "a.csv", ROWS), CountingEncoder(encoder))
    store = runtime.store(tenant)
    before_version, before_rows = store.current_version(), db_state(runtime, tenant)
    changed = write_csv(tmp_path / "b.csv", ROWS[:2])

    def dying_session() -> Session:
        session = runtime.sessions()

        def commit() -> None:
            raise Killed

        session.commit = commit  # type: ignore[method-assign]
        return session

    with monkeypatch.context() as patch:
        patch.setattr(SnapshotStore, "discard", lambda self, version: None)  # no clean-up: killed
        with pytest.raises(Killed):
            ingest_catalog(
                dying_session,  # type: ignore[arg-type]
                lambda: CountingEncoder(encoder),  # type: ignore[arg-type,return-value]
                runtime.settings.model,
                runtime.settings.index_root,
                tenant=tenant,
                kind="csv",
                path=changed,
            )
    assert db_state(runtime, tenant) == before_rows
    orphan = max(store.versions())
    assert store.current_version() == before_version and orphan == (before_version or 0) + 1
    runtime.snapshots.forget(store)
    assert runtime.check_index(tenant, repair=False) is None  # what is served still matches
    report = run_ingest(runtime, tenant, changed, CountingEncoder(encoder))
    assert report.retired == 1
    current = store.current_version()
    assert current is not None and not [v for v in store.versions() if v > current]
    assert runtime.check_index(tenant, repair=False) is None


def publish_empty(store: SnapshotStore, catalog_version: int) -> None:
    store.publish(
        np.zeros(0, dtype=np.int64),
        np.zeros((0, 384), dtype=np.float32),
        model="m",
        dimension=384,
        catalog_version=catalog_version,
        lexical=LexicalIndex.build([]),
    )


def readiness(client: TestClient) -> tuple[int, Any]:
    answer = client.get("/readyz")
    return answer.status_code, answer.json()


def test_readiness_is_503_on_a_missing_empty_behind_or_corrupt_index_and_200_once_restored(
    tmp_path: Path, encoder: Encoder, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = Runtime(make_settings(tmp_path / "home"), encoder=encoder)
    runtime.migrate()
    tenant = "ready"
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "a.csv", ROWS))
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "b.csv", ROWS[:2]))
    store = runtime.store(tenant)
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        catalog_version = row.index_version
    units = active_units(runtime, tenant)

    def missing() -> None:
        (store.root / "CURRENT").unlink()

    def empty() -> None:
        publish_empty(store, catalog_version)

    def behind() -> None:
        store.switch_to(min(store.versions()))  # an older catalog's snapshot

    def corrupt_faiss() -> None:
        damage(store.snapshots / str(store.current_version()) / INDEX_FILE, "truncate")

    def corrupt_bm25() -> None:
        damage(store.snapshots / str(store.current_version()) / LEXICAL_FILE, "flip")

    app = create_app(runtime=runtime)
    for spoil in (missing, empty, behind, corrupt_faiss, corrupt_bm25):
        with TestClient(app) as client:
            assert readiness(client)[0] == 200, spoil.__name__
            spoil()
            runtime.snapshots.forget(store)  # as a worker loading it now would
            status, body = readiness(client)
            assert status == 503 and body["status"] == "not ready", spoil.__name__
            assert body["problems"] == ["1 of 1 catalog indexes not loaded or not matching the database"]
        with TestClient(app) as client:  # a restart: the lifespan restores the index
            status, body = readiness(client)
            assert status == 200, (spoil.__name__, body)
            assert body["indexes"] == {"loaded": 1, "vectors": units}
    assert len(store.set_aside_folders()) == 2  # the two corrupt snapshots, kept
    runtime.close()
