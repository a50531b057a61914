"""Value types shared by request models and query parameters: what the OpenAPI document promises,
checked as strictly as it says.

Pydantic's lax mode reads a number as a Unix time (`?end=0` is 1 January 1970, `"observed_at": 1.5`
a moment in 1970); a caller who sent a number sent a mistake, so dates and moments must be ISO 8601
text, as the document's `format: date` and `format: date-time` say.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints, WithJsonSchema
from pydantic import Strict as StrictMode

# The largest id a PostgreSQL BIGINT key holds: a larger one names no row, and would not reach the
# database without an error there.
MAX_ROW_ID = 2**63 - 1

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be an ISO 8601 date such as 2024-05-31")
    return value


def _iso_datetime(value: Any) -> Any:
    """An ISO 8601 date-time, with or without its zone, or a plain date, which means midnight UTC
    (an HR export says "2026-10-01" for the day an assessment was made)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value):
        raise ValueError(
            "must be an ISO 8601 date-time such as 2024-05-31T09:30:00Z, or a date such as 2024-05-31"
        )
    return value


# JSON numbers in request bodies: `true` and `"3"` are not numbers (lax mode would read 1.0 and 3).
Number = Annotated[float, StrictMode()]
WholeNumber = Annotated[int, StrictMode()]

IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]


# What str.strip() removes (every character for which str.isspace() is true), spelled out so that the
# OpenAPI pattern (ECMA-262), the validator (Python) and schemathesis agree on what "blank" means.
BLANK = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
BLANK += "\u2028\u2029\u202f\u205f\u3000"


def _char_class(chars: str) -> str:
    """A regex class of these characters, as \\uXXXX escapes and ranges (ECMA-262, Python, Rust)."""
    points = sorted(set(map(ord, chars)))
    runs: list[list[int]] = []
    for point in points:
        if runs and point == runs[-1][1] + 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    parts = (f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in runs)
    return "".join(parts)


# What no name or label may hold between its blanks: the C0 and C1 controls (a terminal obeys
# ESC [31m from `leerpad report gaps`; spreadsheets and browsers drop them) and the bidi controls,
# which make a team or skill read as other text in a report. Names reach CSV, HTML and terminals.
CONTROLS = "".join(map(chr, [*range(0x20), *range(0x7F, 0xA0)]))
CONTROLS += "\u061c\u200e\u200f" + "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
_CONTROL = re.compile(f"[{_char_class(CONTROLS)}]")
_EDGE, _CORE = _char_class(BLANK), _char_class(BLANK + CONTROLS)
# Blanks around; inside them, at least one character, starting and ending with neither a blank nor a
# control, and no control in between.
TRIMMED_TEXT = f"^[{_EDGE}]*[^{_CORE}](?:[^{_char_class(CONTROLS)}]*[^{_CORE}])?[{_EDGE}]*$"


def trimmed(value: str) -> str:
    """The text without the blanks around it; refused when nothing else is left, or when a control
    character is left (see CONTROLS)."""
    text = value.strip(BLANK)
    if not text:
        raise ValueError("must not be blank")
    control = _CONTROL.search(text)
    if control:
        raise ValueError(f"must not contain a control character (U+{ord(control.group()):04X})")
    return text


def trimmed_text_schema(max_length: int) -> WithJsonSchema:
    """The document's view of text checked by `trimmed`: 1 to `max_length` characters as sent, at
    least one of them not blank, and no control character but blanks around the text."""
    return WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": TRIMMED_TEXT}
    )


def json_shape_problem(value: Any, max_depth: int, max_items: int) -> str | None:
    """Why a free-form JSON value is too deep or too big to keep, or None; walked without recursion.
    (Free-form values are stored as they come and sent back: a value nested a thousand deep would
    pass the parser and fail later, as a server error, when the answer is serialised.)"""
    pending: list[tuple[Any, int]] = [(value, 0)]
    items = 0
    while pending:
        node, depth = pending.pop()
        if depth > max_depth:
            return f"nested more than {max_depth} deep"
        if isinstance(node, dict | list):
            children = list(node.values()) if isinstance(node, dict) else node
            items += len(children)
            if items > max_items:
                return f"more than {max_items} values in all"
            pending.extend((child, depth + 1) for child in children)
    return None


class Strict(BaseModel):
    """A request body: a field the document does not name is refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


# 1 to 200 characters as sent (what the document says), stored without the blanks around them.
Label = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(trimmed), trimmed_text_schema(200)
]
Language = Literal["nl", "en"]
