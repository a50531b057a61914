"""API keys for test callers: the Authorization header of a caller with a role in a tenant."""

from __future__ import annotations

from models import repositories as repo
from models.db import transaction
from service.core.runtime import Runtime


def make_key(
    runtime: Runtime, tenant: str, role: str = "admin", employee: str | None = None
) -> dict[str, str]:
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        _, secret = repo.create_api_key(session, row, role, employee_id=employee)
    return {"Authorization": f"Bearer {secret}"}
