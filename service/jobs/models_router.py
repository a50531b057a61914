"""The ranking model registry: queue a retraining run, list what was trained and what is active."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from service.http.deps import AdminCaller, CatalogManager, RuntimeDep, SessionDep
from service.http.errors import problem_responses
from service.jobs.queue import enqueue_retrain
from service.jobs.ranking_schemas import RankingModelPublic, RegistryPublic
from service.jobs.retraining import active_version, registry
from service.jobs.schemas import JobPublic, job_public

router = APIRouter(prefix="/v1", tags=["models"])


@router.post(
    "/models/retrain",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobPublic,
    responses=problem_responses(401, 403, 422),
)
def queue_retrain(
    caller: AdminCaller,
    runtime: RuntimeDep,
    min_improvement: Annotated[
        float, Query(ge=0.0, le=1.0, description="How much better the promotion metric must be")
    ] = 0.0,
) -> JobPublic:
    """Queue a retraining run; follow it at GET /v1/jobs/{id}, whose report says whether it was promoted.

    Run it on a schedule rather than until it promotes: retrying on the same data until a candidate
    wins defeats the significance check (docs/ranking-model.md)."""
    return job_public(enqueue_retrain(runtime, caller.tenant_id, min_improvement=min_improvement))


@router.get("/models", response_model=RegistryPublic, responses=problem_responses(401, 403))
def list_models(caller: CatalogManager, session: SessionDep) -> RegistryPublic:
    """Every model retraining produced for the caller's tenant, newest first, and the one in use."""
    entries = registry(session, caller.tenant_id)
    return RegistryPublic(
        active_version=active_version(entries),
        models=[RankingModelPublic(**entry.to_json()) for entry in entries],
    )
