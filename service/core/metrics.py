"""What the work of a process counts as it happens, outside any HTTP request: catalog imports and jobs.

- `leerpad_ingest_runs_total{kind, outcome}`: imports (`ok`, `dry_run`, `refused`: the file could
  not be used, `error`); `leerpad_ingest_items_total{kind, change}`: items `created`, `updated`,
  `unchanged`, `retired`, `rejected` by imports that were not dry runs;
  `leerpad_ingest_embedded_texts_total{kind}`: texts the encoder embedded.
- `leerpad_jobs_total{kind, outcome}` (`succeeded`, `failed`) and `leerpad_job_duration_seconds{kind}`;
  `leerpad_job_poll_timestamp_seconds{loop}`: when a job loop last looked for work or renewed its
  running job's lease.

They live here, below the HTTP plumbing, because the runtime (service.core.runtime) and the job loop
count with them too; service.http.metrics adds the HTTP counters and serves them all at `GET /metrics`.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec

from prometheus_client import Counter, Gauge, Histogram

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport

log = logging.getLogger("leerpad.metrics")
P = ParamSpec("P")

JOB_KINDS = ("ingest", "retrain", "retag", "audit-purge", "issue-badges")
INGEST_KINDS = ("coursera", "goodhabitz", "wiki", "csv")  # the contract's KINDs (ingest.sources)

INGEST_RUNS = Counter(
    "leerpad_ingest_runs_total",
    "Catalog imports, by kind and outcome (ok, dry_run, refused, error)",
    ["kind", "outcome"],
)
INGEST_ITEMS = Counter(
    "leerpad_ingest_items_total",
    "Catalog items by what an import did to them (created, updated, unchanged, retired, rejected)",
    ["kind", "change"],
)
INGEST_EMBEDDED = Counter(
    "leerpad_ingest_embedded_texts_total", "Texts embedded by catalog imports", ["kind"]
)
JOBS = Counter("leerpad_jobs_total", "Jobs run, by kind and outcome (succeeded, failed)", ["kind", "outcome"])
JOB_DURATION = Histogram(
    "leerpad_job_duration_seconds",
    "How long jobs ran, by kind",
    ["kind"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0),
)

JOB_POLL = Gauge(
    "leerpad_job_poll_timestamp_seconds",
    "When a job loop (leerpad worker, or an API's job thread) last looked for work or renewed the "
    "lease of the job it runs, Unix time: a value that stops moving is a stuck or dead worker; "
    "by loop (worker: leerpad worker, api: the job thread of an API process)",
    ["loop"],  # labelled, so nothing is written before the multiprocess folder exists
    multiprocess_mode="max",
)
JOB_LOOPS = ("worker", "api")


def recorded_safely(record: Callable[P, None]) -> Callable[P, None]:
    """A metric that cannot be written (say, PROMETHEUS_MULTIPROC_DIR is not writable) is logged;
    it never fails the request, import or job it was counting."""

    @functools.wraps(record)
    def safely(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            record(*args, **kwargs)
        except Exception:
            log.warning("could not record the metric %s", record.__name__, exc_info=True)

    return safely


@recorded_safely
def record_ingest(kind: str, outcome: str, report: IngestReport | None = None) -> None:
    """One import: its outcome, and what it did when it changed something (not a dry run)."""
    kind = kind if kind in INGEST_KINDS else "other"
    INGEST_RUNS.labels(kind, outcome).inc()
    if report is None or report.dry_run:
        return
    counts = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "retired": report.retired,
        "rejected": report.rejected_total,
    }
    for change, count in counts.items():
        if count:
            INGEST_ITEMS.labels(kind, change).inc(count)
    if report.embedded:
        INGEST_EMBEDDED.labels(kind).inc(report.embedded)


@recorded_safely
def record_job_poll(loop: str) -> None:
    JOB_POLL.labels(loop if loop in JOB_LOOPS else "other").set(time.time())


@recorded_safely
def record_job(kind: str, outcome: str, seconds: float) -> None:
    kind = kind if kind in JOB_KINDS else "other"
    JOBS.labels(kind, outcome).inc()
    JOB_DURATION.labels(kind).observe(seconds)
