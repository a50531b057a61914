"""service.xapi.validation on its own (pure): the statement-data rules ADL's conformance suite found
missing or crashing (a dict where a string belongs was a 500), each as the smallest statement."""

from __future__ import annotations

from typing import Any

import pytest

from service.xapi.validation import Invalid, check_statement
from tests.support.xapi import statement

AGENT = {"objectType": "Agent", "mbox": "mailto:a@example.org"}
OAUTH_APP = {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "app"}}


def _activity(**definition: Any) -> dict[str, Any]:
    return {"objectType": "Activity", "id": "https://lms.example/q1", "definition": definition}


@pytest.mark.parametrize(
    "extra",
    [
        {"object": _activity(extensions={})},
        {"object": _activity(extensions={"https://x.example/e": None})},
        {"result": {"extensions": {"https://x.example/e": None}}},
        {"context": {"extensions": {}}},
        {"object": _activity(interactionType="fill-in", correctResponsesPattern=["a"])},
        {"authority": {"objectType": "Group", "member": [AGENT, OAUTH_APP]}},
        {"timestamp": "2025-03-04T09:30:00+01"},
        {"result": {"duration": "P4W"}},
    ],
)
def test_valid_statements_pass(extra: dict[str, Any]) -> None:
    check_statement(statement(**extra))


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"object": _activity(interactionType={"x": 1})}, "object.definition.interactionType"),
        ({"object": {"objectType": {"x": 1}, "id": "https://lms.example/q1"}}, "object.objectType"),
        ({"object": _activity(correctResponsesPattern=["a"])}, "object.definition.interactionType"),
        ({"authority": {"objectType": "Group", "member": [AGENT]}}, "authority.member"),
        ({"authority": {"objectType": "Group", "member": [AGENT, OAUTH_APP, AGENT]}}, "authority.member"),
        ({"authority": {"objectType": "Group", "mbox": "mailto:g@example.org"}}, "authority"),
        ({"timestamp": "2025-03-04T09:30:00-00"}, "timestamp"),
        ({"timestamp": "2025-03-04T09:30:00-00:00"}, "timestamp"),
        ({"result": {"duration": "P4W1D"}}, "result.duration"),
        ({"result": {"extensions": None}}, "result.extensions"),
    ],
)
def test_invalid_statements_name_the_field(extra: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_statement(statement(**extra))
    assert str(refused.value).startswith(f"{field}:"), str(refused.value)
