"""Structured logs: one JSON object per line, each line of a request carrying its request id.

- `JsonFormatter`: `time` (ISO 8601, UTC), `level`, `logger`, `message`, `request_id` inside a
  request, every `extra={...}` field, and `exception` (the traceback as one string). `TextFormatter`
  is the same for people (`LEERPAD_LOG_FORMAT=text`).
- `RequestLog`: pure ASGI middleware, outermost. It takes the caller's `X-Request-ID` when it is
  sane (1 to 128 of `A-Z a-z 0-9 . _ : -`), else makes one (uuid4 hex); keeps it in a context
  variable for every log line written while the request runs (route threads too: they copy the
  context), echoes it in the `X-Request-ID` response header (also on a 413 or 429 answered by
  middleware), and writes one access line per request to the logger `leerpad.access`: method,
  route template, the path with any employee id replaced by its log pseudonym, status,
  duration_ms, and the caller's key id, role and tenant. Never the API key, the query string or a
  raw employee id. An exception no handler caught is logged here, with the request id, and
  answered as a problem+json 500 that carries the id.
- `logging_config`: the `logging.config.dictConfig` dictionary for the CLI and, as uvicorn's
  `log_config`, for `leerpad serve`, so that uvicorn's own lines have the same shape. uvicorn's
  access log is switched off there: the access line above replaces it (no line is written twice).

This module imports nothing heavy: uvicorn workers load it through the logging configuration.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("leerpad")
access_log = logging.getLogger("leerpad.access")

REQUEST_ID_HEADER = "X-Request-ID"
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode()
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
LOG_FORMATS = ("json", "text")
# Polled by load balancers and the scraper: their access lines are DEBUG, not INFO.
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")
UNMATCHED = "unmatched"  # the route label of a path no route serves (its raw path is never a label)

_request_id: ContextVar[str | None] = ContextVar("leerpad_request_id", default=None)

# What every LogRecord has; anything else on a record came in through `extra=`. uvicorn adds
# `color_message` (its message with terminal colours) to its lines: left out.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
    "request_id",
}


def current_request_id() -> str | None:
    """The id of the request this code runs for (None outside a request)."""
    return _request_id.get()


def sane_request_id(value: str | None) -> str | None:
    """The caller's id when it is safe to log and echo, else None (a new one is made)."""
    if value and _SANE_ID.fullmatch(value):
        return value
    return None


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD}


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module's docstring for the keys)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        for key, value in _fields(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message key=value ... [request id]`, for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        head, newline, rest = text.partition("\n")  # a traceback stays below the first line
        extras = " ".join(f"{key}={value}" for key, value in _fields(record).items())
        request_id = getattr(record, "request_id", None) or current_request_id()
        head += (f" {extras}" if extras else "") + (f" [{request_id}]" if request_id else "")
        return head + newline + rest


