"""`leerpad worker` as real processes on PostgreSQL: a job survives the worker being killed, and
several workers running at once run each job exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from models import repositories as repo
from models.db import transaction
from models.tables import JOB_RUNNING, JOB_SUCCEEDED, Job
from recommender.embedding import Encoder
from service.core.runtime import Runtime
from service.jobs.queue import enqueue_ingest
from tests.support.catalogs import ROWS, write_csv
from tests.support.metrics import sample
from tests.support.network import free_port
from tests.support.settings import make_settings

LEERPAD = Path(sys.executable).parent / "leerpad"


def worker_env(home: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "LEERPAD_HOME": str(home),
        "LEERPAD_DATABASE_URL": database_url,
        "HF_HUB_OFFLINE": "1",
    }


def job_row(runtime: Runtime, tenant_id: int, job_id: int) -> Job:
    with runtime.sessions() as session:
        job = repo.get_job(session, tenant_id, job_id)
        assert job is not None
        session.expunge(job)
        return job


@pytest.mark.slow
@pytest.mark.backends("postgresql")
def test_a_job_survives_its_worker_being_killed(
    tmp_path: Path, database_url: str, encoder: Encoder, shared_data: Path
) -> None:
    home = tmp_path / "home"
    runtime = Runtime(make_settings(home, database_url), encoder=encoder)
    runtime.migrate()
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, "killed").id
    catalog = shared_data / "coursera_sample" / "coursera.csv"
    job = enqueue_ingest(
        runtime, tenant_id, kind="coursera", path=catalog, source=None, filename=catalog.name, dry_run=False
    )
    env = worker_env(home, database_url)
    first = subprocess.Popen(
        [str(LEERPAD), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while job_row(runtime, tenant_id, job.id).status != JOB_RUNNING:
            assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
            assert time.monotonic() < deadline, "the worker never claimed the job"
            time.sleep(0.1)  # polls a real other process or server, up to the deadline
        # A real other process, with no sign to poll for between its claim and its end: kill it well
        # inside the job (loading the model, encoding), not just after the claim.
        time.sleep(1.5)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    stranded = job_row(runtime, tenant_id, job.id)
    assert stranded.status == JOB_RUNNING and stranded.locked_by and f":{first.pid}:" in stranded.locked_by

    second = subprocess.run(
        [str(LEERPAD), "worker", "--once"], env=env, capture_output=True, text=True, timeout=600
    )
    assert second.returncode == 0, second.stderr
    # The killed worker may have queued its daily audit purge first; the import is what matters here.
    assert "(ingest) finished: ok" in second.stderr, second.stderr
    done = job_row(runtime, tenant_id, job.id)
    assert done.status == JOB_SUCCEEDED and done.attempts == 2, done.error
    report = done.result or {}
    with runtime.sessions() as session:
        stored = repo.count_items_by_status(session, tenant_id)
    assert report["created"] > 100 and sum(stored.values()) == report["created"]
    assert runtime.check_index("killed", repair=False) is None  # the index matches the database
    runtime.close()


@pytest.mark.slow
@pytest.mark.backends("postgresql")
def test_several_worker_processes_run_each_job_once(
    tmp_path: Path, database_url: str, encoder: Encoder
) -> None:
    home = tmp_path / "home"
    runtime = Runtime(make_settings(home, database_url), encoder=encoder)
    runtime.migrate()
    catalog = write_csv(tmp_path / "c.csv", ROWS)
    jobs: list[tuple[int, int]] = []
    for number in range(6):
        with transaction(runtime.sessions) as session:
            tenant_id = repo.get_or_create_tenant(session, f"many-{number}").id
        job = enqueue_ingest(
            runtime, tenant_id, kind="csv", path=catalog, source=None, filename=catalog.name, dry_run=False
        )
        jobs.append((tenant_id, job.id))
    env = worker_env(home, database_url)
    workers = [
        subprocess.Popen(
            [str(LEERPAD), "worker", "--once"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    ran = 0
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=600)
        assert worker.returncode == 0, stderr
        ran += int(stdout.rsplit("after ", 1)[1].split()[0])
    assert ran == len(jobs)
    for tenant_id, job_id in jobs:
        done = job_row(runtime, tenant_id, job_id)
        assert done.status == JOB_SUCCEEDED and done.attempts == 1 and (done.result or {})["created"] == 3
    runtime.close()


@pytest.mark.slow
def test_a_worker_serves_its_job_counts_for_prometheus(tmp_path: Path, encoder: Encoder) -> None:
    """`leerpad worker --metrics-port`: in a container of its own no API scrapes the worker's counts."""
    home = tmp_path / "home"
    runtime = Runtime(make_settings(home), encoder=encoder)
    runtime.migrate()
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, "counted").id
    catalog = write_csv(tmp_path / "c.csv", ROWS)
    enqueue_ingest(
        runtime, tenant_id, kind="csv", path=catalog, source=None, filename=catalog.name, dry_run=False
    )
    runtime.close()
    port = free_port()
    env = {
        **os.environ,
        "LEERPAD_HOME": str(home),
        "HF_HUB_OFFLINE": "1",
        "LEERPAD_WORKER_METRICS_PORT": str(port),
    }
    for name in ("LEERPAD_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    process = subprocess.Popen(
        [str(LEERPAD), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        succeeded = 0.0
        while succeeded < 1:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the worker's metrics never counted the job"
            time.sleep(0.3)  # polls a real other process or server, up to the deadline
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.TransportError:
                continue  # not listening yet
            succeeded = sample(text, "leerpad_jobs_total", kind="ingest", outcome="succeeded")
        assert sample(text, "leerpad_ingest_items_total", kind="csv", change="created") == 3
        assert sample(text, "leerpad_jobs_total", kind="ingest", outcome="failed") == 0
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert int(stdout.rsplit("after ", 1)[1].split()[0]) >= 1  # the import, and perhaps the daily audit purge
    with pytest.raises(httpx.TransportError):  # the metrics server stopped with the worker
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_a_taken_metrics_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "LEERPAD_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
        env.pop("LEERPAD_DATABASE_URL", None)
        done = subprocess.run(
            [str(LEERPAD), "worker", "--once", "--metrics-port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert f"cannot serve metrics on 127.0.0.1:{port}" in done.stderr
