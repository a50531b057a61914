"""Cell values the tabular sources (csv, goodhabitz, coursera) share: ratings, timestamps, lists, and
text without control characters."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from ingest.records import RecordRejected

# C0 and C1 controls and bidi controls: a terminal obeys ESC [31m in a title the CLI prints, and a
# bidi override makes a title or skill read as other text in a report. Multi-line text keeps its tabs
# and line breaks; one-line text gets a space for them.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\n\r]")


def without_controls(text: str, one_line: bool = False) -> str:
    """`text` without control characters; returned as it is when it holds none (its hash stays)."""
    if not _CONTROLS.search(text) and not (one_line and _LINE_BREAKS.search(text)):
        return text
    if one_line:
        return " ".join(_CONTROLS.sub(" ", _LINE_BREAKS.sub(" ", text)).split())
    return _CONTROLS.sub("", text)


def parse_rating(value: str | None, field: str = "rating") -> float | None:
    """A 0..5 rating ('4.7', '4,7'); empty is None; anything else rejects the row naming the field."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        rating = float(text.replace(",", "."))
    except ValueError:
        raise RecordRejected(f"bad {field} {text!r}: expected a number from 0 to 5", field) from None
    if not math.isfinite(rating) or not 0 <= rating <= 5:
        raise RecordRejected(f"bad {field} {text!r}: expected a number from 0 to 5", field)
    return rating


def parse_timestamp(value: str, field: str = "updated_at") -> datetime:
    """An ISO date or date-time; a naive one is taken as UTC so that stored times compare."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RecordRejected(
            f"bad {field} {text!r}: expected an ISO date or date-time such as 2024-05-31 or "
            "2024-05-31T14:00:00Z",
            field,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def split_list(value: str | None, separators: str) -> tuple[str, ...]:
    """Non-empty, stripped, de-duplicated (case-insensitively, first spelling kept) list items."""
    if not value:
        return ()
    out: dict[str, str] = {}
    for part in re.split(f"[{re.escape(separators)}]", value):
        item = " ".join(part.split())
        if item and item.casefold() not in out:
            out[item.casefold()] = item
    return tuple(out.values())