def logging_config(log_format: str = "json", level: str = "info") -> dict[str, Any]:
    """dictConfig for a Leerpad process: one handler on stderr with the chosen formatter, writing
    from a background thread (service.http.log_writer); `leerpad` and `uvicorn` loggers at `level`,
    everything else (libraries) at WARNING or above."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"unknown log format {log_format!r}; expected one of {', '.join(LOG_FORMATS)}")
    wanted = logging.getLevelName(level.upper())
    if not isinstance(wanted, int):
        raise ValueError(f"unknown log level {level!r}")
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    ours = {"level": wanted, "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"leerpad": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            # written on a thread of its own: a stalled stderr never blocks a worker's event loop
            "stderr": {
                "class": "service.http.log_writer.BackgroundStreamHandler",
                "formatter": "leerpad",
                "stream": "ext://sys.stderr",
                "drain_on_sigterm": True,  # uvicorn ends a worker by raising SIGTERM again
            }
        },
        "loggers": {name: dict(ours) for name in ("leerpad", "uvicorn", "uvicorn.error", "uvicorn.access")},
        "root": {"level": max(wanted, logging.WARNING), "handlers": ["stderr"]},
    }


def configure_logging(log_format: str = "json", level: str = "info") -> None:
    """Apply `logging_config` to this process (the CLI; `leerpad serve` hands it to uvicorn)."""
    import logging.config

    logging.config.dictConfig(logging_config(log_format, level))


def route_template(scope: Scope) -> str:
    """The route a request went to as its template (`/v1/employees/{employee_id}/path`): the one
    routing chose, else (a request answered before routing, such as a 429) the one whose template
    matches, else `unmatched`. Never the raw path, which may hold an employee id or anything a client
    sent."""
    template = getattr(scope.get("route"), "path_format", None)
    if template:
        return str(template)
    path = str(scope.get("path", ""))
    app = scope.get("app")
    for pattern, found in _route_patterns(app) if app is not None else ():
        if pattern.match(path):
            return found
    return UNMATCHED


_PATTERNS: weakref.WeakKeyDictionary[Any, list[tuple[re.Pattern[str], str]]] = weakref.WeakKeyDictionary()


def _route_patterns(app: Any) -> list[tuple[re.Pattern[str], str]]:
    """(regex, template) of every route of the app, built once per app."""
    patterns = _PATTERNS.get(app)
    if patterns is None:
        from fastapi.routing import iter_route_contexts
        from starlette.routing import Mount, compile_path

        patterns = []
        for context in iter_route_contexts(getattr(app, "routes", [])):
            template = str(context.path)
            if isinstance(context.original_route, Mount):
                pattern = compile_path(template.rstrip("/") + "/{path:path}")[0]
            else:
                pattern = compile_path(template)[0]
            patterns.append((pattern, template))
        _PATTERNS[app] = patterns
    return patterns


PathPseudonymiser = Callable[[str], str]


class RequestLog:
    """ASGI middleware: the request id, the access line, and a 500 for an uncaught exception.

    `employee_path_pseudonymiser` makes, from the app's runtime, the function that replaces an
    employee id in a logged path by its pseudonym (service.trust.personal_data): the trust domain
    decides pseudonyms, and service.app hands its rule in, so this plumbing imports no domain.
    Without it a path that names an employee is logged as its route template."""

    def __init__(
        self, app: ASGIApp, employee_path_pseudonymiser: Callable[[Any], PathPseudonymiser] | None = None
    ) -> None:
        self.app = app
        self._make_pseudonymiser = employee_path_pseudonymiser
        self._pseudonymise: PathPseudonymiser | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(_HEADER_KEY, b"").decode("latin-1")
        request_id = sane_request_id(given) or uuid.uuid4().hex
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != _HEADER_KEY]
                message = {**message, "headers": [*headers, (_HEADER_KEY, request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), route_template(scope))
            if status is not None:
                raise  # the answer has begun: nothing more can be said to the client
            from service.http.limits import send_problem

            detail = f"an unexpected error; quote request id {request_id} when reporting it"
            await send_problem(send_with_id, scope, 500, "Internal server error", detail)
        finally:
            try:
                self._access_line(scope, status, started)
            finally:
                _request_id.reset(token)

    def _access_line(self, scope: Scope, status: int | None, started: float) -> None:
        path = str(scope.get("path", ""))
        quiet = path in QUIET_PATHS and status is not None and status < 400
        level = (
            logging.DEBUG if quiet else logging.WARNING if status is None or status >= 500 else logging.INFO
        )
        if not access_log.isEnabledFor(level):
            return
        method = str(scope.get("method", ""))
        route = route_template(scope)
        fields: dict[str, Any] = {
            "method": method,
            "route": route,
            "path": self._loggable_path(scope, path),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        caller = (scope.get("state") or {}).get("audit_caller")  # left by service.http.deps.remember_caller
        if caller is not None:
            fields.update(key_id=caller.key_id, role=caller.role, tenant=caller.tenant_slug)
        access_log.log(level, "%s %s %s", method, route, status, extra=fields)

    def _loggable_path(self, scope: Scope, path: str) -> str:
        """The path with an employee id replaced by its keyed log pseudonym (service.trust.personal_data),
        the same pseudonym uvicorn's access log would show; the route template when the path speaks
        of employees but no employee route served it."""
        if "employee" not in path.lower():
            return path[:300]
        route = route_template(scope)
        runtime = getattr(getattr(scope.get("app"), "state", None), "runtime", None)
        if runtime is None or "{employee_id}" not in route or self._make_pseudonymiser is None:
            return route  # a path no route serves (`unmatched`) may still hold an id: not logged
        if self._pseudonymise is None:
            self._pseudonymise = self._make_pseudonymiser(runtime)
        return self._pseudonymise(path)[:300]
