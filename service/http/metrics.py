"""Prometheus metrics, served at `GET /metrics` in the text exposition format.

Counted as things happen (counters and histograms of prometheus_client):

- `leerpad_http_request_duration_seconds{method, route, status}`: a histogram of answer times;
  `route` is the route template (`/v1/employees/{employee_id}/path`, `unmatched` for a path no
  route serves), `status` the class (`2xx` ... `5xx`).
- `leerpad_http_requests_total{method, route, status}`: requests, by exact status code.
- `leerpad_ingest_runs_total{kind, outcome}`: imports (`ok`, `dry_run`, `refused`: the file could
  not be used, `error`); `leerpad_ingest_items_total{kind, change}`: items `created`, `updated`,
  `unchanged`, `retired`, `rejected` by imports that were not dry runs;
  `leerpad_ingest_embedded_texts_total{kind}`: texts the encoder embedded.
- `leerpad_jobs_total{kind, outcome}` (`succeeded`, `failed`) and `leerpad_job_duration_seconds{kind}`;
  `leerpad_job_poll_timestamp_seconds{loop}`: when a job loop (`worker`, or `api` for an API's job
  thread) last looked for work or renewed its running job's lease (the latest of all processes),
  for an alert on a worker that is stuck or gone. The import and job counters are defined in
  service.core.metrics, where the runtime and the job loop that count them can reach them.

Computed when scraped (from the index manifests on disk and the readiness check, so every worker
process answers the same): `leerpad_index_tenants` (tenants with a published index),
`leerpad_index_vectors` (vectors over all of them), `leerpad_index_version` (the highest current
snapshot version), `leerpad_index_published_timestamp_seconds` (when the newest one was published)
and `leerpad_ready` (1 when /readyz would answer 200). `/metrics` needs no key, so no metric is
labelled by tenant: tenant slugs are company names.

Several processes (`leerpad serve --workers N`, and a `leerpad worker` on the same host): set
`PROMETHEUS_MULTIPROC_DIR` to an empty folder writable by all of them before they start. Each
process then writes its counts to files there and `/metrics` adds them all up (prometheus_client's
multiprocess mode); `leerpad serve` creates the folder and clears files of processes that are gone.
Without it each process counts for itself and a scrape sees the worker process that answered.
A `leerpad worker` in a container of its own serves its counts itself (`--metrics-port`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    start_http_server,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.core.metrics import recorded_safely
from service.core.processes import process_alive
from service.http.request_log import route_template

log = logging.getLogger("leerpad.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

HTTP_DURATION = Histogram(
    "leerpad_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method, route template and status class",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
HTTP_REQUESTS = Counter(
    "leerpad_http_requests_total",
    "Requests answered, by method, route template and status",
    ["method", "route", "status"],
)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


@recorded_safely
def record_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in HTTP_METHODS else "other"  # no label value a client can make up
    HTTP_DURATION.labels(method, route, status_class(status)).observe(seconds)
    HTTP_REQUESTS.labels(method, route, str(status)).inc()


class RequestMetrics:
    """ASGI middleware: times every HTTP request and counts it by route template and status. It sits
    outside the rate limit and the size limit, so their 429 and 413 are counted too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception:
            status = status or 500  # answered as 500 by service.http.request_log.RequestLog
            raise
        finally:
            if status is not None:  # None: the client went away before any answer
                record_request(
                    str(scope.get("method", "")), route_template(scope), status, time.perf_counter() - started
                )


# --- computed when scraped -------------------------------------------------------------------------


class IndexStats:
    """What the published index snapshots of all tenants add up to, read from their manifests."""

    def __init__(self) -> None:
        self.tenants = 0
        self.vectors = 0
        self.highest_version = 0
        self.newest_published = 0.0


def index_stats(index_root: Path) -> IndexStats:
    """Reads each tenant's CURRENT pointer and manifest (two small files); loads no index."""
    from recommender.index import SnapshotStore

    stats = IndexStats()
    if not index_root.is_dir():
        return stats
    for folder in index_root.iterdir():
        if not folder.is_dir():
            continue
        store = SnapshotStore(folder)
        version = store.current_version()
        manifest = store.read_manifest(version) if version is not None else None
        if manifest is None:
            continue
        stats.tenants += 1
        stats.vectors += manifest.count
        stats.highest_version = max(stats.highest_version, manifest.version)
        try:
            published = datetime.fromisoformat(manifest.created_at).timestamp()
        except ValueError:
            continue
        stats.newest_published = max(stats.newest_published, published)
    return stats


class RuntimeCollector(Collector):
    """Gauges computed at scrape time: the index aggregates and readiness."""

    def __init__(self, index_root: Path, ready: Callable[[], bool]) -> None:
        self.index_root = index_root
        self.ready = ready

    def collect(self) -> Iterator[Metric]:
        stats = index_stats(self.index_root)
        yield GaugeMetricFamily(
            "leerpad_index_tenants", "Tenants with a published catalog index", value=stats.tenants
        )
        yield GaugeMetricFamily(
            "leerpad_index_vectors",
            "Vectors in the current index snapshots of all tenants",
            value=stats.vectors,
        )
        yield GaugeMetricFamily(
            "leerpad_index_version",
            "The highest current index snapshot version of any tenant",
            value=stats.highest_version,
        )
        yield GaugeMetricFamily(
            "leerpad_index_published_timestamp_seconds",
            "When the newest current index snapshot was published (Unix time; 0 without any)",
            value=stats.newest_published,
        )
        yield GaugeMetricFamily(
            "leerpad_ready",
            "1 when the database answers and every catalog's index matches it",
            value=int(self.ready()),
        )


class _Together(Collector):
    def __init__(self, collectors: Iterable[Collector]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV) or os.environ.get(MULTIPROC_ENV.lower())
    return Path(value) if value else None


def prepare_multiprocess_dir(clear_dead: bool = False) -> Path | None:
    """Create the multiprocess folder when one is set; with `clear_dead`, delete the files of
    processes that no longer run (left by an earlier start), so that counts begin again."""
    folder = multiprocess_dir()
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    if clear_dead:
        for file in folder.glob("*.db"):
            pid = file.stem.rsplit("_", 1)[-1]
            if pid.isdigit() and not process_alive(int(pid)):
                file.unlink(missing_ok=True)
    return folder


def counted_metrics() -> CollectorRegistry:
    """This process's counts, or in multiprocess mode all processes' summed from
    PROMETHEUS_MULTIPROC_DIR."""
    folder = prepare_multiprocess_dir()
    if folder is None:
        return REGISTRY
    counted = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(counted, path=str(folder))
    return counted


def exposition(*extra: Collector) -> bytes:
    """Every metric in the text format: the counted ones, then those the `extra` collectors compute
    now."""
    return generate_latest(_Together([counted_metrics(), *extra]))


def serve_counted_metrics(host: str, port: int) -> Callable[[], None]:
    """Serve `counted_metrics()` at http://host:port/metrics from a daemon thread, for a process
    that serves no API (`leerpad worker`: its job and import counts). Returns what stops it."""
    server, thread = start_http_server(port, host, registry=counted_metrics())
    log.info("metrics served on http://%s:%d/metrics", host, server.server_port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
