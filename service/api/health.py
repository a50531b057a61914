"""Liveness and readiness: ready only with a reachable database and a valid index loaded."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.deps import RuntimeDep

router = APIRouter(tags=["health"])
log = logging.getLogger("leerpad")


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Ready to serve: database reachable and every catalog's index loaded")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Unauthenticated, so it names no tenant: counts only (operators read the log for details)."""
    problems: list[str] = []
    loaded = vectors = 0
    db_problem = runtime.database_ok()
    if db_problem:
        problems.append(db_problem)
    else:
        tenants = runtime.tenants_with_catalog()
        if not tenants:
            problems.append("no catalog ingested yet, so no index is loaded")
        stale = 0
        for slug in tenants:
            problem = runtime.check_index(slug, repair=False)
            snapshot = None if problem else runtime.snapshots.get(runtime.store(slug))
            if problem or snapshot is None:
                stale += 1
                log.warning("readiness: index of tenant %s: %s", slug, problem)
            else:
                loaded, vectors = loaded + 1, vectors + snapshot.count
        if stale:
            problems.append(
                f"{stale} of {len(tenants)} catalog indexes not loaded or not matching the database"
            )
    body = {
        "status": "not ready" if problems else "ready",
        "problems": problems,
        "indexes": {"loaded": loaded, "vectors": vectors},
    }
    return JSONResponse(body, status_code=503 if problems else 200)
