"""Skills, roles, employees, assessments and gaps through the API, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.taxonomy import read_default_taxonomy
from service.core.runtime import Runtime
from service.skills.taxonomy import import_taxonomy
from tests.support.api_keys import make_key
from tests.support.catalogs import ROWS, write_csv
from tests.support.xapi import statement


@pytest.fixture
def company(runtime: Runtime, tenant: str, tmp_path: Path) -> str:
    """A tenant with the bundled taxonomy and a small catalog."""
    import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", ROWS))
    return tenant


def test_skills_search_in_dutch_and_english_finds_the_same_skill(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    headers = make_key(runtime, company, "ld")
    en = client.get("/v1/skills", params={"q": "giving feedback"}, headers=headers).json()["skills"]
    nl = client.get("/v1/skills", params={"q": "feedback geven"}, headers=headers).json()["skills"]
    assert en and nl and en[0]["skill_id"] == nl[0]["skill_id"]
    assert {lab["language"] for lab in nl[0]["labels"]} >= {"nl", "en"}


def test_role_labels_resolve_or_become_custom_skills(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    headers = make_key(runtime, company, "ld")
    body = {
        "name": "Backend developer",
        "skills": [
            {"skill": "SQL", "level": 3, "importance": "essential"},
            {"skill": "feedback geven", "level": 2, "importance": 0.5},
            {"skill": "Fietsjes ritprijs-engine", "level": 2, "importance": 0.75},
        ],
    }
    response = client.put("/v1/roles/backend-dev", json=body, headers=headers)
    assert response.status_code == 200, response.json()
    resolved = {r["given"]: r for r in response.json()["resolved"]}
    assert resolved["SQL"]["resolved_by"] == "label"
    assert resolved["feedback geven"]["resolved_by"] == "label"
    assert resolved["Fietsjes ritprijs-engine"]["resolved_by"] == "created"
    again = client.put("/v1/roles/backend-dev", json=body, headers=headers).json()
    assert {r["skill_id"] for r in again["resolved"]} == {r["skill_id"] for r in resolved.values()}
    bad = client.put(
        "/v1/roles/x", json={"name": "x", "skills": [{"skill": "SQL", "level": 7}]}, headers=headers
    )
    assert bad.status_code == 422
    lms = make_key(runtime, company, "lms")
    assert client.put("/v1/roles/y", json={"name": "y"}, headers=lms).status_code == 403


def test_gaps_shrink_with_evidence_and_employee_keys_see_only_themselves(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    ld, lms = make_key(runtime, company, "ld"), make_key(runtime, company, "lms")
    client.put(
        "/v1/roles/analyst",
        json={
            "name": "Analyst",
            "skills": [
                {"skill": "SQL", "level": 4, "importance": "essential"},
                {"skill": "feedback geven", "level": 3, "importance": "optional"},
            ],
        },
        headers=ld,
    )
    assert (
        client.put(
            "/v1/employees/e-1", json={"role": "analyst", "team": "data", "language": "nl"}, headers=lms
        ).status_code
        == 200
    )
    before = client.get("/v1/employees/e-1/gaps", headers=lms).json()["gaps"]
    assert [g["skill"] for g in before][:1] == ["SQL"]  # essential and larger
    sql = next(g for g in before if g["skill"] == "SQL")
    assert sql["gap"] == 4 and sql["confidence"] <= 0.2 and sql["has_content"] is True
    posted = client.post(
        "/v1/employees/e-1/assessments",
        json=[
            {"skill": "SQL", "level": 3, "source": "test"},
            {"skill": "structured query language", "level": 3, "source": "manager"},
        ],
        headers=lms,
    )
    assert posted.status_code == 200, posted.json()
    after = {g["skill"]: g for g in client.get("/v1/employees/e-1/gaps", headers=lms).json()["gaps"]}
    assert after["SQL"]["gap"] < sql["gap"] and after["SQL"]["confidence"] > sql["confidence"]

    own = make_key(runtime, company, "employee", employee="e-1")
    other = make_key(runtime, company, "employee", employee="e-2")
    assert client.get("/v1/employees/e-1/gaps", headers=own).status_code == 200
    assert client.get("/v1/employees/e-1/gaps", headers=other).status_code == 403
    not_self = client.post(
        "/v1/employees/e-1/assessments", json=[{"skill": "SQL", "level": 5, "source": "test"}], headers=own
    )
    assert not_self.status_code == 422 and "self" in not_self.json()["detail"]
    unknown = client.post(
        "/v1/employees/e-1/assessments",
        json=[
            {"skill": "SQL", "level": 3, "source": "self"},
            {"skill": "zzz-nothing", "level": 1, "source": "self"},
        ],
        headers=lms,
    )
    assert unknown.status_code == 422 and "[1].skill" in unknown.json()["detail"]
    stranger = make_key(runtime, company + "-x", "lms")
    assert client.get("/v1/employees/e-1/gaps", headers=stranger).status_code == 404


def test_new_skill_is_matched_against_the_catalog_at_once(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    ld = make_key(runtime, company, "ld")
    created = client.post(
        "/v1/skills",
        json={"label": "Python functies schrijven", "language": "nl", "alt_labels": ["Python functions"]},
        headers=ld,
    )
    assert created.status_code == 201, created.json()
    assert created.json()["items_tagged"] >= 1
    duplicate = client.post("/v1/skills", json={"label": "python functions"}, headers=ld)
    assert duplicate.status_code == 409


def test_rejected_tag_sticks_across_reingest(
    client: TestClient, runtime: Runtime, company: str, tmp_path: Path
) -> None:
    ld = make_key(runtime, company, "ld")
    items = client.get("/v1/catalog/items", headers=ld).json()["items"]
    sql_item = next(i for i in items if i["external_id"] == "sql-1")
    tags = client.get(f"/v1/catalog/items/{sql_item['item_id']}/skills", headers=ld).json()
    assert tags
    target = tags[0]["skill_id"]
    reviewed = client.put(
        f"/v1/catalog/items/{sql_item['item_id']}/skills/{target}", json={"status": "rejected"}, headers=ld
    )
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "rejected"
    rows = [list(r) for r in ROWS]
    rows[0][2] = rows[0][2] + " Met oefeningen."
    runtime.ingest(company, "csv", write_csv(tmp_path / "d.csv", rows))
    after = {
        t["skill_id"]: t
        for t in client.get(f"/v1/catalog/items/{sql_item['item_id']}/skills", headers=ld).json()
    }
    assert after[target]["status"] == "rejected"


def test_role_from_an_occupation_found_by_its_dutch_title(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    ld = make_key(runtime, company, "ld")
    occupation = next(
        o for o in read_default_taxonomy().occupations if o.labels.get("nl") == "backend-ontwikkelaar"
    )
    response = client.put(
        "/v1/roles/be", json={"name": "Backend", "occupation": "backend-ontwikkelaar"}, headers=ld
    )
    assert response.status_code == 200, response.json()
    role = response.json()
    assert role["occupation_uri"] == occupation.uri
    essential = [s for s in role["skills"] if s["importance"] == 1.0]
    assert len(essential) == len(occupation.essential) and all(s["level"] == 3 for s in essential)
    assert len(role["skills"]) == len(set(occupation.essential) | set(occupation.optional))
    missing = client.put("/v1/roles/x", json={"name": "x", "occupation": "astronaut op Mars"}, headers=ld)
    assert missing.status_code == 404


def test_an_assessment_dated_by_day_means_midnight_utc(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    """HR exports say "2026-10-01"; it was refused as not a date-time. Naive date-times stay accepted."""
    lms, ld = make_key(runtime, company, "lms"), make_key(runtime, company, "ld")
    role = {"name": "Dated", "skills": [{"skill": "SQL", "level": 3}]}
    assert client.put("/v1/roles/dated", json=role, headers=ld).status_code == 200
    client.put("/v1/employees/e-dated", json={"role": "dated", "language": "nl"}, headers=lms)
    posted = client.post(
        "/v1/employees/e-dated/assessments",
        json=[
            {"skill": "SQL", "level": 2, "source": "manager", "observed_at": "2026-10-01"},
            {"skill": "SQL", "level": 3, "source": "test", "observed_at": "2026-10-02T09:30:00"},
        ],
        headers=lms,
    )
    assert posted.status_code == 200, posted.json()
    held = client.get("/v1/employees/e-dated/assessments", headers=lms).json()
    assert sorted(a["observed_at"][:19] for a in held) == ["2026-10-01T00:00:00", "2026-10-02T09:30:00"]
    bad = client.post(
        "/v1/employees/e-dated/assessments",
        json=[{"skill": "SQL", "level": 2, "source": "manager", "observed_at": "1 oktober"}],
        headers=lms,
    )
    assert bad.status_code == 422 and "observed_at" in str(bad.json())


def test_a_role_put_says_what_it_changed_and_can_refuse_new_skills(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    """PUT replaces the whole list: it said nothing of what it removed, and made any unknown label a
    new skill without saying so."""
    ld = make_key(runtime, company, "ld")
    first = {
        "name": "Analist",
        "skills": [{"skill": "SQL", "level": 3}, {"skill": "feedback geven", "level": 2}],
    }
    created = client.put("/v1/roles/analist", json=first, headers=ld).json()
    assert [s["label"] for s in created["changes"]["added"]] and not created["changes"]["removed"]
    assert not any(r["created"] for r in created["resolved"])
    second = {
        "name": "Analist",
        "skills": [{"skill": "SQL", "level": 4}, {"skill": "Fietsjes tarieven", "level": 1}],
    }
    changed = client.put("/v1/roles/analist", json=second, headers=ld).json()
    assert [(c["before"], c["now"]) for c in changed["changes"]["level_changes"]] == [(3, 4)]
    assert [s["level"] for s in changed["changes"]["removed"]] == [2]  # feedback geven, as it was
    assert [s["label"] for s in changed["changes"]["added"]] == ["Fietsjes tarieven"]
    assert {r["given"]: r["created"] for r in changed["resolved"]} == {
        "SQL": False,
        "Fietsjes tarieven": True,
    }
    assert client.get("/v1/roles/analist", headers=ld).json()["changes"] is None

    refused = client.put(
        "/v1/roles/analist",
        params={"create_skills": "false"},
        json={
            "name": "Analist",
            "skills": [{"skill": "SQL", "level": 4}, {"skill": "feedback gevne", "level": 2}],
        },
        headers=ld,
    )
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "skills[1] ('feedback gevne')" in detail and "'feedback geven'" in detail, detail
    kept = client.get("/v1/roles/analist", headers=ld).json()
    assert {s["label"] for s in kept["skills"]} == {"SQL", "Fietsjes tarieven"}  # nothing stored


def test_an_employee_sees_their_own_progress_and_no_one_is_ranked(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    lms, ld = make_key(runtime, company, "lms"), make_key(runtime, company, "ld")
    role = {
        "name": "Voortgang",
        "skills": [{"skill": "SQL", "level": 2}, {"skill": "feedback geven", "level": 3}],
    }
    assert client.put("/v1/roles/voortgang", json=role, headers=ld).status_code == 200
    body = {"role": "voortgang", "language": "nl", "preferences": {"minutes_per_week": 20}}
    assert client.put("/v1/employees/e-prog", json=body, headers=lms).status_code == 200
    evidence = [{"skill": "SQL", "level": 3, "source": "test"}]
    assert client.post("/v1/employees/e-prog/assessments", json=evidence, headers=lms).status_code == 200
    item = client.get("/v1/catalog/items", headers=lms).json()["items"][0]
    now = datetime.now(UTC).replace(microsecond=0)
    done = statement("e-prog", "completed", item["activity_id"], timestamp=now.isoformat())
    done["result"] = {"completion": True, "duration": "PT25M"}
    assert client.post("/v1/events", json=[done], headers=lms).json()["accepted"] == 1

    own = make_key(runtime, company, "employee", employee="e-prog")
    shown = client.get("/v1/employees/e-prog/progress", headers=own)
    assert shown.status_code == 200, shown.text
    progress = shown.json()
    assert (progress["weekly_goal_minutes"], progress["minutes_this_week"]) == (20, 25)
    assert progress["goal_met_this_week"] and progress["streak_weeks"] >= 1 and len(progress["weeks"]) == 8
    assert [m["skill"] for m in progress["milestones"]] == ["SQL"]
    assert client.get("/v1/employees/e-prog/progress", headers=ld).status_code == 403  # L&D sees teams
    other = make_key(runtime, company, "employee", employee="e-other")
    assert client.get("/v1/employees/e-prog/progress", headers=other).status_code == 403
