"""The job lease, on SQLite and PostgreSQL: a running job whose worker is gone (killed, or a container
that was replaced) goes back to the queue, a live one keeps its job by renewing its heartbeat, a
worker whose lease was taken over does not overwrite the new owner's outcome, a job that keeps
killing its worker fails after LEERPAD_JOB_MAX_ATTEMPTS starts, and an uploaded catalog is deleted
once its import has ended for good (not while it may still be retried).

The job handlers are replaced by small fakes (the job code is ours): no model is loaded here."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from ingest.pipeline import IngestError
from models import repositories as repo
from models.db import sqlite_url, transaction
from models.migrate import upgrade
from models.tables import JOB_FAILED, JOB_QUEUED, JOB_RUNNING, JOB_SUCCEEDED, Job, utcnow
from service import worker as jobs
from service.core.runtime import Runtime
from service.core.settings import Settings
from service.http.metrics import exposition
from service.jobs.queue import RETAG, enqueue_ingest, requeue_orphans
from service.worker import run_next_job
from tests.support.databases import own_database
from tests.support.metrics import sample
from tests.support.settings import make_settings
from tests.support.waiting import wait_until

HOST = socket.gethostname()
LONG_AGO = timedelta(hours=1)
LEASE = 0.6  # seconds: the short lease of the heartbeat test, three beats of 0.2 s


@pytest.fixture(scope="module")
def database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of this module's own: `requeue_orphans` looks at every job in it."""
    with own_database(backend) as own:
        url = own or sqlite_url(tmp_path_factory.mktemp("lease-db"))
        upgrade(url)
        yield url


def lease_runtime(home: Path, database: str, **settings: Any) -> Runtime:
    return Runtime(make_settings(home, database, **settings))


@pytest.fixture
def runtime(tmp_path: Path, database: str) -> Iterator[Runtime]:
    """Default lease settings (heartbeat 30 s, lease 300 s, 3 attempts); every job still open at
    the end is closed, so the next test's `requeue_orphans` and claims see only its own."""
    active = lease_runtime(tmp_path / "home", database)
    yield active
    close_open_jobs(active)
    active.close()


