"""What the OpenAPI document says of the LRS's Statement resource: the xAPI protocol, not FastAPI's
defaults. The routes read their bodies and query themselves (xAPI's rules are not a JSON schema), so
the document is written here: the version header every request sends, the statement or array of
statements POST and PUT take, the query GET understands, and 400 (never 422) for invalid requests."""

from __future__ import annotations

from typing import Any

from service.http.errors import PROBLEM_RESPONSE
from service.xapi.protocol import STATEMENTS, SUPPORTED_VERSIONS, VERSION_HEADER
from service.xapi.queries import MAX_LIMIT

VERSION_PARAMETER = {
    "name": VERSION_HEADER,
    "in": "header",
    "required": True,
    "description": "The xAPI version the client speaks; every answer carries the version of this LRS",
    "schema": {"type": "string", "enum": list(SUPPORTED_VERSIONS)},
}
STATEMENT = {
    "type": "object",
    "description": "An xAPI 1.0.3 statement (xAPI Data, section 2.2); validated strictly",
    "required": ["actor", "verb", "object"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "actor": {"type": "object"},
        "verb": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        "object": {"type": "object"},
        "result": {"type": "object"},
        "context": {"type": "object"},
        "timestamp": {"type": "string", "format": "date-time"},
    },
}
BODIES = {
    "post": {"oneOf": [STATEMENT, {"type": "array", "items": STATEMENT, "minItems": 1}]},
    "put": STATEMENT,
}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


GET_PARAMETERS = [
    _query("statementId", {"type": "string", "format": "uuid"}, "one statement, by id"),
    _query("voidedStatementId", {"type": "string", "format": "uuid"}, "one voided statement, by id"),
    _query("agent", {"type": "string"}, "an Agent or identified Group as JSON: its statements"),
    _query("verb", {"type": "string", "format": "uri"}, "a verb IRI"),
    _query("activity", {"type": "string", "format": "uri"}, "an activity IRI"),
    _query("registration", {"type": "string", "format": "uuid"}, "a registration"),
    _query("since", {"type": "string", "format": "date-time"}, "stored after"),
    _query("until", {"type": "string", "format": "date-time"}, "stored at or before"),
    _query(
        "limit",
        {"type": "integer", "minimum": 0},
        f"statements per page; 0 or more than {MAX_LIMIT} sends {MAX_LIMIT} (xAPI lets the LRS cap it)",
    ),
    _query("ascending", {"type": "boolean"}, "oldest first"),
    _query("format", {"type": "string", "enum": ["exact", "ids", "canonical"]}, "how much to send"),
]
STATUSES = {"post": (400, 401, 403, 409, 413), "put": (400, 401, 403, 409, 413), "get": (400, 401, 403, 404)}


def document_statements(schema: dict[str, Any]) -> None:
    """Rewrite the Statement resource's operations in an OpenAPI document built by FastAPI."""
    for method, operation in schema.get("paths", {}).get(STATEMENTS, {}).items():
        if not isinstance(operation, dict):
            continue
        responses: dict[str, Any] = operation.setdefault("responses", {})
        responses.pop("422", None)
        for status in STATUSES.get(method, ()):
            responses.setdefault(str(status), PROBLEM_RESPONSE)
        parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
        parameters.insert(0, VERSION_PARAMETER)
        if method == "get":
            parameters.extend(GET_PARAMETERS)
        if method in BODIES:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": BODIES[method]}},
            }
