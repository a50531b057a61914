"""Durable jobs: rows in the `jobs` table, queued here and claimed by a worker thread in the API or by
`leerpad worker` (service/worker.py runs them: it sits on top, beside app and cli, because running a job
uses every domain, while queueing one, as the catalog routes do, needs none).
Kinds: `ingest` (a catalog upload), `retag` (every automatic skill tag of one tenant, after its
taxonomy or the tagging rules changed), `retrain` (the ranking model of one tenant),
`audit-purge` (the tenant's audit entries past their retention; queued daily by every worker),
`nudges` (service/nudges/job.py) and `issue-badges` (one employee's earned badges, queued when new
evidence of them is stored: service/core/badge_jobs.py, service/badges/job.py).

A running job is leased: the process running it renews `heartbeat_at` every
LEERPAD_JOB_HEARTBEAT_SECONDS from a small thread (`Heartbeat`). A job survives its worker being
killed: every worker, when it starts and then about once a minute, puts back in the queue a job whose
worker process on this host no longer exists (at once), and a job of any host whose lease has not
been renewed for LEERPAD_JOB_LEASE_SECONDS (a container that was killed or replaced). A job that has
been started LEERPAD_JOB_MAX_ATTEMPTS times fails instead of going round again. A worker whose lease
ran out and was taken over does not record its outcome: the new owner's counts.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from ingest.pipeline import RetireRefused, check_retirement
from models import repositories as repo
from models.db import transaction
from models.tables import Job, utcnow
from service.core.metrics import record_job, record_job_poll
from service.core.processes import process_alive
from service.core.runtime import Runtime

log = logging.getLogger("leerpad.jobs")

INGEST = "ingest"
RETRAIN = "retrain"
RETAG = "retag"


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
    allow_retire: bool = False,
    tenant_slug: str | None = None,
) -> Job:
    """Queue the import of a stored upload. With `tenant_slug` (the API gives it), an import that
    would retire too many items is refused now, its upload deleted (RetireRefused), rather than
    failing later in its job; a dry run is queued to report it."""
    payload = {
        "kind": kind,
        "path": str(path),
        "source": source,
        "filename": filename,
        "dry_run": dry_run,
        "allow_retire": allow_retire,
    }
    if tenant_slug is not None and not (dry_run or allow_retire):
        try:
            check_retirement(runtime.sessions, tenant_slug, kind, path, source)
        except RetireRefused:
            remove_upload(runtime, payload)
            raise
    with transaction(runtime.sessions) as session:
        return repo.enqueue_job(session, tenant_id, INGEST, payload)


def enqueue_retrain(runtime: Runtime, tenant_id: int, *, min_improvement: float = 0.0) -> Job:
    with transaction(runtime.sessions) as session:
        return repo.enqueue_job(session, tenant_id, RETRAIN, {"min_improvement": min_improvement})


def enqueue_retag(runtime: Runtime, tenant_id: int) -> Job:
    with transaction(runtime.sessions) as session:
        return repo.enqueue_job(session, tenant_id, RETAG, {})


def public_report(report: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The report as the API shows it: the uploaded file's name, not where the server keeps it."""
    return {**report, "path": payload.get("filename") or Path(str(report.get("path", ""))).name}


class Heartbeat:
    """While a job runs, renews its lease every LEERPAD_JOB_HEARTBEAT_SECONDS from a daemon thread,
    which stops when the job ends (`with Heartbeat(...)`) or when the job turns out to be no longer
    this worker's. A renewal that fails (the database is busy or away) is logged and tried again at
    the next beat; on SQLite a long import holds the database's write lock, so renewals wait."""

    def __init__(
        self, runtime: Runtime, job_id: int, worker: str, every: float | None = None, loop: str = "worker"
    ) -> None:
        self.runtime, self.job_id, self.worker, self.loop = runtime, job_id, worker, loop
        self.every = every if every is not None else runtime.settings.job_heartbeat_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"leerpad-heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        # A renewal stuck on a busy database is not waited for: it changes nothing once the job is
        # finished (it renews only a running job this worker holds).
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with transaction(self.runtime.sessions) as session:
                    ours = repo.heartbeat_job(session, self.job_id, self.worker)
            except Exception:
                log.warning("could not renew the lease of job %s", self.job_id, exc_info=True)
                continue
            if ours:
                record_job_poll(self.loop)  # a worker busy with a long job is alive too
                continue
            if not self._stop.is_set():
                log.warning(
                    "job %s is no longer held by this worker (its lease ran out and it was requeued "
                    "or taken over): it runs on, but its outcome will not be recorded",
                    self.job_id,
                    extra={"job_id": self.job_id},
                )
            return


