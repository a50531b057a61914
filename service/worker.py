"""Running the queued jobs (service/jobs/queue.py holds the queue and the leases): one job at a time,
in a thread of an API process (`JobThread`) or in `leerpad worker` (`work_forever`). Here, on top
beside app and cli, because a job runs every domain's long work: imports, retagging, retraining,
the audit purge, nudges and issuing earned badges."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from ingest.pipeline import IngestError
from models import repositories as repo
from models.db import transaction
from service.badges.job import run_issue_badges
from service.core.badge_jobs import ISSUE_BADGES
from service.core.metrics import record_job, record_job_poll
from service.core.runtime import Runtime
from service.jobs.queue import (
    INGEST,
    RETAG,
    RETRAIN,
    Heartbeat,
    public_report,
    remove_upload,
    requeue_orphans,
    worker_name,
)
from service.jobs.retraining import retrain
from service.nudges.job import NUDGES, run_nudges, schedule_nudges
from service.skills.taxonomy import retag_catalog
from service.trust.audit import AUDIT_PURGE, purge_audit, schedule_audit_purges

log = logging.getLogger("leerpad.jobs")

POLL_SECONDS = 1.0
RETRY_SECONDS = 5.0  # after a loop round failed (the database unreachable)
SCHEDULE_SECONDS = 3600.0  # how often a worker checks whether a daily job is due
ORPHAN_CHECK_SECONDS = 60.0  # how often a running worker looks for jobs whose worker died


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
        allow_retire=bool(payload.get("allow_retire")),
    )
    return public_report(report.to_json(), payload)


def run_next_job(runtime: Runtime, worker: str | None = None, loop: str = "worker") -> bool:
    """Claim and run one queued job; False when the queue is empty."""
    me = worker or worker_name()
    with transaction(runtime.sessions) as session:
        job = repo.claim_next_job(session, me)
        if job is None:
            return False
        job_id, kind, payload = job.id, job.kind, dict(job.payload)
        tenant = repo.get_tenant_by_id(session, job.tenant_id)
        tenant_slug = tenant.slug if tenant else ""
    result: dict[str, Any] | None = None
    error: str | None = None
    started = time.perf_counter()
    with Heartbeat(runtime, job_id, me, loop=loop):
        try:
            if kind == INGEST:
                result = _run_ingest(runtime, tenant_slug, payload)
            elif kind == RETRAIN:
                result = _run_retrain(runtime, tenant_slug, payload)
            elif kind == RETAG:
                result = dict(retag_catalog(runtime, tenant_slug))
            elif kind == AUDIT_PURGE:
                result = purge_audit(runtime, tenant_slug)
            elif kind == NUDGES:
                result = run_nudges(runtime, tenant_slug)
            elif kind == ISSUE_BADGES:
                result = run_issue_badges(runtime, tenant_slug, payload)
            else:
                error = f"unknown job kind {kind!r}"
        except IngestError as exc:
            error = str(exc)
            result = public_report(exc.report.to_json(), payload) if exc.report else None
        except Exception as exc:  # a job must end in a state, whatever went wrong
            log.exception("job %s failed", job_id)
            error = f"{type(exc).__name__}: {exc}"
    with transaction(runtime.sessions) as session:
        recorded = repo.finish_job(session, job_id, me, result, error)
    seconds = time.perf_counter() - started
    outcome = "failed" if error else "succeeded"
    record_job(kind, outcome, seconds)
    fields = {"job_id": job_id, "kind": kind, "outcome": outcome, "duration_ms": round(seconds * 1000, 2)}
    if not recorded:
        log.warning(
            "job %s (%s) ended (%s), but its lease had run out and another worker took it over: "
            "this outcome is not recorded",
            job_id,
            kind,
            error or "ok",
            extra=fields,
        )
        return True
    if kind == INGEST:
        remove_upload(runtime, payload)  # ended for good: it is not run again
    log.info("job %s (%s) finished: %s", job_id, kind, error or "ok", extra=fields)
    return True


def requeue_due_orphans(runtime: Runtime, last: float) -> float:
    """`requeue_orphans` at most once every ORPHAN_CHECK_SECONDS per process; returns when it last
    looked. A surviving worker so picks up the job of one that died, within a lease and a minute."""
    now = time.monotonic()
    if last and now - last < ORPHAN_CHECK_SECONDS:
        return last
    requeue_orphans(runtime)
    return now


def schedule_due_nudges(runtime: Runtime, last: float) -> float:
    """Queue the `nudges` job of every tenant with a Slack or Teams integration, at most once every
    LEERPAD_NUDGE_CHECK_SECONDS per process; returns when it last looked."""
    now = time.monotonic()
    if last and now - last < runtime.settings.nudge_check_seconds:
        return last
    schedule_nudges(runtime)
    return now


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
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        scheduled_at = orphans_at = nudged_at = 0.0
        while not self._stop.is_set():
            record_job_poll("api")
            try:
                orphans_at = requeue_due_orphans(self.runtime, orphans_at)  # the first time: at once
                scheduled_at = schedule_due_jobs(self.runtime, scheduled_at)
                nudged_at = schedule_due_nudges(self.runtime, nudged_at)
                ran = run_next_job(self.runtime, loop="api")
            except Exception:  # keep the loop alive through a database hiccup
                log.exception("job loop error")
                ran = False
            if not ran:
                self._stop.wait(POLL_SECONDS)


def work_forever(runtime: Runtime, stop: threading.Event, once: bool = False) -> int:
    """The `leerpad worker` loop; returns how many jobs ran. A round that fails (the database gone
    for a moment, a failover) is logged and tried again after RETRY_SECONDS, so the worker outlives
    it; with `once` the error ends the run."""
    orphans_at = requeue_due_orphans(runtime, 0.0)
    done = 0
    scheduled_at = nudged_at = 0.0
    while not stop.is_set():
        record_job_poll("worker")
        try:
            if not once:  # --once runs what is queued; it does not queue more
                orphans_at = requeue_due_orphans(runtime, orphans_at)
                scheduled_at = schedule_due_jobs(runtime, scheduled_at)
                nudged_at = schedule_due_nudges(runtime, nudged_at)
            ran = run_next_job(runtime)
        except Exception:
            if once:
                raise
            log.exception("job loop error; trying again in %.0f s", RETRY_SECONDS)
            stop.wait(RETRY_SECONDS)
            continue
        if ran:
            done += 1
            continue
        if once:
            break
        stop.wait(POLL_SECONDS)
    return done
