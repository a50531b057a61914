"""The tenant's own switches: for now, who may see one employee's gap scores (service.visibility)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from models import repositories as repo
from service.deps import Caller, CatalogManager, SessionDep, require
from service.errors import NotFound, problem_responses
from service.schemas.tenant_settings import TenantSettings

router = APIRouter(prefix="/v1", tags=["settings"])
AdminCaller = Annotated[Caller, Depends(require("admin"))]


def _settings(session: SessionDep, tenant_id: int) -> TenantSettings:
    tenant = repo.get_tenant_by_id(session, tenant_id)
    if tenant is None:
        raise NotFound("the key's tenant no longer exists")
    return TenantSettings(individual_gaps=tenant.individual_gaps)  # type: ignore[arg-type]


@router.get("/settings", response_model=TenantSettings, responses=problem_responses(401, 403))
def read_settings(caller: CatalogManager, session: SessionDep) -> TenantSettings:
    return _settings(session, caller.tenant_id)


@router.put("/settings", response_model=TenantSettings, responses=problem_responses(401, 403, 422))
def change_settings(body: TenantSettings, caller: AdminCaller, session: SessionDep) -> TenantSettings:
    """Change who may see individual gap scores; agree it with the works council (docs/works-council.md)."""
    tenant = repo.get_tenant_by_id(session, caller.tenant_id)
    if tenant is None:
        raise NotFound("the key's tenant no longer exists")
    tenant.individual_gaps = body.individual_gaps
    session.flush()
    return _settings(session, caller.tenant_id)
