"""The whole HTTP API fuzzed against its own OpenAPI document with schemathesis, on PostgreSQL.

Every operation of GET /openapi.json, as an admin of a tenant with a small catalog, with positive
and negative data in the examples, coverage and fuzzing phases, and every check schemathesis 4 has
(none is switched off): not_a_server_error, status_code_conformance, content_type_conformance,
response_headers_conformance, response_schema_conformance, positive_data_acceptance (relaxed to allow
422 only for the operations in SEMANTIC_422 below), negative_data_rejection, missing_required_header,
ignored_auth, unsupported_method and allow_header_conformance. The stateful checks (use_after_free,
ensure_resource_availability, object_level_authorization) act in the stateful run
(`test_create_then_read_chains_conform_to_the_schema`): chains along the links schemathesis infers
from the document, 25 scenarios of up to 6 calls, about 170 calls in 9 s.

Last full count (schemathesis 4.32.5, hypothesis 6.170, MAX_EXAMPLES = 50, derandomized): 3111 cases over
39 operations, all passing, no server error; 35 s of fuzzing on an idle 2-core machine, 101 s with
two other jobs running beside it. Since then the Learning Days, Open Badges, nudges and keys routes
made it 88 operations (2026-12-04), all passing in the run that merged them.
Runs with random seeds and 300 to 500 examples per operation (about 10 000 to 17 000 cases each)
found nothing more. Before the fixes the fuzzer found: 500s from PostgreSQL on NUL characters and
from a key collision between labels such as "C" and "C++", from year-1 report windows and from
preferences nested 900 deep; 405s without a (complete) Allow header; 422s documented as
application/json; undocumented 400 and 429; dates and numbers accepted in forms the document
forbids (`?end=0`, `"level": true`); labels longer than their maxLength when padded with blanks.

Not fuzzed here, and why: the dashboard's pages (not in the document: HTML for a browser, see
test_dashboard_*.py; an oversize login form: test_hostile_input.py); /openapi.json, /docs and
/static; roles other than admin (test_authorization.py walks every route for every role); the 429
of the rate limit (set high here; test_limits.py floods on purpose). Hostile input the document
cannot describe (oversize, deeply nested or mistyped bodies, control characters, formula and script
payloads, hostile catalog files) is in test_hostile_input.py.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.python.asgi import shutdown_lifespans

from recommender.embedding import Encoder
from service.app import create_app
from service.core.runtime import Runtime
from service.core.settings import Settings
from service.http.pagination import encode_cursor
from tests.support.api_keys import make_key
from tests.support.catalogs import ROWS, write_csv
from tests.support.databases import own_database
from tests.support.settings import make_settings

# Schema-valid requests may still be refused with 422 where the API checks what a schema cannot
# say; `positive_data_acceptance` then allows 422 for these operations only, and still refuses
# any other 4xx (and every check still runs on them).
SEMANTIC_422 = {
    ("GET", "/v1/catalog/items"): "a cursor must be one the API gave out",
    ("GET", "/v1/skills"): "a cursor must be one the API gave out",
    ("GET", "/v1/audit"): "a cursor must be one the API gave out",
    ("POST", "/v1/catalog/imports"): "the file name must end in a suffix the kind reads",
    ("POST", "/v1/recommendations"): "each skill must name a skill of the taxonomy",
    ("GET", "/v1/reports/gaps"): "team and role must name a known team and role",
    ("GET", "/v1/reports/kpis"): "team and role must name a known team and role",
    ("PUT", "/v1/employees/{employee_id}"): "role and target_role must name a role defined before",
    ("PUT", "/v1/badges/trusted-issuers"): "jwks must hold 1 to 10 public EC, RSA or OKP keys",
    ("POST", "/v1/employees/{employee_id}/badges/received"): "the file must be a badge Leerpad can read",
}
# The LRS answers 400 where the rest of the API answers 422 (xAPI asks it), and validates statements
# and agents by xAPI's rules, which its JSON schema only outlines (service/xapi/openapi.py).
SEMANTIC_400 = {
    ("POST", "/xapi/statements"): "a statement must follow xAPI 1.0.3's rules (actor, verb IRI, object)",
    ("PUT", "/xapi/statements"): "a statement must follow xAPI 1.0.3's rules, its id the statementId",
    ("GET", "/xapi/statements"): "agent must be an Agent as JSON; statementId excludes the other filters",
}
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429"]
MAX_EXAMPLES = 50  # per operation, per generation phase (the coverage phase adds its own cases)

CONFIG = SchemathesisConfig.from_dict(
    {
        # The admin key goes into every request (below); schemathesis would otherwise make up
        # Authorization headers, and drop them in negative cases the key then makes valid again.
        # `ignored_auth` still sends each request without the key and with a wrong one.
        "generation": {"with-security-parameters": False},
        # The first entry whose filters match an operation configures it; the LRS's by path alone.
        "operations": [
            {
                "include-path": path,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_STATUSES, "400"]}},
            }
            for path in sorted({path for _, path in SEMANTIC_400})
        ]
        + [
            {
                "include-method": method,
                "include-path": path,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*POSITIVE_STATUSES, "422"]}},
            }
            for method, path in SEMANTIC_422
        ],
    }
)

RESPONSES: Counter[int] = Counter()
CASES: Counter[str] = Counter()


def openapi_document() -> dict[str, Any]:
    """The document GET /openapi.json serves, built without a runtime: building the app touches
    nothing (the lifespan does). Loaded at import because `@schema.parametrize()` needs the
    operations at collection; `schemathesis.pytest.from_fixture` would defer it, but 4.32 fails on
    pytest 9.2 (it reads the removed `Node._nodeid`)."""
    app = create_app(Settings())
    document: dict[str, Any] = json.loads(json.dumps(app.openapi()))
    return document


class LateApp:
    """An ASGI app that forwards to the app the fixture builds: the schema needs its app before
    collection (`parametrize()` copies the schema), the database and runtime come later."""

    def __init__(self) -> None:
        self.target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.target is not None, "the admin_headers fixture builds the app first"
        await self.target(scope, receive, send)


late_app = LateApp()
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)
schema.app = late_app  # what schemathesis.openapi.from_asgi does: the cases go to the ASGI app


@pytest.fixture(scope="module")
def admin_headers(
    backend: str, tmp_path_factory: pytest.TempPathFactory, encoder: Encoder
) -> Iterator[dict[str, str]]:
    """A tenant with a small catalog in a PostgreSQL database of its own (the fuzzer queues jobs that
    other tests' job runners must not meet), served by an app the schema sends its cases to."""
    home: Path = tmp_path_factory.mktemp("home-fuzz")
    with own_database(backend) as url:
        runtime = Runtime(make_settings(home, url), encoder=encoder)
        runtime.migrate()
        tenant = f"fuzz-{uuid.uuid4().hex[:8]}"
        runtime.ingest(tenant, "csv", write_csv(home / "catalog.csv", ROWS))
        headers = make_key(runtime, tenant, "admin")
        late_app.target = create_app(runtime=runtime)
        started = time.perf_counter()
        try:
            yield headers
        finally:
            print(
                f"\nfuzz: {sum(CASES.values())} cases over {len(CASES)} operations in "
                f"{time.perf_counter() - started:.0f}s; statuses {dict(sorted(RESPONSES.items()))}"
            )
            shutdown_lifespans()  # schemathesis keeps an app's lifespan running until told
            late_app.target = None
            runtime.close()


# Hypothesis settings of both runs below.
RUN: dict[str, Any] = {
    "deadline": None,  # the first path request loads an index; timing is for bench/, not for tests
    "derandomize": True,  # the same cases on every run, so CI is deterministic
    "database": None,  # no .hypothesis folder: nothing replays last run's failures into this one
    # Generating the larger bodies (roles, events) is slow on 2 cores; that is no failure of the API.
    "suppress_health_check": list(HealthCheck),
}


@pytest.mark.slow
@pytest.mark.backends("postgresql")
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, **RUN)
def test_api_conforms_to_its_schema(case: schemathesis.Case, admin_headers: dict[str, str]) -> None:
    CASES[case.operation.label] += 1
    response = case.call_and_validate(headers=admin_headers)
    RESPONSES[response.status_code] += 1


