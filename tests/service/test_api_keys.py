"""The keys API for admins: list the tenant's keys without secrets, revoke one, refused at once."""

from __future__ import annotations

from fastapi.testclient import TestClient

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
