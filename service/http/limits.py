"""Limits that protect the service from oversized and flooding requests, as ASGI middleware.

- `BodySizeLimit`: a body-size cap for every request, enforced while the body streams in (413): a small
  one for JSON and forms, sized from the largest valid request, and a large one for catalog uploads.
- `RateLimit`: a budget per API key, or per client address without one (429, Retry-After): in
  Redis, shared by every process, when LEERPAD_REDIS_URL is set; else a token bucket per process.

Counts (at most 1000 statements in POST /v1/events, at most 1000 figures, a page's `limit`) are
checked by the request models or the routes, and answer 422; text no database can store is refused
by service.http.input_guard.TextGuard.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.cookies import SESSION_COOKIE
from service.http.errors import PROBLEM_JSON
from service.http.shared_budgets import SharedBudgets

# Paths no rate limit applies to: load balancers poll the health checks, Prometheus scrapes the
# metrics, browsers fetch the assets.
RATE_LIMIT_EXEMPT = ("/healthz", "/readyz", "/metrics")
RATE_LIMIT_EXEMPT_PREFIXES = ("/static/",)


async def send_problem(
    send: Send,
    scope: Scope,
    status: int,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """An answer in the shape of service.http.errors.problem, from middleware (outside FastAPI's handlers)."""
    problem = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    problem["instance"] = str(scope.get("path", "")).encode("utf-8", "backslashreplace").decode()
    body = json.dumps({**problem, **(extra or {})}).encode()
    raw_headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    raw_headers += [
        (name.lower().encode(), value.encode("latin-1")) for name, value in (headers or {}).items()
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    pass


def media_type(scope: Scope) -> str:
    """The request's media type, lower case, without parameters; empty when none is declared."""
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            return str(value.decode("latin-1").split(";", 1)[0].strip().lower())
    return ""


class BodySizeLimit:
    """Refuses a declared Content-Length over the limit at once, and cuts off a longer streamed body.

    Two limits: `max_upload_bytes` for a multipart body sent to one of `upload_paths` (a catalog
    file), `max_bytes` for every other body. Without the second, a JSON body as large as an upload
    was read and parsed whole (a 24 MB array of 3 million objects) only to be refused by the route.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_upload_bytes: int | None = None,
        upload_paths: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_bytes if max_upload_bytes is None else max_upload_bytes
        self.upload_paths = upload_paths

    def limit_for(self, scope: Scope) -> int:
        """The cap of this request: the upload cap only for a multipart body to an upload route."""
        if scope.get("path") in self.upload_paths and media_type(scope) == "multipart/form-data":
            return self.max_upload_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        what = "an upload" if limit == self.max_upload_bytes != self.max_bytes else "this request"
        detail = f"request body is larger than the limit of {limit} bytes for {what}"
        await send_problem(send, scope, 413, "Payload too large", detail)


def rate_limited(path: str) -> bool:
    return path not in RATE_LIMIT_EXEMPT and not path.startswith(RATE_LIMIT_EXEMPT_PREFIXES)


def client_identity(scope: Scope) -> str:
    """Whose bucket a request draws from: its API key (as a digest: no key is kept in memory) from the
    Authorization header, Bearer or Basic (the LRS's LMSs send the key as the Basic password: one key
    is one bucket whichever way it comes, and LMSs behind one address do not share one), else the
    dashboard session from its cookie, else the client's address. An unknown key or session gets a
    bucket of its own too; it is checked later, by the route."""
    headers = dict(scope.get("headers") or [])
    authorization = headers.get(b"authorization", b"").decode("latin-1").strip()
    scheme, _, token = authorization.partition(" ")
    key = {"bearer": token.strip(), "basic": _basic_password(token)}.get(scheme.lower(), "")
    kind = "key"
    if not key and b"cookie" in headers:
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(headers[b"cookie"].decode("latin-1"))
        except Exception:  # a malformed cookie header is no session
            cookie = SimpleCookie()
        morsel = cookie.get(SESSION_COOKIE)
        key, kind = (morsel.value.strip() if morsel is not None else ""), "session"
    if key:
        return f"{kind}:" + hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return client_address(scope)


def _basic_password(token: str) -> str:
    """The password of Basic credentials (the key), or "" when they are not base64 of user:password."""
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


def client_address(scope: Scope) -> str:
    """The client's address (behind a proxy, uvicorn's --proxy-headers makes it the real client's)."""
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


class TokenBuckets:
    """One token bucket per identity: `burst` tokens at most, refilled at `per_minute` a minute; a
    request takes one. Idle identities are forgotten past `max_identities` (oldest first), which only
    hands them a full bucket again."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_identities: int = 100_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(burst, 1))
        self.clock = clock
        self.max_identities = max_identities
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, identity: str) -> float:
        """Take a token: 0.0 when there was one, else the seconds until there will be."""
        return self._draw(identity, take=True)

    def peek(self, identity: str) -> float:
        """0.0 when a token is there (none is taken), else the seconds until there will be one."""
        return self._draw(identity, take=False)

    def _draw(self, identity: str, take: bool) -> float:
        now = self.clock()
        tokens, then = self._buckets.pop(identity, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        wait = 0.0
        if tokens < 1.0:
            wait = (1.0 - tokens) / self.rate
        elif take:
            tokens -= 1.0
        self._buckets[identity] = (tokens, now)
        while len(self._buckets) > self.max_identities:
            self._buckets.popitem(last=False)
        return wait


class Budgets(Protocol):
    """Where RateLimit counts: 0.0 when the identity has a request left, else the seconds to wait."""

    async def take(self, identity: str) -> float: ...

    async def peek(self, identity: str) -> float: ...


class LocalBudgets:
    """This process's own token buckets, as Budgets."""

    def __init__(self, buckets: TokenBuckets) -> None:
        self.buckets = buckets

    async def take(self, identity: str) -> float:
        return self.buckets.take(identity)

    async def peek(self, identity: str) -> float:
        return self.buckets.peek(identity)


def budgets(
    per_minute: int, burst: int, clock: Callable[[], float], redis_url: str, redis_prefix: str
) -> Budgets:
    """Budgets in Redis when a URL is given (counted here while Redis is away), else in this process."""
    local = TokenBuckets(per_minute, burst, clock)
    if not redis_url:
        return LocalBudgets(local)
    return SharedBudgets(redis_url, redis_prefix, per_minute, burst, fallback=local, clock=clock)


class RateLimit:
    """Answers 429 (problem+json, with Retry-After in seconds) to a caller past its rate.

    Every key has a bucket of its own, and so has every client address for requests without a key.
    Since any made-up key would get a fresh bucket, answers of 401 also draw from a second bucket per
    client address: an address that spent it (guessing keys) gets 429 whatever key it sends next,
    until the bucket refills.

    With `redis_url` (LEERPAD_REDIS_URL) the budgets live in Redis (service.http.shared_budgets), one
    per key for every worker and replica that shares it, under `redis_prefix`. Without it they live in
    this process's memory: with several uvicorn workers (`leerpad serve --workers N`) or several
    replicas, each keeps its own, so one key may make up to N times the configured rate in all. The
    middleware runs on the event loop, one request at a time through the buckets, so it needs no lock.
    """

    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        redis_url: str = "",
        redis_prefix: str = "leerpad",
    ) -> None:
        self.app = app
        self.per_minute = per_minute
        self.buckets: Budgets | None = None
        self.failures: Budgets | None = None
        if per_minute > 0:
            self.buckets = budgets(per_minute, burst, clock, redis_url, f"{redis_prefix}:rate:caller")
            self.failures = budgets(per_minute, burst, clock, redis_url, f"{redis_prefix}:rate:401")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self.buckets is None
            or self.failures is None
            or not rate_limited(str(scope.get("path", "")))
        ):
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        wait = await self.failures.peek(address) or await self.buckets.take(client_identity(scope))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            detail = f"too many requests: at most {self.per_minute} a minute; retry after {retry_after} s"
            headers = {"Retry-After": str(retry_after)}
            await send_problem(send, scope, 429, "Too many requests", detail, headers)
            return
        failures = self.failures

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                await failures.take(address)
            await send(message)

        await self.app(scope, receive, counting_send)
