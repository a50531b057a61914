"""The gap report and the KPIs through HTTP on both databases: figures worked out from the gaps API,
small groups suppressed (also when filters are combined), CSV equal to JSON."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ingest.taxonomy import read_default_taxonomy
from service.core.runtime import Runtime
from service.skills.taxonomy import import_taxonomy
from tests.support.api_keys import make_key
from tests.support.catalogs import ROWS, write_csv
from tests.support.xapi import statement

# team -> (role, SQL level shown by a test) per employee: data and ops are reportable, small and
# tiny are not (but together they hold five people); ops holds one lead among five analysts.
STAFF: dict[str, list[tuple[str, int | None]]] = {
    "data": [
        ("analyst", 1),
        ("analyst", 2),
        ("analyst", 3),
        ("analyst", None),
        ("analyst", 4),
        ("analyst", 2),
    ],
    "ops": [("analyst", 1), ("analyst", 1), ("analyst", 2), ("analyst", None), ("analyst", 3), ("lead", 2)],
    "small": [("analyst", 0), ("analyst", 1)],
    "tiny": [("analyst", 2), ("analyst", 3), ("lead", None)],
}


@pytest.fixture
def company(client: TestClient, runtime: Runtime, tenant: str, tmp_path: Path) -> dict[str, list[str]]:
    """Four teams of analysts and leads with SQL test results; returns team -> employee ids."""
    import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", ROWS))
    ld, lms = make_key(runtime, tenant, "ld"), make_key(runtime, tenant, "lms")
    analyst = {
        "name": "Analyst",
        "skills": [
            {"skill": "SQL", "level": 4, "importance": "essential"},
            {"skill": "feedback geven", "level": 3, "importance": "optional"},
            {"skill": "Fietsjes ritprijs-engine", "level": 2, "importance": "essential"},
        ],
    }
    lead = {"name": "Lead", "skills": [{"skill": "SQL", "level": 3, "importance": "optional"}]}
    assert client.put("/v1/roles/analyst", json=analyst, headers=ld).status_code == 200
    assert client.put("/v1/roles/lead", json=lead, headers=ld).status_code == 200
    teams: dict[str, list[str]] = {}
    for team, staff in STAFF.items():
        for number, (role, sql) in enumerate(staff):
            key = f"{team}-{number}"
            body = {"role": role, "team": team, "language": "nl"}
            assert client.put(f"/v1/employees/{key}", json=body, headers=lms).status_code == 200
            if sql is not None:
                evidence = [{"skill": "SQL", "level": sql, "source": "test"}]
                assert (
                    client.post(f"/v1/employees/{key}/assessments", json=evidence, headers=lms).status_code
                    == 200
                )
            teams.setdefault(team, []).append(key)
    return {"tenant": [tenant], **teams}


def gaps_of(client: TestClient, headers: dict[str, str], employee: str) -> dict[str, dict[str, Any]]:
    return {
        g["skill"]: g for g in client.get(f"/v1/employees/{employee}/gaps", headers=headers).json()["gaps"]
    }


def cell(report: dict[str, Any], team: str, label: str) -> dict[str, Any]:
    skill = next(s["skill_id"] for s in report["heatmap"]["skills"] if s["label"] == label)
    return next(c for c in report["heatmap"]["cells"] if c["team"] == team and c["skill_id"] == skill)


def test_heatmap_cells_are_the_mean_weighted_gaps_and_small_teams_are_hidden(
    client: TestClient, runtime: Runtime, company: dict[str, list[str]]
) -> None:
    tenant = company["tenant"][0]
    ld, lms = make_key(runtime, tenant, "ld"), make_key(runtime, tenant, "lms")
    answer = client.get("/v1/reports/gaps", headers=ld)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["employees"] == 17 and report["suppressed"] is False and report["min_group_size"] == 5
    assert report["heatmap"]["teams"] == ["data", "ops", "small", "tiny", "all teams"]

    # Worked out from each employee's own gaps (the gaps API leaves closed gaps out: they count 0).
    sql_gaps = [gaps_of(client, lms, e).get("SQL", {"gap": 0.0})["gap"] for e in company["data"]]
    data_sql = cell(report, "data", "SQL")
    assert data_sql["employees"] == 6 and data_sql["suppressed"] is False
    assert data_sql["weighted_gap"] == pytest.approx(sum(sql_gaps) / 6, abs=0.002)
    assert data_sql["with_gap"] == sum(1 for g in sql_gaps if g > 0)
    ops_sql = cell(report, "ops", "SQL")  # five analysts (essential) and the lead (optional, 0.5)
    ops_gaps = [gaps_of(client, lms, e).get("SQL", {"gap": 0.0}) for e in company["ops"]]
    expected = sum(g["gap"] * (0.5 if i == 5 else 1.0) for i, g in enumerate(ops_gaps)) / 6
    assert ops_sql["weighted_gap"] == pytest.approx(expected, abs=0.002)

    for team in ("small", "tiny"):
        hidden = cell(report, team, "SQL")
        assert hidden["suppressed"] is True
        assert hidden["weighted_gap"] is None and hidden["with_gap"] is None and hidden["mean_gap"] is None
    assert cell(report, "all teams", "SQL")["employees"] == 17

    by_team = {group["group"]: group for group in report["top_gaps_by_team"]}
    assert by_team["small"]["suppressed"] is True and by_team["small"]["gaps"] == []
    assert by_team["data"]["gaps"][0]["weighted_gap"] >= by_team["data"]["gaps"][-1]["weighted_gap"]
    uncovered = {s["label"]: s for s in report["uncovered_skills"]}
    assert "Fietsjes ritprijs-engine" in uncovered and uncovered["Fietsjes ritprijs-engine"]["roles"] == [
        "analyst"
    ]
    assert "SQL" not in uncovered
    assert report["closing_items"] and report["closing_items"][0]["external_id"] == "sql-1"
    assert report["closing_items"][0]["gap_closable"] > 0


def test_combined_filters_cannot_single_out_the_one_lead(
    client: TestClient, runtime: Runtime, company: dict[str, list[str]]
) -> None:
    ld = make_key(runtime, company["tenant"][0], "ld")

    def report(**params: str) -> dict[str, Any]:
        answer = client.get("/v1/reports/gaps", params=params, headers=ld)
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert report(team="data")["suppressed"] is False
    # "Giving feedback" is needed by analysts only: data 6, ops 5, small 2, tiny 2. The two small teams
    # (4 people) are hidden, and ops too, or "all teams" minus data and ops would describe those 4.
    everyone = report()
    feedback = next(s["label"] for s in everyone["heatmap"]["skills"] if "feedback" in s["label"].lower())
    assert cell(everyone, "ops", feedback)["suppressed"] is True
    assert cell(everyone, "data", feedback)["suppressed"] is False
    # Narrowed to ops, its row and the total are those same five people: both stay hidden.
    ops = report(team="ops")
    assert ops["suppressed"] is False
    assert cell(ops, "ops", feedback)["suppressed"] is True
    assert cell(ops, "all teams", feedback)["suppressed"] is True
    assert cell(ops, "all teams", "SQL")["weighted_gap"] == cell(everyone, "ops", "SQL")["weighted_gap"]
    # Ops has five analysts and one lead: "ops analysts" against "ops" would describe the lead.
    narrowed = report(team="ops", role="analyst")
    assert narrowed["suppressed"] is True
    assert all(c["weighted_gap"] is None for c in narrowed["heatmap"]["cells"])
    # All analysts against everyone: the two leads differ by 2 people, so that is hidden too.
    assert report(role="analyst")["suppressed"] is True
    assert report(team="small")["suppressed"] is True
    unknown = client.get("/v1/reports/gaps", params={"team": "nobody"}, headers=ld)
    assert unknown.status_code == 422 and "team" in unknown.json()["detail"]


def test_csv_matches_json_and_html_names_the_skills(
    client: TestClient, runtime: Runtime, company: dict[str, list[str]]
) -> None:
    ld = make_key(runtime, company["tenant"][0], "ld")
    report = client.get("/v1/reports/gaps", headers=ld).json()
    answer = client.get("/v1/reports/gaps", params={"format": "csv"}, headers=ld)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == len(report["heatmap"]["cells"])
    for row, one in zip(rows, report["heatmap"]["cells"], strict=True):
        assert (row["team"], int(row["skill_id"]), int(row["employees"])) == (
            one["team"],
            one["skill_id"],
            one["employees"],
        )
        assert row["weighted_gap"] == ("" if one["weighted_gap"] is None else str(one["weighted_gap"]))
        assert row["suppressed"] == str(one["suppressed"]).lower()
    html = client.get("/v1/reports/gaps", params={"format": "html"}, headers=ld)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Fietsjes ritprijs-engine" in html.text and "SQL" in html.text


def test_only_ld_and_admin_read_reports_and_never_another_tenants(
    client: TestClient, runtime: Runtime, company: dict[str, list[str]]
) -> None:
    tenant = company["tenant"][0]
    for role in ("lms", "employee"):
        headers = make_key(runtime, tenant, role, employee="data-0" if role == "employee" else None)
        assert client.get("/v1/reports/gaps", headers=headers).status_code == 403
        assert client.get("/v1/reports/kpis", headers=headers).status_code == 403
    assert client.get("/v1/reports/gaps").status_code == 401
    stranger = client.get("/v1/reports/gaps", headers=make_key(runtime, tenant + "-other", "ld")).json()
    assert stranger["employees"] == 0 and stranger["heatmap"]["cells"] == []


def test_kpis_count_participation_completion_minutes_and_ratings(
    client: TestClient, runtime: Runtime, company: dict[str, list[str]]
) -> None:
    tenant = company["tenant"][0]
    ld, lms = make_key(runtime, tenant, "ld"), make_key(runtime, tenant, "lms")
    items = client.get("/v1/catalog/items", headers=lms).json()["items"]
    sql = next(i for i in items if i["external_id"] == "sql-1")
    when = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    statements = []
    for number, employee in enumerate(company["data"][:5]):
        statements.append(
            statement(employee, "completed", sql["activity_id"], timestamp=when, result={"duration": "PT20M"})
        )
        statements.append(
            statement(
                employee,
                "http://id.tincanapi.com/verb/rated",
                sql["activity_id"],
                timestamp=when,
                result={"score": {"scaled": 0.5 + 0.1 * number}},
            )
        )
    statements.append(statement(company["data"][5], "experienced", sql["activity_id"], timestamp=when))
    statements.append(statement(company["small"][0], "completed", sql["activity_id"], timestamp=when))
    posted = client.post("/v1/events", json=statements, headers=lms)
    assert posted.status_code == 200 and posted.json()["accepted"] == len(statements), posted.json()

    everyone = client.get("/v1/reports/kpis", headers=ld)
    assert everyone.status_code == 200, everyone.text
    kpis = everyone.json()
    assert kpis["employees"] == 17 and kpis["period"] == "month"
    assert kpis["participation_rate"]["value"] == round(7 / 17, 4)
    assert kpis["completion_rate"]["value"] == round(6 / 7, 4)
    # 5 x 20 minutes stated, and the small team's completion counts the item's 20 minutes.
    assert kpis["minutes_per_employee"]["value"] == round(120 / 17, 1)
    assert kpis["kirkpatrick"]["reaction"]["value"] == 0.7 and kpis["kirkpatrick"]["reaction_count"] == 5
    assert kpis["series"][-1]["participation_rate"]["value"] is not None

    data = client.get("/v1/reports/kpis", params={"team": "data"}, headers=ld).json()
    assert data["participation_rate"]["value"] == 1.0 and data["suppressed"] is False
    small = client.get("/v1/reports/kpis", params={"team": "small"}, headers=ld).json()
    assert small["suppressed"] is True and small["participation_rate"]["value"] is None
    weekly = client.get("/v1/reports/kpis", params={"period": "week", "format": "csv"}, headers=ld)
    assert weekly.status_code == 200 and weekly.text.splitlines()[0].startswith("period,start")
    today = datetime.now(UTC).date()
    month = {"period_start": today.replace(day=1).isoformat(), "period_end": today.isoformat()}
    figures = [
        {"kind": "cost", "name": "Licences", "value": 10000, "unit": "EUR", **month},
        {"kind": "benefit", "name": "Less hiring", "value": 13500, "unit": "EUR", **month},
        {"kind": "result", "name": "Win rate", "team": "data", "value": 21.0, "unit": "%", **month},
    ]
    assert client.post("/v1/reports/figures", json=figures, headers=ld).status_code == 201
    with_money = client.get("/v1/reports/kpis", headers=ld).json()
    assert with_money["roi"] == {"cost": 10000.0, "benefit": 13500.0, "roi": 0.35, "currency": "EUR"}
    assert [r["name"] for r in with_money["kirkpatrick"]["results"]] == ["Win rate"]
    bad = client.get("/v1/reports/kpis", params={"start": "2026-05-01", "end": "2026-01-01"}, headers=ld)
    assert bad.status_code == 422 and "end" in bad.json()["detail"]


def test_population_gaps_equal_each_employees_own_gaps(
    client: TestClient, runtime: Runtime, company: dict[str, list[str]]
) -> None:
    """The reports read everyone at once; the answer must be the gaps API's, employee by employee."""
    from models import people_repository as people
    from models import repositories as repo
    from service.paths.planning import content_check
    from service.people.gaps import employee_gaps, population_gaps

    now = datetime.now(UTC)
    with runtime.sessions() as session:
        tenant = repo.get_tenant(session, company["tenant"][0])
        assert tenant is not None
        employees = people.list_employees(session, tenant.id)
        has_content = content_check(runtime, tenant.slug, session, tenant.id)
        together = population_gaps(session, tenant.id, employees, now, has_content)
        assert len(together) == 17
        for employee in employees:
            role = people.get_role_by_id(session, tenant.id, employee.role_id or 0)
            alone = employee_gaps(
                session, tenant.id, employee, role, now, has_content, include_closed=True
            ).gaps
            assert together[employee.id] == alone, employee.key
