"""POST /v1/events on both databases: validation, idempotency, callers, tenants, evidence, history,
and the real Open edX statements in ../shared/data/xapi_statements."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest.taxonomy import read_default_taxonomy
from models import repositories as repo
from models.db import transaction
from models.tables import LearningEvent
from service.core.activities import activity_id
from service.core.runtime import Runtime
from service.events import recording
from service.events.recording import ACCEPTED, DUPLICATE, MAX_STATEMENTS, record_statements
from service.events.xapi import RESULT_VERB_IRIS, VERB_IRIS
from service.skills.taxonomy import import_taxonomy
from tests.support.api_keys import make_key
from tests.support.catalogs import HEADER as PATH_HEADER
from tests.support.catalogs import PATH_CATALOG, write_csv
from tests.support.xapi import ADL, statement

DISMISSED = next(iri for iri, verb in VERB_IRIS.items() if verb == "dismissed")
HEADER = [*PATH_HEADER, "level"]
LEVELS = {"sql-basis": "beginner", "sql-joins": "intermediate", "sql-window": "advanced"}
CATALOG = [[*row, LEVELS.get(row[0], "")] for row in PATH_CATALOG]  # the paths tests' catalog, levelled


@pytest.fixture
def company(runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient) -> str:
    """A tenant with the small catalog and the employees e-1 and e-2 (no taxonomy: events need none)."""
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", CATALOG, header=HEADER))
    lms = make_key(runtime, tenant, "lms")
    for key in ("e-1", "e-2"):
        assert client.put(f"/v1/employees/{key}", json={"language": "nl"}, headers=lms).status_code == 200
    return tenant


@pytest.fixture(scope="module")
def skilled(runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tenant with the bundled taxonomy (so the catalog is tagged with SQL), shared by the evidence
    tests of this module: importing the taxonomy embeds every skill, which takes seconds."""
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    runtime.ingest(
        tenant, "csv", write_csv(tmp_path_factory.mktemp("skilled") / "c.csv", CATALOG, header=HEADER)
    )
    return tenant


@pytest.fixture
def analysts(runtime: Runtime, skilled: str, client: TestClient) -> tuple[dict[str, str], str, str]:
    """An lms key of the skilled tenant and two new employees whose role needs SQL at level 4 (and
    feedback geven at 3)."""
    role = {
        "name": "Data-analist",
        "skills": [
            {"skill": "SQL", "level": 4, "importance": "essential"},
            {"skill": "feedback geven", "level": 3, "importance": "optional"},
        ],
    }
    assert (
        client.put("/v1/roles/analyst", json=role, headers=make_key(runtime, skilled, "ld")).status_code
        == 200
    )
    lms = make_key(runtime, skilled, "lms")
    keys = (f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}")
    for key in keys:
        body = {"role": "analyst", "language": "nl"}
        assert client.put(f"/v1/employees/{key}", json=body, headers=lms).status_code == 200
    return lms, keys[0], keys[1]


def post(client: TestClient, headers: dict[str, str], statements: list[Any]) -> dict[str, Any]:
    response = client.post("/v1/events", json=statements, headers=headers)
    assert response.status_code == 200, response.json()
    return response.json()


def stored_count(runtime: Runtime, tenant: str) -> int:
    with transaction(runtime.sessions) as session:
        tenant_row = repo.get_tenant(session, tenant)
        assert tenant_row is not None
        return int(
            session.scalar(
                select(func.count())
                .select_from(LearningEvent)
                .where(LearningEvent.tenant_id == tenant_row.id)
            )
            or 0
        )


