"""The audit trail: every API request, who asked, what, which model and index answered, and what.

An ASGI middleware writes one `audit_log` row per `/v1/` request after the answer is sent. It keeps
digests, not contents: the SHA-256 of the request body and of the answer (a disputed answer can be
checked against a copy), the query parameters, the route template, the caller's key and role, and
the request id that the answer and the request's log lines carry (service.http.request_log).
The employee a request is about is named by a pseudonym (a keyed hash, `pseudonym`), so the log
holds no employee key in clear and needs no erasing when an employee is erased. Entries older than
the retention (`LEERPAD_AUDIT_RETENTION_DAYS`, default 183) are deleted by the daily `audit-purge`
job of each tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import audit_repository as audit_repo
from models import repositories as repo
from models.db import transaction
from models.tables import AuditEntry, utcnow
from service.core.home_secret import home_secret
from service.core.runtime import Runtime
from service.http.request_log import current_request_id

log = logging.getLogger("leerpad.audit")

AUDITED_PREFIX = "/v1/"
AUDIT_PURGE = "audit-purge"
PURGE_EVERY = timedelta(days=1)
MAX_PARSED_ANSWER = 2 * 1024 * 1024  # answers larger than this are hashed, not read for versions
SECRET_FILE = "pseudonym.key"
MAX_QUERY_VALUE = 200


def pseudonym_secret(runtime: Runtime) -> bytes:
    """A random secret kept in LEERPAD_HOME (made on first use), so pseudonyms cannot be reversed by
    hashing every likely employee key. Several API replicas must share the file (see README)."""
    return bytes.fromhex(
        home_secret(runtime.settings.resolved_home / SECRET_FILE, lambda: secrets.token_hex(32))
    )


def pseudonym(secret: bytes, tenant_id: int, employee_key: str) -> str:
    """The same employee always gets the same pseudonym within a tenant, and nothing leads back."""
    return hmac.new(secret, f"{tenant_id}:{employee_key}".encode(), hashlib.sha256).hexdigest()[:32]


def _versions(answer: bytes) -> tuple[str | None, int | None]:
    """`model_version` and `index_version` from a JSON answer that carries them."""
    if not answer or len(answer) > MAX_PARSED_ANSWER or answer[:1] != b"{":
        return None, None
    try:
        body = json.loads(answer)
    except ValueError:
        return None, None
    model = body.get("model_version") if isinstance(body, dict) else None
    index = body.get("index_version") if isinstance(body, dict) else None
    return (str(model) if model is not None else None, index if isinstance(index, int) else None)


def _query(scope: Scope) -> dict[str, Any]:
    from urllib.parse import parse_qsl

    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return {name[:MAX_QUERY_VALUE]: value[:MAX_QUERY_VALUE] for name, value in pairs[:50]}


def _route(scope: Scope) -> str:
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template or scope.get("path", ""))[:300]


class AuditTrail:
    """ASGI middleware: one audit row per `/v1/` request, written after the answer has gone out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(AUDITED_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body_hash, answer_hash = hashlib.sha256(), hashlib.sha256()
        body_bytes = 0
        status = 500
        answer = bytearray()

        async def hashing_receive() -> Message:
            nonlocal body_bytes
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                body_bytes += len(chunk)
                body_hash.update(chunk)
            return message

        async def hashing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                answer_hash.update(chunk)
                if len(answer) <= MAX_PARSED_ANSWER:
                    answer.extend(chunk)
            await send(message)

        try:
            await self.app(scope, hashing_receive, hashing_send)
        finally:
            entry = self._entry(scope, status, body_bytes, body_hash, answer_hash, bytes(answer), started)
            runtime: Runtime | None = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
            if runtime is not None:
                await anyio.to_thread.run_sync(write_entry, runtime, entry, scope)

    @staticmethod
    def _entry(
        scope: Scope,
        status: int,
        body_bytes: int,
        body_hash: Any,
        answer_hash: Any,
        answer: bytes,
        started: float,
    ) -> AuditEntry:
        caller = (scope.get("state") or {}).get("audit_caller")  # left by service.http.deps.remember_caller
        model, index = _versions(answer)
        return AuditEntry(
            at=utcnow(),
            tenant_id=getattr(caller, "tenant_id", None),
            key_id=getattr(caller, "key_id", None),
            role=getattr(caller, "role", None),
            method=str(scope.get("method", ""))[:8],
            route=_route(scope),
            query=_query(scope),
            body_sha256=body_hash.hexdigest() if body_bytes else None,
            body_bytes=body_bytes,
            status=status,
            answer_sha256=answer_hash.hexdigest() if answer else None,
            model_version=model,
            index_version=index,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            request_id=current_request_id(),  # set by service.http.request_log.RequestLog, outside this
        )


def write_entry(runtime: Runtime, entry: AuditEntry, scope: Scope) -> None:
    """Store the entry; the employee in the path, if any, as a pseudonym. A failure is logged: the
    answer has gone out already."""
    employee = (scope.get("path_params") or {}).get("employee_id")
    try:
        if employee and entry.tenant_id is not None:
            entry.subject = pseudonym(pseudonym_secret(runtime), entry.tenant_id, str(employee))
        if entry.tenant_id is None:
            return  # unauthenticated: nothing was read or changed, and no tenant to file it under
        with transaction(runtime.sessions) as session:
            audit_repo.append(session, entry)
    except Exception:  # the audit trail must not take the service down
        log.exception("could not write the audit entry for %s %s", entry.method, entry.route)


def purge_audit(runtime: Runtime, tenant_slug: str, now: datetime | None = None) -> dict[str, Any]:
    """Delete the tenant's audit entries older than the retention; the `audit-purge` job."""
    days = runtime.settings.audit_retention_days
    cutoff = (now or utcnow()) - timedelta(days=days)
    with transaction(runtime.sessions) as session:
        tenant = repo.get_or_create_tenant(session, tenant_slug)
        deleted = audit_repo.purge_before(session, tenant.id, cutoff)
    return {"deleted": deleted, "retention_days": days, "cutoff": cutoff.isoformat()}


def schedule_audit_purges(runtime: Runtime, now: datetime | None = None) -> int:
    """Queue an `audit-purge` job for every tenant whose last one is a day old (or never ran)."""
    moment = now or utcnow()
    queued = 0
    with transaction(runtime.sessions) as session:
        for tenant in repo.list_tenants(session):
            last = repo.latest_job_of_kind(session, tenant.id, AUDIT_PURGE)
            if last is None or last.created_at <= moment - PURGE_EVERY:
                repo.enqueue_job(session, tenant.id, AUDIT_PURGE, {})
                queued += 1
    return queued
