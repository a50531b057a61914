"""Floods get 429, oversize bodies 413, over-limit counts 422, text no database stores 422."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.core.runtime import Runtime
from service.http.limits import TokenBuckets, client_identity
from tests.support.api_keys import make_key

PROBLEM = "application/problem+json"


def flood_app(runtime: Runtime, per_minute: int = 1, burst: int = 3) -> TestClient:
    settings = runtime.settings.model_copy(
        update={"rate_limit_per_minute": per_minute, "rate_limit_burst": burst}
    )
    return TestClient(create_app(settings=settings, runtime=runtime))


@pytest.mark.backends("sqlite")
def test_a_flood_gets_429_with_retry_after_and_other_keys_go_on(runtime: Runtime, tenant: str) -> None:
    flooder, other = make_key(runtime, tenant), make_key(runtime, tenant, "lms")
    with flood_app(runtime, per_minute=1, burst=3) as client:
        answers = [client.get("/v1/catalog/items", headers=flooder) for _ in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
        refused = answers[3]
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert refused.json()["status"] == 429 and "at most 1 a minute" in refused.json()["detail"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        # Another key of the same tenant, from the same address, has a bucket of its own.
        assert client.get("/v1/catalog/items", headers=other).status_code == 200
        # The health checks are never limited (load balancers poll them).
        assert all(client.get("/healthz").status_code == 200 for _ in range(5))
        # Without a key the client's address is the bucket: strangers cannot drain a key's bucket.
        strangers = [client.get("/v1/catalog/items").status_code for _ in range(4)]
        assert strangers == [401, 401, 401, 429]


@pytest.mark.backends("sqlite")
def test_guessing_keys_from_one_address_gets_429_for_every_key(runtime: Runtime, tenant: str) -> None:
    """Each made-up key would have a full bucket of its own; the 401s count against the address."""
    valid = make_key(runtime, tenant)
    with flood_app(runtime, per_minute=1, burst=3) as client:
        guesses = [
            client.get("/v1/roles", headers={"Authorization": f"Bearer lp_guess{n}_x"}).status_code
            for n in range(4)
        ]
        assert guesses == [401, 401, 401, 429]
        refused = client.get("/v1/roles", headers=valid)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1


@pytest.mark.backends("sqlite")
def test_a_limit_of_zero_turns_rate_limiting_off(runtime: Runtime, tenant: str) -> None:
    key = make_key(runtime, tenant)
    with flood_app(runtime, per_minute=0, burst=1) as client:
        assert {client.get("/v1/roles", headers=key).status_code for _ in range(10)} == {200}


def test_token_buckets_refill_at_the_rate_and_forget_idle_callers() -> None:
    now = [0.0]
    buckets = TokenBuckets(per_minute=60, burst=2, clock=lambda: now[0], max_identities=2)
    assert buckets.peek("a") == 0 and buckets.peek("a") == 0  # a peek takes nothing
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.peek("a") == pytest.approx(1.0)
    assert buckets.take("a") == pytest.approx(1.0)  # one token a second: wait a second
    now[0] = 0.5
    assert buckets.take("a") == pytest.approx(0.5)  # a refused request takes nothing
    now[0] = 1.0
    assert buckets.take("a") == 0
    buckets.take("b")
    buckets.take("c")  # over max_identities: the least recently seen ("a") is forgotten
    assert "a" not in buckets._buckets and len(buckets._buckets) == 2


def test_the_bucket_is_the_key_else_the_dashboard_session_else_the_address() -> None:
    def scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
        return {"type": "http", "headers": headers, "client": ("10.0.0.7", 5000)}

    bearer = client_identity(scope([(b"authorization", b"Bearer lp_a_secret")]))
    cookie = client_identity(scope([(b"cookie", b"theme=dark; leerpad_session=s3cret-session-id")]))
    assert bearer.startswith("key:") and "secret" not in bearer
    assert cookie.startswith("session:") and "s3cret" not in cookie
    assert client_identity(scope([(b"authorization", b"Bearer lp_b_other")])) != bearer
    assert client_identity(scope([(b"cookie", b'broken="')])) == "ip:10.0.0.7"
    assert client_identity(scope([])) == "ip:10.0.0.7"


def test_basic_credentials_draw_from_their_keys_bucket_not_the_address() -> None:
    """LMSs send the LRS their key as the Basic password: one key is one bucket, Bearer or Basic, and
    two LMSs behind one address (a proxy, a NAT) do not share one."""

    def scope(authorization: bytes) -> dict[str, Any]:
        return {"type": "http", "headers": [(b"authorization", authorization)], "client": ("10.0.0.7", 5000)}

    def basic(credentials: bytes) -> bytes:
        return b"Basic " + base64.b64encode(credentials)

    bearer = client_identity(scope(b"Bearer lp_a_secret"))
    assert client_identity(scope(basic(b"acme:lp_a_secret"))) == bearer
    assert client_identity(scope(basic(b"other:lp_b_other"))) not in (bearer, "ip:10.0.0.7")
    for broken in (b"Basic not-base64!", basic(b"no-colon"), basic(b"\xff:\xfe")):
        assert client_identity(scope(broken)) == "ip:10.0.0.7"


def test_an_oversize_json_body_gets_413_declared_or_streamed(runtime: Runtime, tenant: str) -> None:
    settings = runtime.settings.model_copy(update={"max_json_bytes": 2000})
    key = make_key(runtime, tenant, "lms")
    body = b'[{"padding": "' + b"x" * 5000 + b'"}]'
    with TestClient(create_app(settings=settings, runtime=runtime)) as client:
        declared = client.post(
            "/v1/events", content=body, headers={**key, "Content-Type": "application/json"}
        )
        streamed = client.post(
            "/v1/events",
            content=iter([body[:1000], body[1000:3000], body[3000:]]),  # chunked: no Content-Length
            headers={**key, "Content-Type": "application/json"},
        )
    for answer in (declared, streamed):
        assert answer.status_code == 413
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert "2000 bytes" in answer.json()["detail"]


def test_json_has_its_own_small_cap_refused_while_it_streams_in(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    """A JSON body past LEERPAD_MAX_JSON_BYTES (6 MiB) is cut off before it is read whole or parsed:
    before, every body could be as large as an upload (50 MiB) and was parsed, then answered 422."""
    cap = runtime.settings.max_json_bytes
    assert cap == 6 * 1024 * 1024 < runtime.settings.max_upload_bytes
    headers = {**make_key(runtime, tenant, "lms"), "Content-Type": "application/json"}
    statement = b'{"actor": {"account": {"name": "e-1"}}, "verb": {"id": "x"}, "object": {"id": "y"}},'
    body = b"[" + statement * (cap // len(statement) + 1) + statement[:-1] + b"]"
    declared = client.post("/v1/events", content=body, headers=headers)
    assert declared.status_code == 413, declared.text[:200]
    assert f"{cap} bytes" in declared.json()["detail"]
    # Straight through ASGI: the test client reads a streamed body whole before it sends any.
    pulled, status = anyio.run(stream_blanks, client.app, headers, 20 * 1024 * 1024)
    assert status == 413
    assert pulled <= cap + STREAM_CHUNK  # the rest of the 20 MiB stream was never asked for


STREAM_CHUNK = 64 * 1024


async def stream_blanks(app: Any, headers: dict[str, str], total: int) -> tuple[int, int]:
    """POST /v1/events a chunked body of `total` bytes, each chunk only when the app asks for it;
    (bytes the app asked for, the answer's status)."""
    pulled, status = 0, 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled >= total:
            return {"type": "http.disconnect"}
        pulled += STREAM_CHUNK
        return {"type": "http.request", "body": b" " * STREAM_CHUNK, "more_body": pulled < total}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/events", "raw_path": b"/v1/events", "query_string": b"",
        "root_path": "", "headers": [*raw, (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }  # fmt: skip
    await app(scope, receive, send)
    return pulled, status


def test_only_a_multipart_upload_to_the_import_route_has_the_large_cap(runtime: Runtime, tenant: str) -> None:
    settings = runtime.settings.model_copy(update={"max_json_bytes": 1000, "max_upload_bytes": 100_000})
    key = make_key(runtime, tenant)
    files = {"file": ("c.exe", b"MZ" + b"\0" * 5000, "application/octet-stream")}
    with TestClient(create_app(settings=settings, runtime=runtime)) as small:
        upload = small.post("/v1/catalog/imports", params={"kind": "csv"}, files=files, headers=key)
        # Past the size limit: the route itself refuses the suffix.
        assert upload.status_code == 422 and "c.exe" in upload.json()["detail"]
        elsewhere = small.post("/v1/events", files=files, headers=key)
        assert elsewhere.status_code == 413 and "1000 bytes" in elsewhere.json()["detail"]
        as_json = small.post(
            "/v1/catalog/imports",
            params={"kind": "csv"},
            content=b'"' + b"x" * 5000 + b'"',
            headers={**key, "Content-Type": "application/json"},
        )
        assert as_json.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "body", "words"),
    [
        ("POST", "/v1/events", [{"id": "x"}] * 1001, "at most 1000"),
        ("POST", "/v1/reports/figures", [{}] * 1001, "at most 1000"),
        ("GET", "/v1/catalog/items?limit=201", None, "limit"),
        ("GET", "/v1/search?q=sql&limit=51", None, "limit"),
        ("GET", "/v1/skills?limit=0", None, "limit"),
        ("GET", "/v1/audit?limit=501", None, "limit"),
        ("PUT", "/v1/roles/r-1", {"name": "R", "skills": [{"skill": "x", "level": 1}] * 201}, "200"),
        ("POST", "/v1/recommendations", {"skills": [{"skill": "x", "current": 0, "target": 3}] * 51}, "50"),
    ],
)
def test_over_limit_counts_get_422_naming_the_limit(
    client: TestClient, runtime: Runtime, tenant: str, method: str, path: str, body: Any, words: str
) -> None:
    answer = client.request(method, path, json=body, headers=make_key(runtime, tenant))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert words in answer.json()["detail"], answer.json()["detail"]


