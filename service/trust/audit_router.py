"""The audit log for the tenant's admin: who asked what, and what was answered."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models import audit_repository as audit_repo
from service.core.schemas import IsoDateTime
from service.http.deps import AdminCaller, RuntimeDep, SessionDep
from service.http.errors import problem_responses
from service.http.pagination import decode_cursor, keyset_page
from service.trust.audit_schemas import AuditEntryPublic, AuditPage

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPage, responses=problem_responses(401, 403, 422))
def audit_log(
    caller: AdminCaller,
    session: SessionDep,
    runtime: RuntimeDep,
    since: Annotated[IsoDateTime | None, Query(description="Entries from this moment on")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="From next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """The tenant's audit entries, oldest first, a page at a time; kept for the retention period."""
    rows = audit_repo.entries(session, caller.tenant_id, since, decode_cursor(cursor), limit + 1)
    page, next_cursor = keyset_page(rows, limit)
    return AuditPage(
        entries=[
            AuditEntryPublic(
                entry_id=row.id,
                at=row.at,
                key_id=row.key_id,
                role=row.role,
                method=row.method,
                route=row.route,
                subject=row.subject,
                query=row.query,
                body_sha256=row.body_sha256,
                body_bytes=row.body_bytes,
                status=row.status,
                answer_sha256=row.answer_sha256,
                model_version=row.model_version,
                index_version=row.index_version,
                duration_ms=row.duration_ms,
                request_id=row.request_id,
            )
            for row in page
        ],
        next_cursor=next_cursor,
        retention_days=runtime.settings.audit_retention_days,
    )
