"""xAPI statements as an LMS sends them."""

from __future__ import annotations

import uuid
from typing import Any

from service.core.activities import activity_id

ADL = "http://adlnet.gov/expapi/verbs/"


def statement(
    employee: str = "e-1",
    verb: str = "completed",
    target: str | None = None,
    statement_id: str | None = "new",
    **extra: Any,
) -> dict[str, Any]:
    """A statement about `employee`; `verb` is an ADL verb name or a full IRI; a fresh id unless told."""
    body: dict[str, Any] = {
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": employee}},
        "verb": {"id": verb if ":" in verb else ADL + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": target or activity_id("csv", "sql-basis")},
        "timestamp": "2025-03-04T09:30:00Z",
        **extra,
    }
    if statement_id is not None:
        body["id"] = str(uuid.uuid4()) if statement_id == "new" else statement_id
    return body