def test_more_than_500_assessments_get_422(client: TestClient, runtime: Runtime, tenant: str) -> None:
    key = make_key(runtime, tenant)
    assert client.put("/v1/employees/e-1", json={}, headers=key).status_code == 200
    many = [{"skill": "x", "level": 1, "source": "self"}] * 501
    answer = client.post("/v1/employees/e-1/assessments", json=many, headers=key)
    assert answer.status_code == 422 and "at most 500" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        ("GET", "/v1/catalog/items?q=a%00b", None, "query.q"),
        ("GET", "/v1/skills?q=%00", None, "query.q"),
        ("GET", "/v1/roles?unknown=%00", None, "query.unknown"),  # unknown parameters are audited
        ("PUT", "/v1/roles/r-1", {"name": "Data\x00", "skills": []}, "body.name"),
        ("POST", "/v1/skills", {"label": "ok", "alt_labels": ["fine", "bad\x00"]}, "body.alt_labels.1"),
        ("PUT", "/v1/employees/e-1", {"preferences": {"formats\x00": ["video"]}}, "body.preferences.formats"),
        ("POST", "/v1/events", [{"actor": {"account": {"name": "e\x00"}}}], "body.0.actor.account.name"),
    ],
)
def test_text_postgresql_cannot_store_gets_422_naming_the_field(
    client: TestClient, runtime: Runtime, tenant: str, method: str, path: str, body: Any, where: str
) -> None:
    answer = client.request(method, path, json=body, headers=make_key(runtime, tenant))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.json()["detail"].startswith(where) and "NUL" in answer.json()["detail"]
    assert answer.json()["errors"][0]["loc"][0] in ("query", "body")


