"""Liveness, readiness and metrics: ready only with a reachable database and a valid index loaded."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from service.core.runtime import Runtime
from service.http.deps import RuntimeDep
from service.http.metrics import CONTENT_TYPE, RuntimeCollector, exposition

router = APIRouter(tags=["health"])
log = logging.getLogger("leerpad")


@dataclass
class Readiness:
    problems: list[str] = field(default_factory=list)
    loaded: int = 0
    vectors: int = 0

    @property
    def ready(self) -> bool:
        return not self.problems


def readiness(runtime: Runtime) -> Readiness:
    """Whether the database answers and every tenant's index is loaded and matches the database.
    Names no tenant in what it returns (operators read the log for details)."""
    state = Readiness()
    db_problem = runtime.database_ok()
    if db_problem:
        state.problems.append(db_problem)
        return state
    tenants = runtime.tenants_with_catalog()
    if not tenants:
        state.problems.append("no catalog ingested yet, so no index is loaded")
    stale = 0
    for slug in tenants:
        problem = runtime.check_index(slug, repair=False)
        snapshot = None if problem else runtime.snapshots.get(runtime.store(slug))
        if problem or snapshot is None:
            stale += 1
            log.warning("readiness: index of tenant %s: %s", slug, problem)
        else:
            state.loaded, state.vectors = state.loaded + 1, state.vectors + snapshot.count
    if stale:
        state.problems.append(
            f"{stale} of {len(tenants)} catalog indexes not loaded or not matching the database"
        )
    return state


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Ready to serve: database reachable and every catalog's index loaded")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Unauthenticated, so it names no tenant: counts only (operators read the log for details)."""
    state = readiness(runtime)
    body = {
        "status": "ready" if state.ready else "not ready",
        "problems": state.problems,
        "indexes": {"loaded": state.loaded, "vectors": state.vectors},
    }
    return JSONResponse(body, status_code=200 if state.ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics in the text exposition format",
    response_class=PlainTextResponse,
    response_description="The metrics (text/plain; version=1.0.0)",
)
def metrics(runtime: RuntimeDep) -> PlainTextResponse:
    """Request latency by route template, imports, jobs, the index aggregates and readiness
    (service/http/metrics.py). Unauthenticated, so no metric names a tenant; not rate limited, not audited."""
    collector = RuntimeCollector(runtime.settings.index_root, lambda: readiness(runtime).ready)
    return PlainTextResponse(exposition(collector), media_type=CONTENT_TYPE)
