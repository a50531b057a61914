"""Durable jobs: rows in the `jobs` table, claimed by a worker thread in the API or by `leerpad worker`.
Kinds: `ingest` (a catalog upload), `retag` (every automatic skill tag of one tenant, after its
taxonomy or the tagging rules changed), `retrain` (the ranking model of one tenant) and
`audit-purge` (the tenant's audit entries past their retention; queued daily by every worker).

A job survives a restart: a job left running by a worker process that no longer exists on this
host goes back to the queue when a worker starts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from ingest.pipeline import IngestError
from models import repositories as repo
from models.db import transaction
from models.tables import Job
from service.audit import AUDIT_PURGE, purge_audit, schedule_audit_purges
from service.metrics import record_job
from service.retraining import retrain
from service.runtime import Runtime
from service.taxonomy import retag_catalog

log = logging.getLogger("leerpad.jobs")

INGEST = "ingest"
RETRAIN = "retrain"
RETAG = "retag"
POLL_SECONDS = 1.0
SCHEDULE_SECONDS = 3600.0  # how often a worker checks whether a daily job is due


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def enqueue_ingest(
    runtime: Runtime,
    tenant_id: int,
    *,
    kind: str,
    path: Path,
    source: str | None,
    filename: str,
    dry_run: bool,
) -> Job:
    with transaction(runtime.sessions) as session:
        return repo.enqueue_job(
            session,
            tenant_id,
            INGEST,
            {"kind": kind, "path": str(path), "source": source, "filename": filename, "dry_run": dry_run},
        )


def enqueue_retrain(runtime: Runtime, tenant_id: int, *, min_improvement: float = 0.0) -> Job:
    with transaction(runtime.sessions) as session:
        return repo.enqueue_job(session, tenant_id, RETRAIN, {"min_improvement": min_improvement})


def enqueue_retag(runtime: Runtime, tenant_id: int) -> Job:
    with transaction(runtime.sessions) as session:
        return repo.enqueue_job(session, tenant_id, RETAG, {})


def _run_retrain(runtime: Runtime, tenant_slug: str, payload: dict[str, Any]) -> dict[str, Any]:
    outcome = retrain(runtime, tenant_slug, min_improvement=float(payload.get("min_improvement") or 0.0))
    return outcome.to_json()


def _run_ingest(runtime: Runtime, tenant_slug: str, payload: dict[str, Any]) -> dict[str, Any]:
    report = runtime.ingest(
        tenant_slug,
        payload["kind"],
        Path(payload["path"]),
        source_name=payload.get("source") or None,
        dry_run=bool(payload.get("dry_run")),
    )
    return public_report(report.to_json(), payload)


def public_report(report: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The report as the API shows it: the uploaded file's name, not where the server keeps it."""
    return {**report, "path": payload.get("filename") or Path(str(report.get("path", ""))).name}


def run_next_job(runtime: Runtime, worker: str | None = None) -> bool:
    """Claim and run one queued job; False when the queue is empty."""
    with transaction(runtime.sessions) as session:
        job = repo.claim_next_job(session, worker or worker_name())
        if job is None:
            return False
        job_id, kind, payload = job.id, job.kind, dict(job.payload)
        tenant = repo.get_tenant_by_id(session, job.tenant_id)
        tenant_slug = tenant.slug if tenant else ""
    result: dict[str, Any] | None = None
    error: str | None = None
    started = time.perf_counter()
    try:
        if kind == INGEST:
            result = _run_ingest(runtime, tenant_slug, payload)
        elif kind == RETRAIN:
            result = _run_retrain(runtime, tenant_slug, payload)
        elif kind == RETAG:
            result = dict(retag_catalog(runtime, tenant_slug))
        elif kind == AUDIT_PURGE:
            result = purge_audit(runtime, tenant_slug)
        else:
            error = f"unknown job kind {kind!r}"
    except IngestError as exc:
        error = str(exc)
        result = public_report(exc.report.to_json(), payload) if exc.report else None
    except Exception as exc:  # a job must end in a state, whatever went wrong
        log.exception("job %s failed", job_id)
        error = f"{type(exc).__name__}: {exc}"
    with transaction(runtime.sessions) as session:
        repo.finish_job(session, job_id, result, error)
    seconds = time.perf_counter() - started
    outcome = "failed" if error else "succeeded"
    record_job(kind, outcome, seconds)
    log.info(
        "job %s (%s) finished: %s",
        job_id,
        kind,
        error or "ok",
        extra={"job_id": job_id, "kind": kind, "outcome": outcome, "duration_ms": round(seconds * 1000, 2)},
    )
    return True


def requeue_orphans(runtime: Runtime) -> int:
    """Put back jobs whose worker process on this host is gone (it was killed mid-job)."""
    host = socket.gethostname()
    requeued = 0
    with transaction(runtime.sessions) as session:
        for job in repo.running_jobs(session):
            owner_host, _, rest = (job.locked_by or "").partition(":")
            pid = rest.split(":", 1)[0]
            if owner_host == host and pid.isdigit() and not _alive(int(pid)):
                requeued += repo.requeue_job(session, job.id)
    return requeued


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def schedule_due_jobs(runtime: Runtime, last: float) -> float:
    """Queue the daily jobs that are due (the audit purge), at most once an hour per process;
    returns when it last looked. Several workers may look: a day-old check keeps it to one a day."""
    now = time.monotonic()
    if last and now - last < SCHEDULE_SECONDS:
        return last
    schedule_audit_purges(runtime)
    return now


class JobThread:
    """Runs queued jobs in the background of an API process until stopped."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="leerpad-jobs", daemon=True)

    def start(self) -> None:
        requeue_orphans(self.runtime)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        scheduled_at = 0.0
        while not self._stop.is_set():
            try:
                scheduled_at = schedule_due_jobs(self.runtime, scheduled_at)
                ran = run_next_job(self.runtime)
            except Exception:  # keep the loop alive through a database hiccup
                log.exception("job loop error")
                ran = False
            if not ran:
                self._stop.wait(POLL_SECONDS)


def work_forever(runtime: Runtime, stop: threading.Event, once: bool = False) -> int:
    """The `leerpad worker` loop; returns how many jobs ran."""
    requeue_orphans(runtime)
    done = 0
    scheduled_at = 0.0
    while not stop.is_set():
        if not once:  # --once runs what is queued; it does not queue more
            scheduled_at = schedule_due_jobs(runtime, scheduled_at)
        if run_next_job(runtime):
            done += 1
            continue
        if once:
            break
        stop.wait(POLL_SECONDS)
    return done