def test_a_mixed_batch_stores_the_good_and_names_what_is_wrong_with_the_rest(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    lms = make_key(runtime, company, "lms")
    good_by_activity = statement(result={"completion": True, "duration": "PT14M"})
    good_by_url = statement(
        verb="passed", target="https://lms.example/sql-joins", result={"score": {"scaled": 0.9}}
    )
    good_unit = statement(verb="experienced", target=activity_id("csv", "sql-window", 0))
    batch: list[Any] = [
        good_by_activity,
        statement(timestamp="last tuesday"),
        statement(verb=ADL + "registered"),
        good_by_url,
        statement(employee="nobody"),
        statement(target="https://elsewhere.example/course"),
        statement(target=activity_id("csv", "sql-basis", 7)),
        "completed",
        statement(verb="http://id.tincanapi.com/verb/rated"),
        good_unit,
        statement(statement_id="12345"),
    ]
    result = post(client, lms, batch)
    assert result["accepted"] == 3 and result["duplicates"] == 0
    assert result["accepted_ids"] == [good_by_activity["id"], good_by_url["id"], good_unit["id"]]
    reasons = {r["index"]: r["reason"] for r in result["rejected"]}
    assert sorted(reasons) == [1, 2, 4, 5, 6, 7, 8, 10]
    assert reasons[1] == "timestamp: not an ISO 8601 date-time"
    assert reasons[2] == (
        f"verb.id: '{ADL}registered' is not a verb Leerpad uses "
        "(completed, passed, failed, experienced, rated, dismissed, postponed)"
    )
    assert reasons[4] == "actor.account.name: no employee 'nobody' in this tenant"
    assert reasons[5].startswith("object.id: 'https://elsewhere.example/course' is no item's")
    assert reasons[6].startswith("object.id: no item or unit 'urn:leerpad:activity:csv:sql-basis#unit-7'")
    assert reasons[7] == "statement: not a JSON object"
    assert reasons[8].startswith("result.score: missing")
    assert reasons[10] == "id: not a UUID"
    ids = {r["index"]: r["statement_id"] for r in result["rejected"]}
    assert ids[1] == batch[1]["id"] and ids[7] is None and ids[10] is None
    assert stored_count(runtime, company) == 3

    with transaction(runtime.sessions) as session:
        rows = {r.statement_id: r for r in session.scalars(select(LearningEvent)).all()}
        row = rows[good_by_url["id"]]
        assert (row.verb, row.verb_iri, row.score_scaled) == ("passed", ADL + "passed", 0.9)
        assert row.item_id is not None and row.unit_id is None
        assert row.occurred_at == datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
        assert row.statement == good_by_url
        assert rows[good_by_activity["id"]].duration_seconds == 14 * 60
        assert rows[good_unit["id"]].unit_id is not None


def test_resending_is_idempotent_and_a_changed_statement_under_an_old_id_is_refused(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    lms = make_key(runtime, company, "lms")
    batch = [statement(), statement(verb="passed", statement_id=None)]
    first = post(client, lms, batch)
    assert (first["accepted"], first["duplicates"], first["rejected"]) == (2, 0, [])
    again = post(client, lms, batch)
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 2, [])
    assert again["duplicate_ids"] == first["accepted_ids"]  # the id-less one got the same derived id
    assert stored_count(runtime, company) == 2

    rewritten = dict(
        batch[0], verb={"id": ADL + "completed", "display": {"nl-NL": "voltooid"}}, version="1.0.0"
    )
    assert post(client, lms, [rewritten])["duplicate_ids"] == [batch[0]["id"]]
    changed = dict(batch[0], verb={"id": ADL + "failed"})
    result = post(client, lms, [statement(), changed])
    assert result["accepted"] == 1 and result["duplicates"] == 0
    assert result["rejected"] == [
        {"index": 1, "statement_id": batch[0]["id"], "reason": "id: already stored with different content"}
    ]

    twice = statement()
    clash = dict(twice, verb={"id": ADL + "failed"})
    in_batch = post(client, lms, [twice, twice, clash])
    assert (in_batch["accepted"], in_batch["duplicates"]) == (1, 1)
    assert in_batch["rejected"][0]["index"] == 2
    assert in_batch["rejected"][0]["reason"].startswith("id: statement 0 of this batch has this id")
    stranger = statement(employee="nobody")
    both_bad = post(client, lms, [stranger, stranger])
    assert [r["reason"] for r in both_bad["rejected"]] == [
        "actor.account.name: no employee 'nobody' in this tenant"
    ] * 2
    assert stored_count(runtime, company) == 4


def test_concurrent_requests_with_one_statement_store_it_once(
    runtime: Runtime, company: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests find the statement not stored yet and both insert it: the first commits only
    once the second has looked, so the second's insert meets the first's row (on PostgreSQL it waits
    for the first's transaction, on SQLite for its write lock) and must learn it is a duplicate."""
    with transaction(runtime.sessions) as session:
        tenant_row = repo.get_tenant(session, company)
        assert tenant_row is not None
        tenant_id = tenant_row.id
    shared = statement()
    now = datetime.now(UTC)
    other: dict[str, Any] = {}
    second_looked = threading.Event()
    first_look_of_second: list[dict[int, Any]] = []
    against_stored = recording._against_stored

    def looking(session: Session, tenant: int, leads: Any) -> dict[int, Any]:
        found = against_stored(session, tenant, leads)
        if threading.current_thread().name == "second-request" and not second_looked.is_set():
            first_look_of_second.append(found)
            second_looked.set()
        return found

    monkeypatch.setattr(recording, "_against_stored", looking)

    def second() -> None:
        with transaction(runtime.sessions) as session:
            other["report"] = record_statements(session, tenant_id, [shared], now)

    thread = threading.Thread(target=second, name="second-request")
    with transaction(runtime.sessions) as session:
        first = record_statements(session, tenant_id, [shared], now)  # inserted, not yet committed
        thread.start()
        assert second_looked.wait(timeout=30), "the second request never looked for the statement"
    thread.join(timeout=30)
    assert first_look_of_second == [{}]  # the second found nothing stored: the race was run
    assert first.ids(ACCEPTED) == [shared["id"]]
    assert other["report"].ids(DUPLICATE) == [shared["id"]]
    assert stored_count(runtime, company) == 1


def test_employee_keys_send_only_their_own_and_ld_keys_none(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    own = make_key(runtime, company, "employee", employee="e-1")
    result = post(client, own, [statement(employee="e-1"), statement(employee="e-2")])
    assert result["accepted"] == 1
    assert result["rejected"] == [
        {
            "index": 1,
            "statement_id": result["rejected"][0]["statement_id"],
            "reason": "actor: an employee key may only send its own statements",
        }
    ]
    ld = make_key(runtime, company, "ld")
    forbidden = client.post("/v1/events", json=[statement()], headers=ld)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("application/problem+json")
    assert client.post("/v1/events", json=[statement()]).status_code == 401


def test_tenants_see_only_their_own_employees_items_and_statements(
    client: TestClient, runtime: Runtime, company: str, tmp_path: Path
) -> None:
    other = company + "-x"
    runtime.ingest(other, "csv", write_csv(tmp_path / "x.csv", CATALOG[:1], header=HEADER))
    other_lms = make_key(runtime, other, "lms")
    assert client.put("/v1/employees/x-1", json={"language": "en"}, headers=other_lms).status_code == 200
    lms = make_key(runtime, company, "lms")
    shared = statement(employee="x-1")
    result = post(client, lms, [shared])
    assert result["rejected"][0]["reason"] == "actor.account.name: no employee 'x-1' in this tenant"
    # the same statement id is the other tenant's to use: stored there, not a duplicate of ours
    mine = statement(employee="e-1")
    assert post(client, lms, [mine])["accepted"] == 1
    theirs = post(client, other_lms, [dict(mine, actor=shared["actor"])])
    assert theirs["accepted"] == 1 and theirs["duplicates"] == 0
    unknown_item = post(
        client, other_lms, [statement(employee="x-1", target="https://lms.example/sql-joins")]
    )
    assert unknown_item["rejected"][0]["reason"].startswith("object.id:")


def test_batch_limits(client: TestClient, runtime: Runtime, company: str) -> None:
    lms = make_key(runtime, company, "lms")
    too_many = client.post("/v1/events", json=[statement()] * (MAX_STATEMENTS + 1), headers=lms)
    assert too_many.status_code == 422
    assert too_many.headers["content-type"].startswith("application/problem+json")
    assert f"at most {MAX_STATEMENTS}" in too_many.json()["detail"]
    empty = client.post("/v1/events", json=[], headers=lms)
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    wrapped = client.post("/v1/events", json={"statements": [statement()]}, headers=lms)
    assert wrapped.status_code == 422
    assert stored_count(runtime, company) == 0


def sql_gap(client: TestClient, headers: dict[str, str], employee: str) -> float:
    gaps = client.get(f"/v1/employees/{employee}/gaps", headers=headers).json()["gaps"]
    return float(next(g["gap"] for g in gaps if g["skill"] == "SQL"))


def test_passed_shrinks_the_gap_more_than_completed(
    client: TestClient, analysts: tuple[dict[str, str], str, str]
) -> None:
    lms, first, second = analysts
    for employee in (first, second):
        rated = [{"skill": "SQL", "level": 1, "source": "self"}]
        assert (
            client.post(f"/v1/employees/{employee}/assessments", json=rated, headers=lms).status_code == 200
        )
    before = sql_gap(client, lms, first)
    assert before == sql_gap(client, lms, second) == 3
    joins = activity_id("csv", "sql-joins")  # intermediate: level 3
    post(client, lms, [statement(first, "passed", joins), statement(second, "completed", joins)])
    passed, completed = sql_gap(client, lms, first), sql_gap(client, lms, second)
    assert passed < completed < before
    post(client, lms, [statement(first, "experienced", joins), statement(first, DISMISSED, joins)])
    assert sql_gap(client, lms, first) == passed  # neither says anything about what the employee can do


def test_dismissed_items_and_completed_units_leave_the_next_path(
    client: TestClient, analysts: tuple[dict[str, str], str, str]
) -> None:
    lms, first, second = analysts
    budget = {"minutes_per_week": 120, "weeks": 2}
    before = client.post(f"/v1/employees/{first}/path", json=budget, headers=lms).json()["steps"]
    assert len({s["item_id"] for s in before}) >= 3, before
    dismissed, done = before[0], before[1]
    result = post(
        client,
        lms,
        [
            statement(first, DISMISSED, dismissed["activity_id"]),  # a dismissed step dismisses its item
            statement(first, "completed", done["activity_id"]),
        ],
    )
    assert result["accepted"] == 2, result
    after = client.post(f"/v1/employees/{first}/path", json=budget, headers=lms).json()["steps"]
    assert after and dismissed["item_id"] not in {s["item_id"] for s in after}
    assert done["unit_id"] not in {s["unit_id"] for s in after}
    others = client.post(f"/v1/employees/{second}/path", json=budget, headers=lms).json()["steps"]
    assert dismissed["item_id"] in {s["item_id"] for s in others}  # only the first one dismissed it


def real_statements(shared_data: Path) -> list[dict[str, Any]]:
    """The Open edX statements, one file each (a few files hold a list), in file order."""
    folder = shared_data / "xapi_statements" / "expected_xapi"
    statements: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")):
        content = json.loads(path.read_text(encoding="utf-8"))
        statements.extend(content if isinstance(content, list) else [content])
    return statements


def test_the_real_open_edx_statements(
    client: TestClient, runtime: Runtime, tenant: str, tmp_path: Path, shared_data: Path
) -> None:
    statements = real_statements(shared_data)
    assert len(list((shared_data / "xapi_statements" / "expected_xapi").glob("*.json"))) == 77
    learners = {s["actor"]["account"]["name"] for s in statements}
    learning = {"completed", "passed", "failed"}
    # A catalog url is http(s) only (ingest.normalise.urls.web_url_problem): the statements about an Open
    # edX block id (`block-v1:...`) find no item and are rejected naming object.id.
    targets = sorted(
        object_id
        for object_id in {s["object"]["id"] for s in statements if VERB_IRIS.get(s["verb"]["id"]) in learning}
        if object_id.startswith("http")
    )
    rows = [
        [f"edx-{n}", f"Open edX activity {n}", "Demo course content.", url, "en", "10", "", ""]
        for n, url in enumerate(targets)
    ]
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "edx.csv", rows, header=HEADER))
    lms = make_key(runtime, tenant, "lms")
    for key in learners:
        assert client.put(f"/v1/employees/{key}", json={"language": "en"}, headers=lms).status_code == 200

    result = post(client, lms, statements)
    rejected = {r["index"]: r["reason"] for r in result["rejected"]}
    assert result["accepted"] + result["duplicates"] + len(rejected) == len(statements)
    assert all(reason for reason in rejected.values())
    usable = {
        index
        for index, s in enumerate(statements)
        if s["verb"]["id"] in VERB_IRIS and (s.get("object") or {}).get("id") in targets
    }
    assert set(range(len(statements))) - set(rejected) == usable
    for index, reason in rejected.items():
        iri = statements[index]["verb"]["id"]
        if iri in VERB_IRIS:  # viewed and progressed are about content this catalog does not hold
            assert statements[index]["object"]["id"] not in targets
            assert reason.startswith("object.id: ") and "catalog" in reason, reason
            continue
        if iri in RESULT_VERB_IRIS:
            # a grade is a test result only with result.success, and these name no catalog item, or are
            # invalid for Leerpad (objectType GroupActivity, a score of 0 out of 0), or reuse a fixture's id
            continue
        assert reason == (
            f"verb.id: {iri!r} is not a verb Leerpad uses (completed, passed, failed, experienced, rated, dismissed, postponed)"
        )
    assert set(result["accepted_ids"]) | set(result["duplicate_ids"]) == {statements[i]["id"] for i in usable}
    assert len(result["accepted_ids"]) == len({statements[i]["id"] for i in usable})
    again = post(client, lms, statements)
    assert again["accepted"] == 0 and again["duplicates"] == len(usable)
