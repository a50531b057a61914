"""No CSV the product writes holds a live spreadsheet formula (OWASP CSV injection): text cells that
start with =, +, -, @, a tab or a carriage return get a leading single quote; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from service.core.csv_export import FORMULA_STARTS, csv_text, spreadsheet_safe
from service.core.runtime import Runtime
from tests.support.api_keys import make_key

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
