"""Keyset pagination for list routes: an opaque cursor that names the last row of a page.

Plumbing that several domains' routers use (catalog items, skills, the audit log), so it lives here
and no router imports another for it."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Protocol, TypeVar

from service.core.schemas import MAX_ROW_ID
from service.http.errors import Unprocessable


class HasId(Protocol):
    id: int


T = TypeVar("T", bound=HasId)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        label, _, value = raw.partition(":")
        if label != "after" or not (value.isascii() and value.isdigit()) or int(value) > MAX_ROW_ID:
            raise ValueError
        return int(value)
    except ValueError as exc:  # UnicodeDecodeError and binascii.Error are ValueErrors too
        raise Unprocessable(f"cursor {cursor[:40]!r} is not a cursor this API gave out") from exc


def keyset_page(rows: Sequence[T], limit: int) -> tuple[Sequence[T], str | None]:
    """A page of `limit` rows out of `limit + 1` fetched, and the cursor to the next one (if any)."""
    page = rows[:limit]
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None
