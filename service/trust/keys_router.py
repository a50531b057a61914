"""The tenant's API keys for its admins: list them and revoke one, as `leerpad keys list/revoke` do.

A key's secret is never shown (only its hash is stored); a revoked key is refused (401) from the next
request on, in every worker, because every request looks the key up in the database, and its
dashboard logins end with it (models.repositories.revoke_api_key).
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from models import repositories as repo
from service.http.deps import AdminCaller, SessionDep
from service.http.errors import Conflict, NotFound, problem_responses
from service.http.params import RowId
from service.trust.keys_schemas import ApiKeyPublic

router = APIRouter(prefix="/v1", tags=["keys"])


@router.get("/keys", response_model=list[ApiKeyPublic], responses=problem_responses(401, 403))
def list_keys(caller: AdminCaller, session: SessionDep) -> list[ApiKeyPublic]:
    """The tenant's keys, revoked ones too: id, prefix, role, employee, label, created, revoked, last
    used (null: never)."""
    return [ApiKeyPublic.of(key) for key in repo.list_api_keys(session, caller.tenant_id)]


@router.delete(
    "/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 403, 404, 409)
)
def revoke_key(key_id: RowId, caller: AdminCaller, session: SessionDep) -> Response:
    """Revoke one of the tenant's keys; 409 when it was revoked already, 409 for the caller's own key
    (an admin who locks themselves out needs the CLI)."""
    key = repo.get_api_key(session, caller.tenant_id, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    if key.id == caller.key_id:
        raise Conflict(
            "this is the key of this request; revoke it with another admin key or `leerpad keys revoke`"
        )
    if not repo.revoke_api_key(session, key):
        raise Conflict(f"API key {key_id} was revoked already")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
