"""One handler, one JSON shape (RFC 9457 problem+json) for the one error base
(recommender.errors.LeerpadError): its code becomes a status here, its message the detail, its extra
fields join the body. The HTTP-only failures (401, 403, 413, 503) are subclasses with codes of their own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from recommender.errors import CONFLICT, INVALID, NOT_FOUND, LeerpadError

PROBLEM_JSON = "application/problem+json"


class Unauthorized(LeerpadError):
    code = "unauthorized"


class Forbidden(LeerpadError):
    code = "forbidden"


class NotFound(LeerpadError):
    code = NOT_FOUND


class Conflict(LeerpadError):
    code = CONFLICT


class PayloadTooLarge(LeerpadError):
    code = "too_large"


class Unprocessable(LeerpadError):
    code = INVALID


class NotReady(LeerpadError):
    code = "not_ready"


# Each error code's HTTP status and problem title: the one place a code becomes a status. A code
# missing here (recommender.errors.CORRUPT) is a fault, answered as any unexpected error is.
STATUSES: dict[str, tuple[int, str]] = {
    "unauthorized": (401, "Unauthorized"),
    "forbidden": (403, "Forbidden"),
    NOT_FOUND: (404, "Not found"),
    CONFLICT: (409, "Conflict"),
    "too_large": (413, "Payload too large"),
    INVALID: (422, "Unprocessable content"),
    "not_ready": (503, "Service unavailable"),
}


def problem(
    status: int,
    title: str,
    detail: str,
    instance: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance}
    body.update(extra)
    sent = dict(headers or {})
    if status == 401:
        sent.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=sent or None)


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error (RFC 9457)",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What was wrong, naming the field at fault"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "With 422 from request validation: each field at fault",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}

# The schema itself is added to the document's components by `document_problems` (create_app).
PROBLEM_RESPONSE: dict[str, Any] = {
    "description": "An error, as application/problem+json",
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}

TOO_MANY_REQUESTS_RESPONSE: dict[str, Any] = {
    "description": "Too many requests from this API key (or client address): wait and retry",
    "headers": {
        "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
    },
    "content": PROBLEM_RESPONSE["content"],
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry for routes: every listed status answers problem+json."""
    return {status: PROBLEM_RESPONSE for status in statuses}


def document_problems(
    schema: dict[str, Any], extra_statuses: Callable[[str, dict[str, Any]], set[int]]
) -> None:
    """Make the OpenAPI document say what the handlers below and the middleware answer: FastAPI's own
    422 entry (application/json, HTTPValidationError) becomes problem+json, and every operation gets
    the statuses `extra_statuses(path, operation)` names (those answered outside the routes)."""
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            if "422" in responses:
                responses["422"] = {**PROBLEM_RESPONSE, "description": "Invalid request: the fields at fault"}
            for status in sorted(extra_statuses(path, operation)):
                responses.setdefault(
                    str(status), TOO_MANY_REQUESTS_RESPONSE if status == 429 else PROBLEM_RESPONSE
                )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    if not _refers_to(schema.get("paths", {}), "HTTPValidationError"):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)


def _refers_to(node: Any, name: str) -> bool:
    if isinstance(node, dict):
        return str(node.get("$ref", "")).endswith(f"/{name}") or any(
            _refers_to(value, name) for value in node.values()
        )
    if isinstance(node, list):
        return any(_refers_to(value, name) for value in node)
    return False


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path, for `Allow` on a 405 (Starlette names only the
    methods of the first route whose path matched, though GET and PUT of a path are two routes)."""
    allowed = []
    for method in HTTP_METHODS:
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LeerpadError)
    async def _leerpad_error(request: Request, exc: LeerpadError) -> JSONResponse:
        if exc.code not in STATUSES:
            raise exc  # a fault, not the caller's: request_log.RequestLog answers 500 and logs it
        status, title = STATUSES[exc.code]
        return problem(status, title, exc.message, request.url.path, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": list(err.get("loc", ())),
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
            for err in exc.errors()
        ]
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem(422, "Invalid request", where or "invalid request", request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
        return problem(exc.status_code, str(exc.detail), str(exc.detail), request.url.path, headers=headers)
