"""The audit trail: every /v1 request filed with who, what and which versions; employees only as
pseudonyms; entries past the retention purged by the daily job."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from models import audit_repository as audit_repo
from models import repositories as repo
from models.db import transaction
from models.tables import AuditEntry, utcnow
from service.core.runtime import Runtime
from service.trust.audit import AUDIT_PURGE, pseudonym, pseudonym_secret, purge_audit, schedule_audit_purges
from tests.support.api_keys import make_key
from tests.support.catalogs import ROWS, write_csv
from tests.support.jobs import run_job


def audit_rows(runtime: Runtime, tenant: str) -> list[AuditEntry]:
    with runtime.sessions() as session:
        row = repo.get_tenant(session, tenant)
        assert row is not None
        found = list(audit_repo.entries(session, row.id, None, 0, 1000))
        for entry in found:
            session.expunge(entry)
        return found


def test_requests_are_filed_with_caller_route_digests_and_versions(
    client: TestClient, runtime: Runtime, tenant: str, tmp_path: Path
) -> None:
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", ROWS))
    lms = make_key(runtime, tenant, "lms")
    searched = client.get("/v1/search", params={"q": "SQL queries", "limit": 3}, headers=lms)
    assert searched.status_code == 200
    body = {"role": None, "team": "data", "language": "nl"}
    put = client.put("/v1/employees/e-audit", json=body, headers=lms)
    assert put.status_code == 200
    assert client.get("/v1/reports/gaps", headers=lms).status_code == 403
    assert client.get("/v1/search", params={"q": "x"}).status_code == 401  # no tenant: not filed

    rows = audit_rows(runtime, tenant)
    assert [(r.method, r.route, r.status) for r in rows] == [
        ("GET", "/v1/search", 200),
        ("PUT", "/v1/employees/{employee_id}", 200),
        ("GET", "/v1/reports/gaps", 403),
    ]
    search, employee, denied = rows
    assert (
        search.role == "lms"
        and search.key_id is not None
        and search.query == {"q": "SQL queries", "limit": "3"}
    )
    assert search.index_version == searched.json()["index_version"]
    assert search.answer_sha256 == hashlib.sha256(searched.content).hexdigest()
    assert employee.body_bytes > 0 and employee.body_sha256 is not None
    # The employee is a pseudonym: stable, keyed, and not the key itself.
    with runtime.sessions() as session:
        tenant_id = repo.get_tenant(session, tenant).id  # type: ignore[union-attr]
    secret = pseudonym_secret(runtime)
    assert employee.subject == pseudonym(secret, tenant_id, "e-audit")
    assert (
        "e-audit" not in (employee.subject or "")
        and employee.subject != hashlib.sha256(b"e-audit").hexdigest()[:32]
    )
    assert denied.role == "lms" and denied.answer_sha256 is not None

    admin = make_key(runtime, tenant, "admin")
    page = client.get("/v1/audit", params={"limit": 2}, headers=admin).json()
    assert len(page["entries"]) == 2 and page["next_cursor"] and page["retention_days"] == 183
    assert client.get("/v1/audit", headers=lms).status_code == 403
    other = client.get("/v1/audit", headers=make_key(runtime, tenant + "-x", "admin")).json()
    assert all(e["route"] != "/v1/search" for e in other["entries"])


def test_old_entries_are_purged_by_the_daily_job(client: TestClient, runtime: Runtime, tenant: str) -> None:
    now = utcnow()
    with transaction(runtime.sessions) as session:
        tenant_id = repo.get_or_create_tenant(session, tenant).id
        for days in (400, 200, 10):
            audit_repo.append(
                session,
                AuditEntry(
                    at=now - timedelta(days=days),
                    tenant_id=tenant_id,
                    method="GET",
                    route="/v1/search",
                    query={},
                    body_bytes=0,
                    status=200,
                    duration_ms=1.0,
                ),
            )
    assert schedule_audit_purges(runtime) >= 1
    with runtime.sessions() as session:
        job = repo.latest_job_of_kind(session, tenant_id, AUDIT_PURGE)
        assert job is not None
        job_id = job.id
    run_job(runtime, job_id)
    with runtime.sessions() as session:
        done = repo.get_job(session, tenant_id, job_id)
        assert done is not None and done.result == {
            **(done.result or {}),
            "deleted": 2,
            "retention_days": 183,
        }
    assert [round((now - r.at).days) for r in audit_rows(runtime, tenant)] == [10]
    # A second look the same day queues nothing for this tenant, and a purge now finds nothing.
    with runtime.sessions() as session:
        before = repo.latest_job_of_kind(session, tenant_id, AUDIT_PURGE)
    schedule_audit_purges(runtime)
    with runtime.sessions() as session:
        assert repo.latest_job_of_kind(session, tenant_id, AUDIT_PURGE).id == before.id  # type: ignore[union-attr]
    assert purge_audit(runtime, tenant)["deleted"] == 0
