"""One error base carrying its status, one handler, one JSON shape: RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"


class LeerpadError(Exception):
    """An expected failure with a status code and a message that names what was wrong."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Unauthorized(LeerpadError):
    status_code = 401
    title = "Unauthorized"


class Forbidden(LeerpadError):
    status_code = 403
    title = "Forbidden"


class NotFound(LeerpadError):
    status_code = 404
    title = "Not found"


class Conflict(LeerpadError):
    status_code = 409
    title = "Conflict"


class PayloadTooLarge(LeerpadError):
    status_code = 413
    title = "Payload too large"


class Unprocessable(LeerpadError):
    status_code = 422
    title = "Unprocessable content"


class NotReady(LeerpadError):
    status_code = 503
    title = "Service unavailable"


def problem(status: int, title: str, detail: str, instance: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance}
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


PROBLEM_RESPONSE: dict[str, Any] = {
    "description": "An error, as application/problem+json",
    "content": {
        PROBLEM_JSON: {
            "schema": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "instance": {"type": "string"},
                },
            }
        }
    },
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry for routes: every listed status answers problem+json."""
    return {status: PROBLEM_RESPONSE for status in statuses}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LeerpadError)
    async def _leerpad_error(request: Request, exc: LeerpadError) -> JSONResponse:
        return problem(exc.status_code, exc.title, exc.detail, request.url.path, **exc.extra)

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
        return problem(exc.status_code, str(exc.detail), str(exc.detail), request.url.path)
