"""The keys API for admins: list the tenant's keys without secrets, revoke one, refused at once; and
when each key was last used, written at most once a minute."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from models.db import transaction
from models.tables import ApiKey, utcnow
from service.core.runtime import Runtime
from tests.support.api_keys import make_key


def test_an_admin_lists_and_revokes_keys_and_a_revoked_key_is_refused_at_once(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    admin = make_key(runtime, tenant, "admin")
    lms = make_key(runtime, tenant, "lms")
    secret = lms["Authorization"].removeprefix("Bearer ")
    assert client.get("/v1/skills", headers=lms).status_code == 200

    listed = client.get("/v1/keys", headers=admin)
    assert listed.status_code == 200
    keys = listed.json()
    assert {k["role"] for k in keys} >= {"admin", "lms"}
    assert secret not in listed.text and all(set(k) >= {"key_id", "prefix", "created_at"} for k in keys)
    lms_key = next(k for k in keys if k["role"] == "lms" and secret.split("_")[1] == k["prefix"])

    assert client.get("/v1/keys", headers=lms).status_code == 403
    assert client.delete(f"/v1/keys/{lms_key['key_id']}", headers=lms).status_code == 403
    assert client.delete(f"/v1/keys/{lms_key['key_id']}", headers=admin).status_code == 204
    assert client.get("/v1/skills", headers=lms).status_code == 401
    again = client.delete(f"/v1/keys/{lms_key['key_id']}", headers=admin)
    assert again.status_code == 409 and "already" in again.json()["detail"]
    assert [
        k["revoked_at"] is not None
        for k in client.get("/v1/keys", headers=admin).json()
        if k["key_id"] == lms_key["key_id"]
    ] == [True]

    own = next(k for k in keys if k["role"] == "admin")
    assert client.delete(f"/v1/keys/{own['key_id']}", headers=admin).status_code == 409


def test_an_admin_cannot_see_or_revoke_another_tenants_keys(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    other = make_key(runtime, tenant + "-other", "lms")
    theirs = client.get("/v1/keys", headers=make_key(runtime, tenant + "-other", "admin")).json()
    target = next(k for k in theirs if k["role"] == "lms")
    mine = make_key(runtime, tenant, "admin")
    assert all(k["key_id"] != target["key_id"] for k in client.get("/v1/keys", headers=mine).json())
    assert client.delete(f"/v1/keys/{target['key_id']}", headers=mine).status_code == 404
    assert client.get("/v1/skills", headers=other).status_code == 200


def _last_used(runtime: Runtime, headers: dict[str, str]) -> datetime | None:
    prefix = headers["Authorization"].split("_")[1]
    with runtime.sessions() as session:
        return session.scalar(select(ApiKey.last_used_at).where(ApiKey.prefix == prefix))


def _set_last_used(runtime: Runtime, headers: dict[str, str], moment: datetime | None) -> None:
    prefix = headers["Authorization"].split("_")[1]
    with transaction(runtime.sessions) as session:
        session.execute(update(ApiKey).where(ApiKey.prefix == prefix).values(last_used_at=moment))


@contextmanager
def key_writes(runtime: Runtime) -> Iterator[list[str]]:
    """The UPDATEs of api_keys sent to the database meanwhile."""
    seen: list[str] = []

    def look(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_KEYS"):
            seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", look)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", look)


def test_a_request_records_when_its_key_was_used_at_most_once_a_minute(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    admin = make_key(runtime, tenant, "admin")
    lms = make_key(runtime, tenant, "lms")
    prefix = lms["Authorization"].split("_")[1]
    listed = {k["prefix"]: k for k in client.get("/v1/keys", headers=admin).json()}
    assert listed[prefix]["last_used_at"] is None  # never used yet

    before = utcnow()
    assert client.get("/v1/skills", headers=lms).status_code == 200
    first = _last_used(runtime, lms)
    assert first is not None and before <= first <= utcnow()
    listed = {k["prefix"]: k for k in client.get("/v1/keys", headers=admin).json()}
    assert datetime.fromisoformat(listed[prefix]["last_used_at"]) == first

    # Within the minute: the stored moment stays, and not even an UPDATE is sent for it.
    with key_writes(runtime) as writes:
        for _ in range(3):
            assert client.get("/v1/skills", headers=lms).status_code == 200
    assert _last_used(runtime, lms) == first and writes == []

    # Half a minute ago: still nothing; over a minute ago: the next request writes again.
    _set_last_used(runtime, lms, utcnow() - timedelta(seconds=30))
    half = _last_used(runtime, lms)
    assert client.get("/v1/skills", headers=lms).status_code == 200
    assert _last_used(runtime, lms) == half
    _set_last_used(runtime, lms, utcnow() - timedelta(seconds=61))
    stale = _last_used(runtime, lms)
    with key_writes(runtime) as writes:
        assert client.get("/v1/skills", headers=lms).status_code == 200
    renewed = _last_used(runtime, lms)
    assert stale is not None and renewed is not None and renewed > stale + timedelta(seconds=60)
    assert len(writes) == 1


def test_a_request_refused_after_its_key_was_checked_still_counts_as_a_use(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    lms = make_key(runtime, tenant, "lms")
    assert client.get("/v1/keys", headers=lms).status_code == 403  # admins only
    assert _last_used(runtime, lms) is not None
    prefix = lms["Authorization"].split("_")[1]
    unknown = {"Authorization": f"Bearer lp_{prefix}_{'x' * 43}"}
    _set_last_used(runtime, lms, None)
    assert client.get("/v1/skills", headers=unknown).status_code == 401  # not the key's secret
    assert _last_used(runtime, lms) is None