def remove_upload(runtime: Runtime, payload: dict[str, Any]) -> None:
    """Delete the file an ingest job read, when the API stored it under LEERPAD_HOME/uploads (each
    upload in a folder of its own, removed with it); a file named by `leerpad ingest` or anyone else
    is left alone."""
    uploads = runtime.settings.uploads_dir.resolve()
    path = Path(str(payload.get("path") or ""))
    try:
        relative = path.resolve().relative_to(uploads)
    except (ValueError, OSError):
        return
    if not relative.parts:
        return
    try:
        path.unlink(missing_ok=True)
        if len(relative.parts) > 2:  # uploads/<tenant>/<upload>/<file>: the upload's own folder
            path.parent.rmdir()
    except OSError as exc:  # say, someone put another file beside it: not worth failing for
        log.warning("could not remove the upload %s: %s", path, exc)


def requeue_orphans(runtime: Runtime) -> int:
    """Put back in the queue the running jobs whose worker is gone, and return how many:

    - at once, a job held by a worker of this host whose process no longer exists (or, when it names
      this very process, whose thread does not run any more: a container restarted with the same
      host name and process id);
    - from any host, a job whose lease ran out: no heartbeat (or, before the first, no start) for
      LEERPAD_JOB_LEASE_SECONDS. On SQLite a job held by a live process of this host is left to it
      (its heartbeats wait while a long import holds the database's write lock).

    A job that has already been started LEERPAD_JOB_MAX_ATTEMPTS times is failed instead of queued.
    Each change is conditional on the row being as it was read, so several workers may look at once."""
    settings = runtime.settings
    stale_before = utcnow() - timedelta(seconds=settings.job_lease_seconds)
    sqlite = runtime.engine.dialect.name == "sqlite"
    requeued = 0
    failed: list[tuple[str, dict[str, Any], float]] = []
    with transaction(runtime.sessions) as session:
        for job in repo.running_jobs(session):
            holder = _local_holder(job.locked_by or "")
            last_sign = job.heartbeat_at or job.started_at or job.created_at
            if holder == "gone":
                guard, why = None, f"its worker {job.locked_by} is gone"
            elif holder == "alive" and sqlite:
                continue
            elif last_sign < stale_before:
                guard, why = stale_before, f"no heartbeat from {job.locked_by} since {last_sign.isoformat()}"
            else:
                continue
            fields = {"job_id": job.id, "kind": job.kind, "attempts": job.attempts}
            if job.attempts >= settings.job_max_attempts:
                error = (
                    f"interrupted {job.attempts} times: its worker stopped while running it "
                    f"(last: {why}); not tried again"
                )
                if repo.fail_running_job(session, job.id, error, owner=job.locked_by, stale_before=guard):
                    log.error("job %s (%s) failed: %s", job.id, job.kind, error, extra=fields)
                    ran = (utcnow() - (job.started_at or job.created_at)).total_seconds()
                    failed.append((job.kind, dict(job.payload), ran))
            elif repo.requeue_job(session, job.id, owner=job.locked_by, stale_before=guard):
                log.warning("job %s (%s) queued again: %s", job.id, job.kind, why, extra=fields)
                requeued += 1
    for kind, payload, seconds in failed:  # after the commit: the failure is recorded before the file goes
        record_job(kind, "failed", seconds)
        if kind == INGEST:
            remove_upload(runtime, payload)
    return requeued


def _local_holder(locked_by: str) -> str:
    """`gone` when `locked_by` (host:pid:thread) names a worker of this host that cannot be running
    its job any more, `alive` when it names a live one of this host, `elsewhere` otherwise."""
    host, _, rest = locked_by.partition(":")
    pid, _, thread = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return "elsewhere"
    if int(pid) != os.getpid():
        return "alive" if process_alive(int(pid)) else "gone"
    # This process: the thread that asks runs no job while it asks, and a thread that has ended
    # runs none either (a restarted container reuses host name, process id and thread ids).
    running = {t.ident for t in threading.enumerate()} - {threading.get_ident()}
    return "alive" if thread.isdigit() and int(thread) in running else "gone"
