"""The tenant's own switches: who may see one employee's gap scores (service.people.visibility) and how
relevant a unit must be to become a path step (service.paths.step_relevance)."""

from __future__ import annotations

from fastapi import APIRouter

from models import repositories as repo
from models.tables import Tenant
from recommender.paths import MIN_STEP_RELEVANCE
from service.http.deps import AdminCaller, CatalogManager, SessionDep
from service.http.errors import NotFound, problem_responses
from service.paths.step_relevance import step_relevance_bar
from service.trust.settings_schemas import TenantSettings, TenantSettingsChange

router = APIRouter(prefix="/v1", tags=["settings"])


def _tenant(session: SessionDep, tenant_id: int) -> Tenant:
    tenant = repo.get_tenant_by_id(session, tenant_id)
    if tenant is None:
        raise NotFound("the key's tenant no longer exists")
    return tenant


def _settings(session: SessionDep, tenant: Tenant) -> TenantSettings:
    return TenantSettings(
        individual_gaps=tenant.individual_gaps,  # type: ignore[arg-type]
        min_step_relevance=step_relevance_bar(session, tenant.id),
        min_step_relevance_default=MIN_STEP_RELEVANCE,
    )


@router.get("/settings", response_model=TenantSettings, responses=problem_responses(401, 403))
def read_settings(caller: CatalogManager, session: SessionDep) -> TenantSettings:
    return _settings(session, _tenant(session, caller.tenant_id))


@router.put("/settings", response_model=TenantSettings, responses=problem_responses(401, 403, 422))
def change_settings(body: TenantSettingsChange, caller: AdminCaller, session: SessionDep) -> TenantSettings:
    """Change the fields given. Agree who sees individual gap scores with the works council
    (docs/works-council.md)."""
    tenant = _tenant(session, caller.tenant_id)
    if body.individual_gaps is not None:
        tenant.individual_gaps = body.individual_gaps
    if "min_step_relevance" in body.model_fields_set:
        tenant.min_step_relevance = body.min_step_relevance
    session.flush()
    return _settings(session, tenant)
