"""The catalog, search, import and health routes, on both databases, through real HTTP handling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models import repositories as repo
from models.tables import Job, MicroUnit
from service.app import create_app
from service.core.runtime import Runtime
from tests.support.api_keys import make_key
from tests.support.catalogs import ROWS, catalog_rows, write_csv
from tests.support.ingest import db_state
from tests.support.jobs import run_job


@pytest.fixture
def loaded(runtime: Runtime, tenant: str, tmp_path: Path) -> str:
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", ROWS))
    return tenant


def test_health_and_readiness(client: TestClient, loaded: str) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.json()
    assert ready.json()["status"] == "ready"
    assert ready.json()["indexes"]["loaded"] >= 1
    assert loaded not in ready.text  # unauthenticated: names no tenant


def test_requests_without_a_valid_key_get_problem_json(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer lp_nope_nope"}):
        response = client.get("/v1/catalog/items", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 401


def test_items_page_with_cursor_and_carry_contract_ids(
    client: TestClient, runtime: Runtime, loaded: str
) -> None:
    headers = make_key(runtime, loaded, "lms")
    first = client.get("/v1/catalog/items", params={"limit": 2}, headers=headers).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(
        "/v1/catalog/items", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    items = first["items"] + second["items"]
    assert {i["external_id"] for i in items} == {r[0] for r in ROWS}
    for item in items:
        assert item["source"] == "csv" and item["activity_id"].startswith("urn:leerpad:activity:csv:")
        assert item["units"] and all(
            u["source"] == "csv" and u["external_id"] == item["external_id"] for u in item["units"]
        )
        assert all(u["activity_id"].startswith(item["activity_id"] + "#unit-") for u in item["units"])
    one = client.get(f"/v1/catalog/items/{items[0]['item_id']}", headers=headers)
    assert one.status_code == 200 and one.json()["external_id"] == items[0]["external_id"]
    bad = client.get("/v1/catalog/items", params={"cursor": "garbage"}, headers=headers)
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]


def test_another_tenant_sees_nothing(
    client: TestClient, runtime: Runtime, loaded: str, tmp_path: Path
) -> None:
    own = client.get("/v1/catalog/items", headers=make_key(runtime, loaded)).json()["items"]
    stranger = make_key(runtime, loaded + "-other")
    assert client.get("/v1/catalog/items", headers=stranger).json()["items"] == []
    assert client.get(f"/v1/catalog/items/{own[0]['item_id']}", headers=stranger).status_code == 404
    assert client.get("/v1/search", params={"q": "SQL"}, headers=stranger).status_code == 503


def test_search_returns_units_with_ids_and_scores(client: TestClient, runtime: Runtime, loaded: str) -> None:
    headers = make_key(runtime, loaded, "employee", employee="e-1")
    response = client.get(
        "/v1/search", params={"q": "how do I write and test a Python function", "limit": 2}, headers=headers
    )
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert results[0]["external_id"] == "py-1"
    for hit in results:
        assert set(hit) >= {
            "item_id",
            "title",
            "snippet",
            "url",
            "minutes",
            "language",
            "score",
            "source",
            "external_id",
            "activity_id",
        }
    assert client.get("/v1/search", params={"q": "x" * 501}, headers=headers).status_code == 422
    assert client.get("/v1/search", params={"q": "sql", "limit": 51}, headers=headers).status_code == 422


def test_import_upload_runs_as_a_job_and_reports(
    client: TestClient, runtime: Runtime, tenant: str, tmp_path: Path
) -> None:
    headers = make_key(runtime, tenant, "ld")
    path = write_csv(tmp_path / "upload.csv", ROWS)
    with open(path, "rb") as handle:
        accepted = client.post(
            "/v1/catalog/imports",
            params={"kind": "csv"},
            files={"file": ("upload.csv", handle, "text/csv")},
            headers=headers,
        )
    assert accepted.status_code == 202, accepted.json()
    job = accepted.json()
    assert job["status"] == "queued"
    with runtime.sessions() as session:
        queued = session.get(Job, job["job_id"])
        assert queued is not None
        upload = Path(queued.payload["path"])
    assert upload.is_file() and upload.is_relative_to(runtime.settings.uploads_dir)
    run_job(runtime, job["job_id"])
    assert not upload.exists() and not upload.parent.exists()  # the import ended: its upload is deleted
    done = client.get(f"/v1/jobs/{job['job_id']}", headers=headers).json()
    assert done["status"] == "succeeded", done
    assert {k: done["report"][k] for k in ("created", "updated", "unchanged", "retired")} == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "retired": 0,
    }
    assert done["report"]["embedded"] >= 3 and done["report"]["rejected"] == []
    assert done["report"]["path"] == "upload.csv"  # never where the server keeps the upload
    assert done["finished_at"].endswith(("Z", "+00:00"))
    other = make_key(runtime, tenant + "-x", "admin")
    assert client.get(f"/v1/jobs/{job['job_id']}", headers=other).status_code == 404


def test_import_refusals(client: TestClient, runtime: Runtime, tenant: str) -> None:
    lms = make_key(runtime, tenant, "lms")
    files = {"file": ("c.csv", b"external_id,title,description\n1,a,b\n", "text/csv")}
    assert (
        client.post("/v1/catalog/imports", params={"kind": "csv"}, files=files, headers=lms).status_code
        == 403
    )
    admin = make_key(runtime, tenant)
    wrong_kind = client.post("/v1/catalog/imports", params={"kind": "moodle"}, files=files, headers=admin)
    assert wrong_kind.status_code == 422
    wrong_type = client.post(
        "/v1/catalog/imports",
        params={"kind": "csv"},
        files={"file": ("c.exe", b"MZ", "application/octet-stream")},
        headers=admin,
    )
    assert wrong_type.status_code == 422 and "c.exe" in wrong_type.json()["detail"]


def test_oversize_upload_gets_413(runtime: Runtime, tenant: str) -> None:
    settings = runtime.settings.model_copy(update={"max_upload_bytes": 1000})
    with TestClient(create_app(settings=settings, runtime=runtime)) as small:
        body = b"external_id,title,description\n" + b"1,a," + b"b" * 5000 + b"\n"
        response = small.post(
            "/v1/catalog/imports",
            params={"kind": "csv"},
            files={"file": ("c.csv", body, "text/csv")},
            headers=make_key(runtime, tenant),
        )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def upload(
    client: TestClient, headers: dict[str, str], path: Path, **params: str
) -> tuple[int, dict[str, Any]]:
    with open(path, "rb") as handle:
        answer = client.post(
            "/v1/catalog/imports",
            params={"kind": "csv", **params},
            files={"file": (path.name, handle, "text/csv")},
            headers=headers,
        )
    return answer.status_code, answer.json()


def catalog_state(runtime: Runtime, tenant: str) -> tuple[dict[str, tuple[str, str]], int, int | None]:
    """Every item's hash and status, how many units are active, and the published index version."""
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        units = session.scalar(
            select(func.count())
            .select_from(MicroUnit)
            .where(MicroUnit.tenant_id == row.id, MicroUnit.active.is_(True))
        )
    return db_state(runtime, tenant), units or 0, runtime.store(tenant).current_version()


