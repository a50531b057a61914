"""Liveness and readiness: ready only with a reachable database and a valid index loaded."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Ready to serve: database reachable and every catalog's index loaded")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    problems: list[str] = []
    indexes: dict[str, Any] = {}
    db_problem = runtime.database_ok()
    if db_problem:
        problems.append(db_problem)
    else:
        tenants = runtime.tenants_with_catalog()
        if not tenants:
            problems.append("no catalog ingested yet, so no index is loaded")
        for slug in tenants:
            problem = runtime.check_index(slug, repair=False)
            snapshot = None if problem else runtime.snapshots.get(runtime.store(slug))
            if problem:
                problems.append(f"{slug}: {problem}")
            elif snapshot is not None:
                indexes[slug] = {"version": snapshot.manifest.version, "count": snapshot.count}
    body = {"status": "not ready" if problems else "ready", "problems": problems, "indexes": indexes}
    return JSONResponse(body, status_code=503 if problems else 200)
