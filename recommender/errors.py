"""The one error base of Leerpad: an expected failure that carries a `code` and a `message`.

It lives here, in recommender/, because recommender is the bottom layer: it imports none of our
packages, and ingest and service may both import it, so every layer can raise (and catch) this one
base without an import that runs upward. It knows nothing of HTTP: the `code` says what kind of
failure it is, service/http/errors.py turns each code into a status and a problem+json body in one
handler, and the CLI prints the message. Every error a caller can cause (input that cannot be used,
something that does not exist, a conflict with what is stored) derives from it.
"""

from __future__ import annotations

from typing import Any, ClassVar

INVALID = "invalid"  # input that cannot be used; the message names the field or entry at fault
NOT_FOUND = "not_found"  # what the caller named does not exist (in their tenant)
CONFLICT = "conflict"  # valid input that conflicts with what is stored now
CORRUPT = "corrupt"  # stored data that does not match its own description: not the caller's fault


class LeerpadError(Exception):
    """An expected failure whose message says what was wrong; `extra` holds fields a caller may
    read besides the message (an API answer adds them to its problem body)."""

    code: ClassVar[str] = INVALID

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra
