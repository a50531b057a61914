"""No CSV the product writes holds a live spreadsheet formula (OWASP CSV injection): text cells that
start with =, +, -, @, a tab or a carriage return get a leading single quote; numbers stay numbers."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from models import people_repository as people
from models import repositories as repo
from models.db import transaction
from models.tables import LearningPath
from service.core.csv_export import FORMULA_STARTS, csv_text, spreadsheet_safe
from service.core.runtime import Runtime
from tests.support.api_keys import make_key
from tests.support.xapi import statement

TEAM = "=1+1"
SKILL = '=HYPERLINK("http://evil.example","x")'


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_text_a_spreadsheet_would_take_for_a_formula_is_quoted(start: str) -> None:
    assert spreadsheet_safe(f"{start}cmd|' /C calc'!A0") == f"'{start}cmd|' /C calc'!A0"


@pytest.mark.parametrize("value", ["SQL", "team data", "", " =1+1", "1-2", "C++", None, 3, -2, -0.5, 1e-9])
def test_other_text_and_every_number_stay_as_they_are(value: str | int | float | None) -> None:
    assert spreadsheet_safe(value) == value


def test_a_csv_read_back_holds_no_formula_and_keeps_negative_numbers() -> None:
    text = csv_text(["team", "gap"], [["-team", -1.5], ["@SUM(A1)", 2], ["\tx", ""], ["\rx", None]])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["team", "gap"], ["'-team", "-1.5"], ["'@SUM(A1)", "2"], ["'\tx", ""], ["'\rx", ""]]


def test_the_gap_report_csv_neutralises_team_names_and_skill_labels(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    """A team `=1+1` and a skill `=HYPERLINK(...)` (skill labels also come from catalog files) reached
    the L&D team's spreadsheet as live formulas."""
    ld, lms = make_key(runtime, tenant, "ld"), make_key(runtime, tenant, "lms")
    role = {"name": "Analist", "skills": [{"skill": SKILL, "level": 3}, {"skill": "SQL", "level": 2}]}
    assert client.put("/v1/roles/analist", json=role, headers=ld).status_code == 200
    for number in range(5):  # five, so the team's figures are not suppressed
        body = {"role": "analist", "team": TEAM, "language": "nl"}
        assert client.put(f"/v1/employees/e-{number}", json=body, headers=lms).status_code == 200
    answer = client.get("/v1/reports/gaps", params={"format": "csv", "team": TEAM}, headers=ld)
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text, newline="")))
    assert {row["team"] for row in rows} >= {"'" + TEAM}
    assert {row["skill"] for row in rows} == {"'" + SKILL, "SQL"}
    assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row.values())
    mine = [row for row in rows if row["team"] == "'" + TEAM]
    assert all(row["suppressed"] == "false" and float(row["mean_gap"]) > 0 for row in mine)


def test_the_kpi_csv_holds_the_learning_day_and_proficiency_figures_of_the_json_spreadsheet_safe(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    """Five employees of team `=1+1` with a Learning Day 10 days ago (100 minutes planned each) and a
    skill `=HYPERLINK(...)` reached 5 to 25 days after its gap opened: the CSV's window rows are the
    JSON's figures, and neither name reaches a spreadsheet as a formula; four of them: hidden."""
    ld, lms = make_key(runtime, company, "ld"), make_key(runtime, company, "lms")
    role = {"name": "Evil", "skills": [{"skill": SKILL, "level": 3}]}
    assert client.put("/v1/roles/evil", json=role, headers=ld).status_code == 200
    members = [f"x-{n}" for n in range(5)]
    now = datetime.now(UTC)
    day = (now - timedelta(days=10)).date()
    for n, key in enumerate(members):
        body = {"role": "evil", "team": TEAM, "language": "nl"}
        assert client.put(f"/v1/employees/{key}", json=body, headers=lms).status_code == 200
        opened = now - timedelta(days=40)
        evidence = [
            {"skill": SKILL, "level": 1, "source": "test", "observed_at": opened.isoformat()},
            {
                "skill": SKILL,
                "level": 3,
                "source": "manager",
                "observed_at": (opened + timedelta(days=5 * (n + 1))).isoformat(),
            },
        ]
        assert client.post(f"/v1/employees/{key}/assessments", json=evidence, headers=lms).status_code == 200
    with transaction(runtime.sessions) as session:
        tenant = repo.get_tenant(session, company)
        assert tenant is not None
        for key in members:
            employee = people.get_employee(session, tenant.id, key)
            assert employee is not None
            session.add(
                LearningPath(
                    tenant_id=tenant.id,
                    path_key=uuid.uuid4().hex,  # unique across the tests' tenants
                    employee_id=employee.id,
                    request={"weeks": 2},
                    response={
                        "learning_days": [
                            {"date": day.isoformat(), "week": 1, "minutes": 480, "planned_minutes": 100}
                        ]
                    },
                    model_version="test",
                    created_at=now - timedelta(days=12),
                )
            )
    on_day = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10)
    events = []
    for key, minutes in zip(members, (100, 50, 0, 200, 25), strict=True):
        if minutes:
            event = statement(key, "completed", timestamp=on_day.isoformat().replace("+00:00", "Z"))
            event["result"] = {"duration": f"PT{minutes}M", "completion": True}
            events.append(event)
    assert client.post("/v1/events", json=events, headers=lms).json()["accepted"] == len(events)

    def window() -> tuple[dict[str, object], dict[tuple[str, str, str], dict[str, str]]]:
        report = client.get("/v1/reports/kpis", headers=ld).json()
        answer = client.get("/v1/reports/kpis", params={"format": "csv"}, headers=ld)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.text, newline="")))
        assert not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row.values())
        assert [row["period"] for row in rows[: len(report["series"])]] == [
            p["period"] for p in report["series"]
        ]
        shown = {(r["figure"], r["team"], r["skill"]): r for r in rows if r["period"] == "window"}
        assert all(r["start"] == report["start"] for r in shown.values())
        return report, shown

    report, rows = window()
    use = report["learning_days"]
    team = rows[("learning_day_share", "'" + TEAM, "")]
    assert float(team["value"]) == use["teams"][0]["share"] == (100 + 50 + 0 + 100 + 25) / 500
    assert team["employees"] == "5" and team["suppressed"] == "false"
    assert (
        float(rows[("learning_day_used_minutes", "'" + TEAM, "")]["value"]) == use["teams"][0]["used_minutes"]
    )
    assert float(rows[("learning_day_planned_minutes", "all teams", "")]["value"]) == 500
    evil = rows[("time_to_proficiency_days", "", "'" + SKILL)]
    [skill] = [s for s in report["time_to_proficiency"] if s["skill"] == SKILL]
    assert float(evil["value"]) == skill["median_days"] == 15.0 and evil["skill_id"] == str(skill["skill_id"])
    nudged = rows[("completion_after_nudge", "", "")]  # nobody was nudged: no figure, nothing hidden
    assert nudged["value"] == "" and nudged["suppressed"] == "false"

    admin = make_key(runtime, company, "admin")
    assert client.delete(f"/v1/employees/{members[4]}", headers=admin).status_code in (200, 204)
    _, fewer = window()
    for key in [("learning_day_share", "'" + TEAM, ""), ("time_to_proficiency_days", "", "'" + SKILL)]:
        assert (
            fewer[key]["value"] == ""
            and fewer[key]["suppressed"] == "true"
            and fewer[key]["employees"] == "4"
        )