# Stateful: chains of calls along the links schemathesis infers from the document (a response's id
# or the parameters two operations share), so that reads run on what a create made: PUT an employee,
# then read its gaps, assessments and export, ask for its path, then GET /v1/paths/{id}; PUT a role,
# then GET it; queue an import or a retraining, then GET /v1/jobs/{id}; contest an assessment, then
# decide the contest. Every check runs on every step, as above.
STATEFUL_EXAMPLES = 25  # scenarios, each of up to STATEFUL_STEPS calls
STATEFUL_STEPS = 6


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """The inferred links as a Hypothesis state machine; every call carries the admin key."""

    headers: dict[str, str] = {}

    def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
        return {"headers": self.headers}

    def after_call(self, response: Any, case: schemathesis.Case) -> None:
        CASES[f"stateful {case.operation.label}"] += 1
        RESPONSES[response.status_code] += 1


@pytest.mark.slow
@pytest.mark.backends("postgresql")
def test_create_then_read_chains_conform_to_the_schema(admin_headers: dict[str, str]) -> None:
    links = [name for name in dir(Workflow) if "___" in name]
    assert len(links) >= 30, links  # inferred from the document; fewer means the document lost ids
    Workflow.headers = admin_headers
    Workflow.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS, **RUN))


# What the fuzzer found, pinned as plain tests (on both databases) so they run without it.


