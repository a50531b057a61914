"""Refuse text no database can store, before any route reads it: 422 naming the field.

PostgreSQL refuses a NUL character in any text (psycopg: "PostgreSQL text fields cannot contain NUL
(0x00) bytes"), and a lone UTF-16 surrogate (JSON may carry `"\\ud800"`) cannot be encoded as
UTF-8 at all; either would otherwise surface as a 500 from whichever query first met it (and from
the audit trail, which stores the query string). One ASGI middleware checks, for every request:

- the path and each query parameter (name and value);
- a JSON body (`application/json`, `+json`): every string and every object key, at any depth;
- a form body (`application/x-www-form-urlencoded`, the dashboard's login).

A multipart body (catalog uploads) is not read here: its file goes to the ingest pipeline, which
validates file contents row by row, and its file name is reduced to safe characters by the route.
Only bodies whose raw bytes could hold such a character are parsed (a JSON `\\u0000` or surrogate
escape, a form `%00`), so ordinary requests pay a byte search, not a second parse.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.http.limits import media_type, send_problem

JSON_SUSPECT = re.compile(rb"\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
FORM_SUSPECT = re.compile(rb"%00|\x00")
MAX_ERRORS = 5

Location = list[str | int]


def text_problem(text: str) -> str | None:
    """Why this text cannot be stored, or None when it can."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired UTF-16 surrogate, which is not text"
    return None


def find_bad_text(value: Any, where: Location) -> list[tuple[Location, str]]:
    """(location, reason) for the first strings or keys in a parsed JSON value that cannot be stored;
    walked without recursion, as deep as the JSON parser went."""
    found: list[tuple[Location, str]] = []
    pending: list[tuple[Any, Location]] = [(value, where)]
    while pending and len(found) < MAX_ERRORS:
        node, at = pending.pop()
        if isinstance(node, str):
            reason = text_problem(node)
            if reason:
                found.append((at, reason))
        elif isinstance(node, list):
            pending.extend((item, [*at, index]) for index, item in reversed(list(enumerate(node))))
        elif isinstance(node, dict):
            for key in node:
                reason = text_problem(key)
                if reason:
                    found.append(([*at, key], "key " + reason))
            pending.extend((item, [*at, key]) for key, item in reversed(list(node.items())))
    return found[:MAX_ERRORS]


def _printable(location: Location) -> Location:
    """The location as text that can be sent back (the bad characters escaped)."""
    return [
        part
        if isinstance(part, int)
        else part.replace("\x00", "\\u0000").encode("utf-8", "backslashreplace").decode()
        for part in location
    ]


class TextGuard:
    """ASGI middleware: 422 (problem+json, with `errors` like request validation) for a request
    carrying text that cannot be stored; anything else passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found: list[tuple[Location, str]] = []
        reason = text_problem(str(scope.get("path", "")))
        if reason:
            found.append((["path"], reason))
        query = scope.get("query_string", b"").decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True):
            for text in (name, value):
                reason = text_problem(text)
                if reason:
                    found.append((["query", name], reason))
                    break
        kind = media_type(scope)
        is_json = kind == "application/json" or kind.endswith("+json")
        is_form = kind == "application/x-www-form-urlencoded"
        if found or not (is_json or is_form):
            if found:
                await self._refuse(scope, send, found)
            else:
                await self.app(scope, receive, send)
            return
        body, more = await self._read_body(receive)
        if is_json and JSON_SUSPECT.search(body):
            # Not JSON, not UTF-8 or nested past the parser's depth: the route's own parsing answers.
            with contextlib.suppress(ValueError, RecursionError):
                found.extend(find_bad_text(json.loads(body), ["body"]))
        elif is_form and FORM_SUSPECT.search(body):
            for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
                if "\x00" in name or "\x00" in value:
                    found.append((["body", name], text_problem("\x00") or ""))
        if found:
            await self._refuse(scope, send, found)
            return
        await self.app(scope, self._replay(body, more, receive), send)

    @staticmethod
    async def _read_body(receive: Receive) -> tuple[bytes, bool]:
        """The whole body (a size limit outside this middleware cuts off one too large)."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), False  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks), True

    @staticmethod
    def _replay(body: bytes, complete: bool, receive: Receive) -> Receive:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                if complete:
                    return {"type": "http.request", "body": body, "more_body": False}
                return {"type": "http.disconnect"}
            return await receive()

        return replay

    @staticmethod
    async def _refuse(scope: Scope, send: Send, found: list[tuple[Location, str]]) -> None:
        errors = [
            {"loc": _printable(where), "msg": reason, "type": "string_unstorable"} for where, reason in found
        ]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:MAX_ERRORS])
        await send_problem(send, scope, 422, "Invalid request", detail, extra={"errors": errors})
