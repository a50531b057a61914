"""The audit log as an admin reads it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEntryPublic(BaseModel):
    entry_id: int
    at: datetime
    key_id: int | None
    role: str | None
    method: str
    route: str
    subject: str | None  # the pseudonym of the employee the request was about
    query: dict[str, Any]
    body_sha256: str | None
    body_bytes: int
    status: int
    answer_sha256: str | None
    model_version: str | None
    index_version: int | None
    duration_ms: float
    request_id: str | None = None  # the X-Request-ID of the answer, also on the request's log lines


class AuditPage(BaseModel):
    entries: list[AuditEntryPublic]
    next_cursor: str | None
    retention_days: int
