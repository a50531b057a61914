"""The rights of access and erasure on both databases: GET /v1/employees/{id}/export returns everything
held about an employee; DELETE /v1/employees/{id} erases it from every table, and a full-text scan
of every column of every table in the database (and of every file under LEERPAD_HOME) then finds
the employee's id nowhere: "residual hits after erasure" is 0."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, Text, cast, func, or_, select

from ingest.taxonomy import read_default_taxonomy
from models import nudges_repository as nudges_repo
from models import people_repository as people
from models import repositories as repo
from models.db import transaction
from models.personal_data import ERASED_PREFIX, PERSONAL_DATA, DataSubject, checkpoint_after_erasure
from models.tables import Nudge, utcnow
from service.core.activities import activity_id
from service.core.runtime import Runtime
from service.skills.taxonomy import import_taxonomy
from service.trust.audit import pseudonym, pseudonym_secret
from service.trust.personal_data import (
    ACCESS_LOGGER,
    AccessLogPseudonyms,
    install_access_log_pseudonyms,
    log_pseudonym,
)
from tests.support.api_keys import make_key
from tests.support.badges import baked, issuer_key, other_issuer_badge, trusted_issuer_body
from tests.support.catalogs import HEADER, PATH_CATALOG, write_csv
from tests.support.xapi import statement


def residual_hits(runtime: Runtime, needle: str) -> dict[str, int]:
    """Rows per table, in every table the database has (reflected, not taken from our models), with
    `needle` anywhere in any column read as text (JSON documents, statements, labels, ...)."""
    database = MetaData()
    database.reflect(bind=runtime.engine)
    hits: dict[str, int] = {}
    with runtime.engine.connect() as conn:
        for name, table in sorted(database.tables.items()):
            matches = [cast(column, Text).contains(needle, autoescape=True) for column in table.columns]
            found = conn.execute(select(func.count()).select_from(table).where(or_(*matches))).scalar_one()
            if found:
                hits[name] = int(found)
    return hits


def file_hits(home: Path, needle: str) -> list[str]:
    """Files under LEERPAD_HOME (index snapshots, uploads, ...) whose bytes hold `needle`."""
    wanted = needle.encode()
    return [str(p) for p in home.rglob("*") if p.is_file() and wanted in p.read_bytes()]


def registered_rows(runtime: Runtime, subject: DataSubject) -> dict[str, int]:
    with runtime.sessions() as session:
        return {name: len(entry.export(session, subject)) for name, entry in PERSONAL_DATA.items()}


def build_employee(client: TestClient, runtime: Runtime, tenant: str, tmp_path: Path, key: str) -> None:
    """An employee with a role, assessments, a contest, learning events and a path."""
    lms, own = make_key(runtime, tenant, "lms"), make_key(runtime, tenant, "employee", employee=key)
    body = {"role": "analyst", "team": "data", "language": "nl", "preferences": {"formats": ["video"]}}
    assert client.put(f"/v1/employees/{key}", json=body, headers=lms).status_code == 200
    evidence = [
        {"skill": "SQL", "level": 1, "source": "test"},
        {"skill": "feedback geven", "level": 2, "source": "manager"},
    ]
    assert client.post(f"/v1/employees/{key}/assessments", json=evidence, headers=lms).status_code == 200
    assert (
        client.post(
            f"/v1/employees/{key}/assessments",
            json=[{"skill": "SQL", "level": 2, "source": "self"}],
            headers=own,
        ).status_code
        == 200
    )
    manager = next(
        a
        for a in client.get(f"/v1/employees/{key}/assessments", headers=own).json()
        if a["source"] == "manager"
    )
    contest = client.post(
        f"/v1/employees/{key}/assessments/{manager['assessment_id']}/contest",
        json={"reason": "I was on leave then"},
        headers=own,
    )
    assert contest.status_code == 201
    events = [
        statement(key, "completed", activity_id("csv", "sql-basis")),
        statement(
            key,
            "http://id.tincanapi.com/verb/rated",
            activity_id("csv", "fb-geven"),
            result={"score": {"scaled": 0.8}},
        ),
    ]
    assert client.post("/v1/events", json=events, headers=lms).json()["accepted"] == 2
    # The LRS endpoint keeps a statement whatever its verb: the employee's too.
    joined = statement(key, "http://activitystrea.ms/join", activity_id("csv", "sql-basis"))
    lrs = {**lms, "X-Experience-API-Version": "1.0.3"}
    assert client.post("/xapi/statements", json=joined, headers=lrs).status_code == 200
    path = client.post(f"/v1/employees/{key}/path", json={"minutes_per_week": 30, "weeks": 2}, headers=own)
    assert path.status_code == 200, path.json()
    # Open Badges: a verified badge from elsewhere (evidence of "feedback geven" at level 3, the role's
    # target, as the manager's rating is contested), the employee's consent and the badge it earns.
    admin = make_key(runtime, tenant, "admin")
    assert client.put("/v1/badges/settings", json={"enabled": True}, headers=admin).status_code == 200
    private = issuer_key()
    assert (
        client.put("/v1/badges/trusted-issuers", json=trusted_issuer_body(private), headers=admin).status_code
        == 200
    )
    upload = baked(other_issuer_badge(private, target_name="feedback geven"))
    received = client.post(
        f"/v1/employees/{key}/badges/received", files={"file": ("b.png", upload)}, headers=own
    )
    assert received.status_code == 201 and received.json()["verified"] is True, received.json()
    assert (
        client.put(f"/v1/employees/{key}/badges/consent", json={"consent": True}, headers=own).status_code
        == 200
    )
    assert len(client.post(f"/v1/employees/{key}/badges", headers=own).json()) == 1
    # Nudges: the employee's own settings, a nudge sent to them and their pulse answer.
    settings = {"opted_in": True, "channel": "slack", "address": f"U-{key}"}
    assert client.put(f"/v1/employees/{key}/nudges", json=settings, headers=own).status_code == 200
    step = path.json()["steps"][0]
    with transaction(runtime.sessions) as session:
        tenant_row = repo.get_tenant(session, tenant)
        employee = people.get_employee(session, tenant_row.id, key) if tenant_row else None
        assert tenant_row is not None and employee is not None
        nudges_repo.add_nudge(
            session,
            Nudge(
                tenant_id=tenant_row.id,
                employee_id=employee.id,
                channel="slack",
                address=f"U-{key}",
                language="nl",
                step={"title": step["title"], "activity_id": step["activity_id"]},
                activity_id=step["activity_id"],
                pulse=True,
                status="sent",
                attempts=1,
            ),
        )
        nudges_repo.add_pulse_answer(session, tenant_row.id, employee.id, 9, utcnow())
    # A team challenge the employee joined (L&D sets it; joining is the employee's own choice).
    today = utcnow().date()
    challenge = {
        "team": "data",
        "title": "300 minuten",
        "goal_minutes": 300,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
    }
    made = client.post("/v1/challenges", json=challenge, headers=make_key(runtime, tenant, "ld"))
    assert made.status_code == 201, made.text
    url = f"/v1/challenges/{made.json()['challenge_id']}/participants/{key}"
    assert client.put(url, headers=own).status_code == 200


@pytest.fixture
def company(runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient) -> str:
    import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", PATH_CATALOG, header=HEADER))
    role = {
        "name": "Data-analist",
        "skills": [
            {"skill": "SQL", "level": 4, "importance": "essential"},
            {"skill": "feedback geven", "level": 3, "importance": "optional"},
        ],
    }
    assert (
        client.put("/v1/roles/analyst", json=role, headers=make_key(runtime, tenant, "ld")).status_code == 200
    )
    return tenant


def _stable(export: dict[str, Any]) -> dict[str, Any]:
    """An export without what every request changes: the time, the audit entries of the requests, when
    the employee's keys were last used (the export's own key is), and the gaps (computed at that
    moment: recency weighs evidence)."""
    tables = {name: rows for name, rows in export["tables"].items() if name != "audit_log"}
    tables["api_keys"] = [{**row, "last_used_at": None} for row in tables.get("api_keys", [])]
    return {**export, "exported_at": None, "tables": tables, "gaps": None}


def test_export_holds_everything_and_erasure_leaves_no_trace(
    client: TestClient,
    runtime: Runtime,
    company: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    key = f"erase-{uuid.uuid4().hex[:10]}"
    colleague = f"keep-{uuid.uuid4().hex[:10]}"
    build_employee(client, runtime, company, tmp_path, key)
    build_employee(client, runtime, company, tmp_path, colleague)
    admin, lms, ld = (make_key(runtime, company, role) for role in ("admin", "lms", "ld"))
    own = make_key(runtime, company, "employee", employee=key)
    colleague_key = make_key(runtime, company, "employee", employee=colleague)
    # A colleague's statement that names the employee as its instructor: the colleague's data, which stays.
    taught = statement(colleague, "completed", activity_id("csv", "sql-joins"))
    taught["context"] = {
        "instructor": {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": key}}
    }
    assert client.post("/v1/events", json=[taught], headers=lms).json()["accepted"] == 1
    # How an LMS names the employee: an account of theirs there.
    moodle_user = {"account": {"homePage": "https://moodle.example", "name": f"{key}-moodle"}}
    mapped = client.put("/v1/identities", json=[{"employee_id": key, "actor": moodle_user}], headers=lms)
    assert mapped.json()["created"] == 1

    # --- access: the employee itself, the LMS and an admin; nobody else ---------------------------
    exported = client.get(f"/v1/employees/{key}/export", headers=own)
    assert exported.status_code == 200, exported.json()
    data = exported.json()
    tables = data["tables"]
    assert set(tables) == set(PERSONAL_DATA)
    assert data["employee_id"] == key and data["employee"]["role"] == "analyst"
    assert tables["employees"][0]["key"] == key and tables["employees"][0]["preferences"] == {
        "formats": ["video"]
    }
    assert sorted(a["source"] for a in tables["assessments"]) == ["badge", "manager", "self", "test"]
    assert {a["skill_label"] for a in tables["assessments"]} >= {"SQL"}
    assert [c["reason"] for c in tables["assessment_contests"]] == ["I was on leave then"]
    assert sorted(e["verb"] for e in tables["learning_events"]) == ["completed", "rated"]
    assert all(e["statement"]["actor"]["account"]["name"] == key for e in tables["learning_events"])
    assert len(tables["learning_paths"]) == 1
    assert [i["actor_key"] for i in tables["actor_identities"]] == [
        f"account|https://moodle.example|{key}-moodle"
    ]
    path = tables["learning_paths"][0]
    assert path["request"]["minutes_per_week"] == 30 and path["response"]["steps"] and path["impressions"]
    assert [k["role"] for k in tables["api_keys"]] == ["employee"] * 2  # build_employee's and `own`
    assert all("key_hash" not in k and "last_used_at" in k for k in tables["api_keys"])
    assert tables["audit_log"] and all(a["subject"] and a["subject"] != key for a in tables["audit_log"])
    assert data["gaps"]["role"] == "analyst" and any(g["skill"] == "SQL" for g in data["gaps"]["gaps"])
    assert data["gaps_withheld"] is None and set(data["erasure"]) == set(PERSONAL_DATA)
    assert _stable(client.get(f"/v1/employees/{key}/export", headers=lms).json()) == _stable(data)
    assert client.get(f"/v1/employees/{key}/export", headers=admin).status_code == 200
    assert client.get(f"/v1/employees/{key}/export", headers=colleague_key).status_code == 403
    assert client.get(f"/v1/employees/{key}/export", headers=ld).status_code == 403
    assert client.get("/v1/employees/nobody-here/export", headers=lms).status_code == 404
    stranger = make_key(runtime, company + "-x", "admin")
    assert client.get(f"/v1/employees/{key}/export", headers=stranger).status_code == 404
    # Gap scores follow the company's switch: under employees_only the LMS's export leaves them out.
    settings_url = "/v1/settings"
    assert (
        client.put(settings_url, json={"individual_gaps": "employees_only"}, headers=admin).status_code == 200
    )
    hidden = client.get(f"/v1/employees/{key}/export", headers=lms).json()
    assert hidden["gaps"] is None and hidden["gaps_withheld"] and hidden["tables"]["assessments"]
    assert client.get(f"/v1/employees/{key}/export", headers=own).json()["gaps"] is not None
    assert client.put(settings_url, json={"individual_gaps": "all"}, headers=admin).status_code == 200

    # --- erasure ---------------------------------------------------------------------------------
    with runtime.sessions() as session:
        tenant_id = repo.get_tenant(session, company).id  # type: ignore[union-attr]
        employee_id = tables["employees"][0]["id"]
    subject = DataSubject(tenant_id, employee_id, key, pseudonym(pseudonym_secret(runtime), tenant_id, key))
    before = registered_rows(runtime, subject)
    assert all(before[name] for name in PERSONAL_DATA), before
    hits_before = residual_hits(runtime, key)
    assert {"employees", "api_keys", "learning_events"} <= set(hits_before), hits_before
    if runtime.engine.dialect.name == "sqlite":  # the database file itself is scanned too
        checkpoint_after_erasure(runtime.engine)  # the rows into the main file, not only the log
        assert any(p.endswith(".db") for p in file_hits(runtime.settings.resolved_home, key))
    colleague_before = _stable(client.get(f"/v1/employees/{colleague}/export", headers=lms).json())

    assert client.delete(f"/v1/employees/{key}", headers=own).status_code == 403  # the employer erases
    assert client.delete(f"/v1/employees/{key}", headers=ld).status_code == 403
    assert client.delete(f"/v1/employees/{key}", headers=stranger).status_code == 404  # another tenant
    assert client.get(f"/v1/employees/{key}", headers=lms).status_code == 200
    erased = client.delete(f"/v1/employees/{key}", headers=lms)
    assert erased.status_code == 204 and erased.content == b""

    after = registered_rows(runtime, subject)
    assert {name: n for name, n in after.items() if name != "audit_log"} == dict.fromkeys(
        (name for name in PERSONAL_DATA if name != "audit_log"), 0
    )
    assert after["audit_log"] >= before["audit_log"]  # kept, under the pseudonym (the erasure is one more)
    residual = residual_hits(runtime, key)
    print(f"\nresidual hits after erasure: {sum(residual.values())} {residual}")
    assert residual == {}
    assert file_hits(runtime.settings.resolved_home, key) == []
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("leerpad", "uvicorn"))]
    assert not [line for line in ours if key in line]  # no log line of the service named the employee

    assert client.get(f"/v1/employees/{key}/export", headers=lms).status_code == 404
    assert client.get(f"/v1/employees/{key}", headers=admin).status_code == 404
    assert client.delete(f"/v1/employees/{key}", headers=lms).status_code == 404
    assert client.get(f"/v1/employees/{key}/export", headers=own).status_code == 401  # the key is gone

    # The colleague keeps everything; their statement now names the pseudonym instead.
    colleague_after = _stable(client.get(f"/v1/employees/{colleague}/export", headers=colleague_key).json())
    events_before = colleague_before["tables"].pop("learning_events")
    events_after = colleague_after["tables"].pop("learning_events")
    assert colleague_after == colleague_before
    instructors = [e["statement"].get("context", {}).get("instructor") for e in events_after]
    assert [i["account"]["name"] for i in instructors if i] == [ERASED_PREFIX + subject.pseudonym]
    assert [e["statement_id"] for e in events_after] == [e["statement_id"] for e in events_before]


def test_erasure_is_per_tenant(client: TestClient, runtime: Runtime, company: str, tmp_path: Path) -> None:
    """The same employee id in two companies: erasing it in one leaves the other's alone."""
    key = f"twin-{uuid.uuid4().hex[:8]}"
    other = company + "-b"
    for tenant in (company, other):
        lms = make_key(runtime, tenant, "lms")
        assert client.put(f"/v1/employees/{key}", json={"language": "en"}, headers=lms).status_code == 200
    other_admin = make_key(runtime, other, "admin")
    assert (
        client.delete(f"/v1/employees/{key}", headers=make_key(runtime, company, "admin")).status_code == 204
    )
    assert client.get(f"/v1/employees/{key}/export", headers=other_admin).json()["tables"]["employees"]
    assert (
        client.get(f"/v1/employees/{key}/export", headers=make_key(runtime, company, "lms")).status_code
        == 404
    )


def test_access_log_names_employees_by_pseudonym(client: TestClient, runtime: Runtime) -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    installed = [f for f in logger.filters if isinstance(f, AccessLogPseudonyms)]
    assert len(installed) == 1, "the app's lifespan installs exactly one filter"
    active = install_access_log_pseudonyms(runtime)
    assert [f for f in logger.filters if isinstance(f, AccessLogPseudonyms)] == [active]
    # A record as uvicorn's access logger makes it.
    record = logging.LogRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:50000", "GET", "/v1/employees/e-42.x@corp/gaps?target_role=r", "1.1", 200),
        None,
    )
    assert active.filter(record)
    line = record.getMessage()
    secret = pseudonym_secret(runtime)
    assert "e-42" not in line and f"/v1/employees/{log_pseudonym(secret, 'e-42.x@corp')}/gaps?" in line
    assert (
        log_pseudonym(secret, "e-42.x@corp")
        == log_pseudonym(secret, "e-42.x@corp")
        != log_pseudonym(secret, "e-43")
    )
    untouched = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, "%s", ("/v1/search?q=x",), None)
    assert active.filter(untouched) and untouched.getMessage() == "/v1/search?q=x"