def test_405_names_every_method_of_the_path_in_allow(client: TestClient) -> None:
    for path, allowed in (("/v1/roles/r-1", "GET, PUT"), ("/v1/reports/figures", "GET, POST")):
        answer = client.request("TRACE", path)
        assert answer.status_code == 405 and answer.headers["Allow"] == allowed
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_the_document_declares_what_middleware_answers_as_problem_json() -> None:
    document = openapi_document()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            invalid = "400" if path.startswith("/xapi/") else "422"  # xAPI asks for 400
            expected = {invalid} | ({"400", "413"} if "requestBody" in operation else set())
            expected |= {"429"} if path.startswith("/v1/") else set()
            assert expected <= responses.keys(), (method, path)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (method, path, status)
    assert "Retry-After" in document["paths"]["/v1/search"]["get"]["responses"]["429"]["headers"]
    lrs = document["paths"]["/xapi/statements"]
    assert all("422" not in operation["responses"] for operation in lrs.values())
    assert all(p["name"] == "X-Experience-API-Version" for p in (op["parameters"][0] for op in lrs.values()))


def test_ids_past_bigint_and_foreign_cursors_get_422_not_500(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    key = make_key(runtime, tenant)
    for path in (
        "/v1/catalog/items/9223372036854775808",
        "/v1/jobs/0",
        "/v1/catalog/items/1/skills/99999999999999999999",
    ):
        answer = client.request(
            "PUT" if path.count("/") > 4 else "GET", path, json={"status": "confirmed"}, headers=key
        )
        assert answer.status_code == 422, (path, answer.text)
    huge = encode_cursor(2**63)
    for path in ("/v1/catalog/items", "/v1/skills", "/v1/audit"):
        answer = client.get(path, params={"cursor": huge}, headers=key)
        assert answer.status_code == 422 and "cursor" in answer.json()["detail"], path


def test_labels_that_look_like_ids_or_share_a_key_make_distinct_skills(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    key = make_key(runtime, tenant)
    made = [
        client.post("/v1/skills", json={"label": label}, headers=key) for label in ("C", "C++", "2024", "²")
    ]
    assert [m.status_code for m in made] == [201, 201, 201, 201], [m.text for m in made]
    assert len({m.json()["skill_id"] for m in made}) == 4
    again = client.post("/v1/skills", json={"label": "2024"}, headers=key)
    assert again.status_code == 409 and again.json()["skill_id"] == made[2].json()["skill_id"]
    huge = {"skill": "99999999999999999999", "level": 2}
    role = client.put("/v1/roles/r-1", json={"name": "R", "skills": [huge]}, headers=key)
    assert role.status_code == 422 and "skills[0]" in role.json()["detail"]
    role = client.put(
        "/v1/roles/r-1", json={"name": "R", "skills": [{"skill": "c++", "level": 1}]}, headers=key
    )
    assert role.status_code == 200, role.text
    assert role.json()["resolved"][0]["skill_id"] == made[1].json()["skill_id"]


def test_numbers_and_dates_must_have_the_documented_type(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    key = make_key(runtime, tenant)
    for params in ({"end": "0"}, {"start": "1700000000"}, {"end": "2024-13-01"}):
        answer = client.get("/v1/reports/kpis", params=params, headers=key)
        assert answer.status_code == 422 and list(params)[0] in answer.json()["detail"], params
    assert client.get("/v1/audit", params={"since": "0.5"}, headers=key).status_code == 422
    assert client.get("/v1/audit", params={"since": "2024-05-31T09:30:00Z"}, headers=key).status_code == 200
    for skill in ({"skill": "x", "current": False, "target": 3}, {"skill": "x", "current": "1", "target": 3}):
        answer = client.post("/v1/recommendations", json={"skills": [skill]}, headers=key)
        assert answer.status_code == 422 and "skills.0.current" in answer.json()["detail"], skill
    assert client.put("/v1/employees/e-1", json={}, headers=key).status_code == 200
    for bad in ({"level": True}, {"level": 3, "observed_at": 0}, {"level": 3, "observed_at": "yesterday"}):
        answer = client.post(
            "/v1/employees/e-1/assessments", json=[{"skill": "x", "source": "self", **bad}], headers=key
        )
        assert answer.status_code == 422, bad


def test_every_operation_allowed_a_semantic_422_is_in_the_document() -> None:
    """A renamed route must not leave a stale allowance behind (nor one that applies to nothing)."""
    paths = openapi_document()["paths"]
    for method, path in SEMANTIC_422:
        assert method.lower() in paths.get(path, {}), (method, path)


def test_label_lengths_count_as_sent_and_blanks_around_are_dropped(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    key = make_key(runtime, tenant)
    too_long = client.post("/v1/skills", json={"label": "\u0085" + "x" * 200}, headers=key)
    assert too_long.status_code == 422 and "body.label" in too_long.json()["detail"]
    blank = client.post("/v1/skills", json={"label": " \u3000\x1c"}, headers=key)
    assert blank.status_code == 422 and "blank" in blank.json()["detail"]
    made = client.post("/v1/skills", json={"label": "\u00a0 Scrum  "}, headers=key)
    assert made.status_code == 201 and made.json()["label_en"] == "Scrum"