def test_import_dry_run_reports_and_writes_nothing_and_mass_retirement_needs_allow_retire(
    client: TestClient, runtime: Runtime, tenant: str, tmp_path: Path
) -> None:
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "first.csv", catalog_rows("first", 10)))
    headers = make_key(runtime, tenant, "ld")
    before = catalog_state(runtime, tenant)
    second = write_csv(tmp_path / "second.csv", catalog_rows("second", 3))

    status, refused = upload(client, headers, second)
    assert status == 409, refused
    assert "source 'csv': this import would retire 10 of its 10 active items" in refused["detail"]
    assert "allow_retire=true" in refused["detail"]
    assert refused["retired"] == 10 and refused["source"] == "csv"
    assert refused["retired_items"][0] == {"external_id": "first-0", "title": "Cursus first 0"}
    with runtime.sessions() as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        assert session.scalar(select(func.count()).select_from(Job).where(Job.tenant_id == tenant_id)) == 0
    assert not any(p.is_file() for p in (runtime.settings.uploads_dir / tenant).rglob("*"))

    status, queued = upload(client, headers, second, dry_run="true")
    assert status == 202, queued
    run_job(runtime, queued["job_id"])
    dry = client.get(f"/v1/jobs/{queued['job_id']}", headers=headers).json()
    assert dry["status"] == "succeeded", dry
    report = dry["report"]
    assert report["dry_run"] is True and report["embedded"] == 0 and report["would_embed"] >= 3
    assert (report["created"], report["updated"], report["unchanged"], report["retired"]) == (3, 0, 0, 10)
    assert report["rejected"] == [] and "retire 10 of its 10" in report["retire_refusal"]
    assert catalog_state(runtime, tenant) == before  # nothing written: items, units, index

    status, queued = upload(client, headers, second, allow_retire="true")
    assert status == 202, queued
    run_job(runtime, queued["job_id"])
    done = client.get(f"/v1/jobs/{queued['job_id']}", headers=headers).json()
    assert done["status"] == "succeeded", done
    assert (done["report"]["created"], done["report"]["retired"]) == (3, 10)
    assert done["report"]["retired_items"][-1] == {"external_id": "first-9", "title": "Cursus first 9"}
    items, units, version = catalog_state(runtime, tenant)
    assert {k for k, (_, s) in items.items() if s == "active"} == {"second-0", "second-1", "second-2"}
    assert version != before[2] and units < before[1]