def test_lone_surrogates_get_422_and_escaped_backslashes_pass(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    key = {**make_key(runtime, tenant), "Content-Type": "application/json"}
    lone = client.put("/v1/roles/r-1", content=b'{"name": "R\\ud800", "skills": []}', headers=key)
    assert lone.status_code == 422 and lone.json()["detail"].startswith("body.name: ")
    assert "surrogate" in lone.json()["detail"]
    pair = client.put("/v1/roles/r-1", content=b'{"name": "R \\ud83d\\ude80", "skills": []}', headers=key)
    assert pair.status_code == 200 and pair.json()["name"] == "R \U0001f680"
    literal = client.put("/v1/roles/r-2", content=b'{"name": "C:\\\\u0000", "skills": []}', headers=key)
    assert literal.status_code == 200 and literal.json()["name"] == "C:\\u0000"


def test_a_nul_in_the_dashboard_login_form_gets_422(client: TestClient) -> None:
    answer = client.post("/dashboard/login", data={"key": "lp_\x00_x"})
    assert answer.status_code == 422 and answer.json()["detail"].startswith("body.key: ")


def test_free_form_json_too_deep_to_send_back_is_refused(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    """Preferences and statements are kept as sent and sent back: one nested 900 deep passed the
    parser and failed when the answer was serialised (a 500)."""
    key = {**make_key(runtime, tenant), "Content-Type": "application/json"}
    deep = '{"a":' * 900 + "1" + "}" * 900
    answer = client.put("/v1/employees/e-1", content=f'{{"preferences": {deep}}}', headers=key)
    assert answer.status_code == 422 and "preferences" in answer.json()["detail"]
    assert "deep" in answer.json()["detail"]
    statement = '[{"actor": {"account": {"name": "e-1"}}, "result": {"extensions": {"x": ' + deep + "}}}]"
    answer = client.post("/v1/events", content=statement, headers=key)
    assert answer.status_code == 200
    assert answer.json()["rejected"][0]["reason"] == "statement: nested more than 32 deep"


def test_the_json_cap_holds_the_largest_valid_request_with_room_to_spare(
    client: TestClient, runtime: Runtime, tenant: str, shared_data: Path
) -> None:
    """LEERPAD_MAX_JSON_BYTES is sized from the largest valid request: 1,000 statements, each the
    largest one Moodle's logstore_xapi sends, pretty-printed, fit with a quarter to spare, and are read."""
    folder = shared_data / "xapi_statements_moodle" / "statements"
    sent = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]
    largest = max((s for batch in sent for s in batch), key=lambda s: len(json.dumps(s)))
    body = json.dumps([largest] * 1000, indent=2).encode()
    assert 3_000_000 < len(body) < 0.75 * runtime.settings.max_json_bytes
    headers = {**make_key(runtime, tenant, "lms"), "Content-Type": "application/json"}
    answer = client.post("/v1/events", content=body, headers=headers)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["accepted"] + answer.json()["duplicates"] + len(answer.json()["rejected"]) == 1000