def close_open_jobs(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        for job in repo.running_jobs(session):
            job.status = JOB_FAILED
        while (job := repo.claim_next_job(session, "cleanup")) is not None:
            job.status = JOB_FAILED


def new_tenant(runtime: Runtime) -> int:
    with transaction(runtime.sessions) as session:
        return repo.get_or_create_tenant(session, f"t-{uuid.uuid4().hex[:10]}").id


def running_job(runtime: Runtime, tenant_id: int, locked_by: str, *, kind: str = "noop", **lease: Any) -> int:
    """A job claimed by `locked_by`, its lease timestamps set as `claim` is told."""
    with transaction(runtime.sessions) as session:
        job_id = repo.enqueue_job(session, tenant_id, kind, {}).id
    return claim(runtime, job_id, locked_by, **lease)


def claim(
    runtime: Runtime,
    job_id: int,
    locked_by: str,
    *,
    heartbeat_at: datetime | None = None,
    started_at: datetime | None = None,
    no_heartbeat: bool = False,
) -> int:
    """Claim `job_id` as `locked_by` would, then backdate its lease (None: as the claim set it)."""
    with transaction(runtime.sessions) as session:
        claimed = repo.claim_next_job(session, locked_by)
        assert claimed is not None and claimed.id == job_id, "another job was queued first"
        if heartbeat_at is not None or no_heartbeat:
            claimed.heartbeat_at = heartbeat_at
        if started_at is not None:
            claimed.started_at = started_at
    return job_id


def row(runtime: Runtime, job_id: int) -> Job:
    with runtime.sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def heartbeat_running(job_id: int) -> bool:
    return any(thread.name == f"leerpad-heartbeat-{job_id}" for thread in threading.enumerate())


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return int(done.stdout)


def test_lease_must_outlast_two_heartbeats() -> None:
    assert Settings(job_heartbeat_seconds=30, job_lease_seconds=61).job_lease_seconds == 61
    with pytest.raises(ValueError, match="LEERPAD_JOB_LEASE_SECONDS"):
        Settings(job_heartbeat_seconds=30, job_lease_seconds=60)


def test_a_job_of_another_host_is_requeued_only_once_its_lease_ran_out(runtime: Runtime) -> None:
    tenant_id = new_tenant(runtime)
    long_ago = utcnow() - LONG_AGO
    stale = running_job(runtime, tenant_id, "replaced-container:7:1", heartbeat_at=long_ago)
    # Claimed before heartbeats existed (or never renewed): the lease counts from the start.
    never_beat = running_job(
        runtime, tenant_id, "replaced-container:8:1", started_at=long_ago, no_heartbeat=True
    )
    fresh = running_job(runtime, tenant_id, "live-container:7:1", started_at=long_ago)  # beat just now
    almost = running_job(
        runtime, tenant_id, "live-container:8:1", heartbeat_at=utcnow() - timedelta(seconds=240)
    )

    assert requeue_orphans(runtime) == 2
    for job_id in (stale, never_beat):
        back = row(runtime, job_id)
        assert (back.status, back.locked_by, back.heartbeat_at, back.attempts) == (JOB_QUEUED, None, None, 1)
    for job_id, holder in ((fresh, "live-container:7:1"), (almost, "live-container:8:1")):
        kept = row(runtime, job_id)
        assert (kept.status, kept.locked_by) == (JOB_RUNNING, holder)
    assert requeue_orphans(runtime) == 0  # nothing changed since


def test_a_job_of_this_host_whose_worker_is_gone_is_requeued_at_once(runtime: Runtime) -> None:
    tenant_id = new_tenant(runtime)
    killed = running_job(runtime, tenant_id, f"{HOST}:{dead_pid()}:1")
    # A restarted container: same host name, same process id; the thread that held the job is gone
    # (the thread asking runs no job while it asks).
    restarted = running_job(runtime, tenant_id, f"{HOST}:{os.getpid()}:{threading.get_ident()}")
    busy = threading.Event()
    live_thread = threading.Thread(target=busy.wait, args=(30,))
    live_thread.start()
    try:
        assert live_thread.ident is not None
        live = running_job(runtime, tenant_id, f"{HOST}:{os.getpid()}:{live_thread.ident}")
        assert requeue_orphans(runtime) == 2
    finally:
        busy.set()
        live_thread.join()
    assert row(runtime, killed).status == JOB_QUEUED
    assert row(runtime, restarted).status == JOB_QUEUED
    assert row(runtime, live).status == JOB_RUNNING


def test_the_heartbeat_moves_while_a_slow_job_runs_and_stops_after(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = lease_runtime(tmp_path / "home", database, job_heartbeat_seconds=0.2, job_lease_seconds=LEASE)
    tenant_id = new_tenant(runtime)
    with transaction(runtime.sessions) as session:
        job_id = repo.enqueue_job(session, tenant_id, RETAG, {}).id
    seen: list[datetime] = []
    requeued_during: list[int] = []

    def renewed_past_a_lease() -> bool:
        beat = row(runtime, job_id).heartbeat_at
        assert beat is not None
        if not seen or beat != seen[-1]:
            seen.append(beat)
        return len(seen) >= 4 and (seen[-1] - seen[0]).total_seconds() > LEASE

    def slow_retag(active: Runtime, tenant: str) -> dict[str, int]:
        # The job runs until the heartbeat thread has renewed its lease three times, more than a
        # lease after the claim: only the heartbeat keeps the job now.
        wait_until(renewed_past_a_lease, "three renewals of the lease, more than a lease apart")
        requeued_during.append(requeue_orphans(active))  # another worker looking now finds it alive
        return {"items_tagged": 0, "skills_embedded": 0}

    monkeypatch.setattr(jobs, "retag_catalog", slow_retag)
    try:
        # A worker of another host (as a container would be): only the lease speaks for it.
        started = time.time()
        assert run_next_job(runtime, worker="other-host:1:1", loop="api")
        # the loop stood still in the job, but its renewals kept the liveness gauge moving
        polled = sample(exposition().decode(), "leerpad_job_poll_timestamp_seconds", loop="api")
        assert polled > started + LEASE, polled - started
        done = row(runtime, job_id)
        assert done.status == JOB_SUCCEEDED and done.result == {"items_tagged": 0, "skills_embedded": 0}
        assert requeued_during == [0]
        assert len(seen) >= 4, seen  # claimed, then renewed about every 0.2 s
        assert all(later > earlier for earlier, later in zip(seen, seen[1:], strict=False))
        # No renewal once the job has ended: its heartbeat thread is gone.
        assert not heartbeat_running(job_id)
    finally:
        close_open_jobs(runtime)
        runtime.close()


def test_a_worker_whose_lease_was_taken_over_does_not_overwrite_the_new_owner(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = lease_runtime(tmp_path / "home", database, job_heartbeat_seconds=0.1, job_lease_seconds=0.5)
    tenant_id = new_tenant(runtime)
    with transaction(runtime.sessions) as session:
        job_id = repo.enqueue_job(session, tenant_id, RETAG, {}).id

    def taken_over_meanwhile(active: Runtime, tenant: str) -> dict[str, int]:
        # The slow worker's lease runs out (say it was paused); another worker requeues and claims it.
        with transaction(active.sessions) as session:
            assert repo.requeue_job(session, job_id, owner="slow-host:1:1") == 1
            claimed = repo.claim_next_job(session, "new-host:2:1")
            assert claimed is not None and claimed.id == job_id
        wait_until(lambda: not heartbeat_running(job_id), "the slow worker's heartbeat noticing")
        return {"items_tagged": 99, "skills_embedded": 99}

    monkeypatch.setattr(jobs, "retag_catalog", taken_over_meanwhile)
    try:
        with caplog.at_level(logging.WARNING, logger="leerpad.jobs"):
            assert run_next_job(runtime, worker="slow-host:1:1")
        taken = row(runtime, job_id)
        assert (taken.status, taken.locked_by, taken.result, taken.attempts) == (
            JOB_RUNNING,
            "new-host:2:1",
            None,
            2,
        )
        messages = " ".join(record.getMessage() for record in caplog.records)
        assert "no longer held by this worker" in messages
        assert "this outcome is not recorded" in messages
        with transaction(runtime.sessions) as session:
            assert repo.finish_job(session, job_id, "slow-host:1:1", None, "late") is False
            assert repo.finish_job(session, job_id, "new-host:2:1", {"items_tagged": 1}, None) is True
        done = row(runtime, job_id)
        assert (done.status, done.result, done.error, done.locked_by) == (
            JOB_SUCCEEDED,
            {"items_tagged": 1},
            None,
            None,
        )
        with transaction(runtime.sessions) as session:  # and nothing moves a finished job any more
            assert repo.finish_job(session, job_id, "slow-host:1:1", None, "later") is False
            assert repo.heartbeat_job(session, job_id, "new-host:2:1") is False
        assert row(runtime, job_id).status == JOB_SUCCEEDED
    finally:
        close_open_jobs(runtime)
        runtime.close()


def stored_upload(runtime: Runtime, name: str = "catalog.csv") -> Path:
    """A file where the API keeps an upload: LEERPAD_HOME/uploads/<tenant>/<upload>/<file>."""
    folder = runtime.settings.uploads_dir / "acme" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    path = folder / name
    path.write_text("external_id,title,description\n1,a,b\n")
    return path


def test_a_job_that_keeps_killing_its_worker_fails_after_max_attempts(tmp_path: Path, database: str) -> None:
    runtime = lease_runtime(tmp_path / "home", database, job_max_attempts=2)
    try:
        tenant_id = new_tenant(runtime)
        upload = stored_upload(runtime)
        job = enqueue_ingest(
            runtime, tenant_id, kind="csv", path=upload, source=None, filename=upload.name, dry_run=False
        )
        long_ago = utcnow() - LONG_AGO
        claim(runtime, job.id, "crashing-host:1:1", heartbeat_at=long_ago)
        assert requeue_orphans(runtime) == 1
        assert row(runtime, job.id).status == JOB_QUEUED
        assert upload.is_file()  # it will be tried again: the upload stays

        claim(runtime, job.id, f"{HOST}:{dead_pid()}:1")  # the second start dies too
        assert requeue_orphans(runtime) == 0
        failed = row(runtime, job.id)
        assert (failed.status, failed.attempts, failed.locked_by) == (JOB_FAILED, 2, None)
        assert failed.error is not None and failed.error.startswith("interrupted 2 times"), failed.error
        assert failed.finished_at is not None
        assert not upload.exists() and not upload.parent.exists()  # failed for good: the upload goes
        assert upload.parent.parent.is_dir()  # the tenant's folder stays
        assert requeue_orphans(runtime) == 0 and row(runtime, job.id).status == JOB_FAILED
    finally:
        close_open_jobs(runtime)
        runtime.close()


@pytest.mark.parametrize("outcome", ["succeeded", "refused", "crashed"])
def test_an_upload_is_deleted_once_its_import_ended(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, outcome: str
) -> None:
    def fake_ingest(active: Runtime, tenant: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert Path(payload["path"]).is_file()  # the job reads the upload first
        if outcome == "refused":
            raise IngestError("the file has no title column")
        if outcome == "crashed":
            raise RuntimeError("out of memory")
        return {"created": 1}

    monkeypatch.setattr(jobs, "_run_ingest", fake_ingest)
    tenant_id = new_tenant(runtime)
    upload = stored_upload(runtime)
    elsewhere = tmp_path / "catalog.csv"  # a file `leerpad ingest` or a test names: never deleted
    elsewhere.write_text(upload.read_text())
    queued = [
        enqueue_ingest(
            runtime, tenant_id, kind="csv", path=path, source=None, filename=path.name, dry_run=False
        )
        for path in (upload, elsewhere)
    ]
    assert run_next_job(runtime) and run_next_job(runtime)
    for job in queued:
        assert row(runtime, job.id).status == (JOB_SUCCEEDED if outcome == "succeeded" else JOB_FAILED)
    assert not upload.exists() and not upload.parent.exists()
    assert elsewhere.is_file()


def test_running_workers_look_for_orphans_at_start_and_then_about_once_a_minute(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked: list[float] = []
    stop = threading.Event()

    def look(active: Runtime) -> int:
        looked.append(time.monotonic())
        if len(looked) >= 4:
            stop.set()  # ends `work_forever` once it has looked four times
        return 0

    monkeypatch.setattr(jobs, "requeue_orphans", look)
    assert jobs.ORPHAN_CHECK_SECONDS == 60
    last = jobs.requeue_due_orphans(runtime, 0.0)
    assert len(looked) == 1
    assert jobs.requeue_due_orphans(runtime, last) == last and len(looked) == 1  # not within the minute
    assert jobs.requeue_due_orphans(runtime, last - 61) > last - 61 and len(looked) == 2
    # Both loops, `leerpad worker` and the API's job thread, keep looking while they run.
    monkeypatch.setattr(jobs, "ORPHAN_CHECK_SECONDS", 0.02)
    monkeypatch.setattr(jobs, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(jobs, "schedule_due_jobs", lambda active, last: last)
    looked.clear()
    stop.clear()
    assert jobs.work_forever(runtime, stop) == 0
    assert len(looked) == 4, looked
    looked.clear()
    thread = jobs.JobThread(runtime)
    thread.start()
    try:
        wait_until(lambda: len(looked) >= 4, "the API's job thread looking for orphans four times")
    finally:
        thread.stop()


def test_the_worker_loop_outlives_a_database_hiccup_and_says_it_is_alive(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failover makes a round fail: `leerpad worker` logs it and tries again instead of dying, and
    its poll time (a Prometheus gauge) keeps moving; `--once` ends with the error."""
    rounds: list[float] = []
    stop = threading.Event()

    def flaky(active: Runtime) -> bool:
        rounds.append(time.time())
        if len(rounds) >= 4:
            stop.set()  # two failed rounds, then two that polled: enough seen
        if len(rounds) <= 2:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return False

    monkeypatch.setattr(jobs, "run_next_job", flaky)
    monkeypatch.setattr(jobs, "schedule_due_jobs", lambda active, last: last)
    monkeypatch.setattr(jobs, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(jobs, "RETRY_SECONDS", 0.05)
    started = time.time()
    with caplog.at_level(logging.ERROR, logger="leerpad"):
        assert jobs.work_forever(runtime, stop) == 0
    assert len(rounds) == 4  # two failed rounds, then it went on polling
    assert len([r for r in caplog.records if "job loop error" in r.getMessage()]) == 2
    polled = sample(exposition().decode(), "leerpad_job_poll_timestamp_seconds", loop="worker")
    assert rounds[1] < polled <= time.time() and polled > started  # it polled again after the failures

    rounds.clear()
    with pytest.raises(OperationalError):
        jobs.work_forever(runtime, threading.Event(), once=True)
