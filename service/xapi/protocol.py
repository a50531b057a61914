"""The LRS endpoint's side of HTTP: who is calling (HTTP Basic as LMSs send it, or Bearer), the
X-Experience-API-Version header both ways, and errors as xAPI asks (400, not 422, for every invalid
request; 401 with a Basic challenge), each answer carrying the version header.

The key itself is checked by service.http.deps.caller_for_key, the one check every route uses; this
module only reads it out of the Basic credentials and holds the caller to its tenant and role.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from recommender.errors import INVALID, LeerpadError
from service.http.deps import Caller, SessionDep, caller_for_key, remember_caller
from service.http.errors import STATUSES, Forbidden, Unauthorized, Unprocessable, problem

VERSION_HEADER = "X-Experience-API-Version"
VERSION = "1.0.3"
SUPPORTED_VERSIONS = ("1.0.3", "1.0.2", "1.0.1", "1.0.0")
_ACCEPTED_VERSION = re.compile(r"^1\.0(\.[0-3])?$")
REALM = 'Basic realm="Leerpad xAPI", charset="UTF-8"'
PREFIX = "/xapi"
STATEMENTS = PREFIX + "/statements"
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"


def _credentials(header: str) -> tuple[str | None, str]:
    """(username, key) of a Basic header, (None, key) of a Bearer one; 401 for anything else."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return None, value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized(
                "Authorization: Basic credentials that are not base64 of user:password"
            ) from None
        user, colon, password = decoded.partition(":")
        if colon and password:
            return user, password
    raise Unauthorized("send HTTP Basic credentials: the tenant as username, an lms or admin key as password")


class LrsRule:
    """The LRS's caller: an lms or admin key of the tenant named as the Basic username. Carries
    `allowed_roles` like service.http.deps.RoleRule, so the authorization walk finds it."""

    allowed_roles: tuple[str, ...] = ("admin", "lms")

    def __call__(self, request: Request, session: SessionDep) -> Caller:
        user, key = _credentials(request.headers.get("authorization", ""))
        caller = caller_for_key(session, key)
        if user is not None and user != caller.tenant_slug:
            raise Unauthorized("the username is not the tenant of this key")
        if caller.role not in self.allowed_roles:
            raise Forbidden(f"role {caller.role!r} may not use the LRS endpoint; allowed: admin, lms")
        remember_caller(request, caller)
        require_version(request)
        return caller


def require_version(request: Request) -> None:
    sent = request.headers.get(VERSION_HEADER)
    if sent is None:
        raise Unprocessable(f"{VERSION_HEADER}: missing; send 1.0.3")
    if not _ACCEPTED_VERSION.match(sent.strip()):
        raise Unprocessable(f"{VERSION_HEADER}: {sent[:20]!r} is not supported; send 1.0.3")


LrsCaller = Annotated[Caller, Depends(LrsRule())]


def xapi_error(request: Request, exc: LeerpadError) -> Response:
    """An error under /xapi/: the status of its code, except that invalid input is 400 (xAPI's word
    for every invalid request); a fault (a code without a status) is raised on to the 500 handler."""
    if exc.code not in STATUSES:
        raise exc
    status, title = (400, "Bad request") if exc.code == INVALID else STATUSES[exc.code]
    headers = {"WWW-Authenticate": REALM} if status == 401 else None
    return problem(status, title, exc.message, request.url.path, headers=headers)


def consistent_through(moment: datetime) -> str:
    """X-Experience-API-Consistent-Through: one database, written in each request's transaction, so
    every statement stored before the request began is in its answer."""
    return moment.isoformat().replace("+00:00", "Z")


class XapiRoute(APIRoute):
    """The route class of the LRS router: its errors, the dependencies' included, answer as
    `xapi_error` says, and FastAPI's own request validation answers 400. Every answer to a GET of
    statements carries X-Experience-API-Consistent-Through, its errors' too (xAPI asks for it
    "regardless of the code returned"; clients read it to decide how long to wait for a statement)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            started = datetime.now(UTC)
            try:
                response = await handler(request)
            except LeerpadError as exc:
                response = xapi_error(request, exc)
            except RequestValidationError as exc:
                where = "; ".join(
                    f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}"
                    for err in exc.errors()[:5]
                )
                response = xapi_error(request, Unprocessable(where or "invalid request"))
            if request.method in ("GET", "HEAD") and request.url.path == STATEMENTS:
                response.headers[CONSISTENT_THROUGH] = consistent_through(started)
            return response

        return handle


class VersionHeader:
    """Every answer under /xapi/ carries X-Experience-API-Version, and none is 422: those of the
    middleware (413, 429, and the input guard's refusal of text no database can store) included. xAPI
    answers every invalid request with 400, and conformance clients check the exact code, so a 422
    from anything below becomes 400 here (its problem+json status and title with it). ASGI middleware,
    outside the limits and the input guard, because a route cannot reach their answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        held: Message | None = None  # the start of a 422, held until its body is rewritten
        body: list[bytes] = []

        async def versioned(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-experience-api-version"
                ]
                message = {**message, "headers": [*headers, (b"x-experience-api-version", VERSION.encode())]}
                if message["status"] == 422:
                    held = message
                    return
            elif message["type"] == "http.response.body" and held is not None:
                body.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                start, rewritten = _as_bad_request(held, b"".join(body))
                await send(start)
                message = {"type": "http.response.body", "body": rewritten}
            await send(message)

        await self.app(scope, receive, versioned)


def _as_bad_request(start: Message, body: bytes) -> tuple[Message, bytes]:
    """A 422 answer as 400: the status, and a problem+json body's status and title."""
    try:
        problem_body = json.loads(body)
    except ValueError:
        problem_body = None
    if isinstance(problem_body, dict) and problem_body.get("status") == 422:
        body = json.dumps({**problem_body, "status": 400, "title": "Bad request"}).encode()
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    return {**start, "status": 400, "headers": headers}, body
