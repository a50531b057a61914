"""The figures L&D enters (costs, benefits, business results): validated, per tenant, whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.core.runtime import Runtime
from service.reports.figures import FigureInputError, import_figures, read_figures_csv
from tests.support.api_keys import make_key

COST = {
    "kind": "cost",
    "name": "GoodHabitz licence",
    "period_start": "2026-09-01",
    "period_end": "2026-11-30",
    "value": 12000,
    "unit": "EUR",
}
BENEFIT = {
    "kind": "benefit",
    "name": "Fewer escalations",
    "team": "support",
    "period_start": "2026-10-01",
    "period_end": "2026-11-30",
    "value": 18000,
    "unit": "EUR",
}
RESULT = {
    "kind": "result",
    "name": "First-contact resolution",
    "team": "support",
    "period_start": "2026-10-01",
    "period_end": "2026-10-31",
    "value": 64.5,
    "unit": "%",
}


def test_figures_are_stored_listed_and_deleted_per_tenant(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    ld = make_key(runtime, tenant, "ld")
    created = client.post("/v1/reports/figures", json=[COST, BENEFIT, RESULT], headers=ld)
    assert created.status_code == 201, created.text
    assert created.json()["created"] == 3
    listed = client.get("/v1/reports/figures", params={"kind": "result"}, headers=ld).json()
    assert [f["name"] for f in listed] == ["First-contact resolution"] and listed[0]["team"] == "support"
    other = make_key(runtime, tenant + "-x", "ld")
    assert client.get("/v1/reports/figures", headers=other).json() == []
    figure_id = listed[0]["figure_id"]
    assert client.delete(f"/v1/reports/figures/{figure_id}", headers=other).status_code == 404
    assert client.delete(f"/v1/reports/figures/{figure_id}", headers=ld).status_code == 204
    assert len(client.get("/v1/reports/figures", headers=ld).json()) == 2
    lms = make_key(runtime, tenant, "lms")
    assert client.post("/v1/reports/figures", json=[COST], headers=lms).status_code == 403


def test_a_bad_figure_is_named_and_nothing_is_stored(
    client: TestClient, runtime: Runtime, tenant: str
) -> None:
    ld = make_key(runtime, tenant, "ld")
    for bad, words in (
        ({**COST, "unit": "euro"}, "currency"),
        ({**COST, "value": -5}, "negative"),
        ({**COST, "period_end": "2026-08-01"}, "period_end"),
        ({**COST, "kind": "saving"}, "kind"),
        ({**COST, "colour": "red"}, "colour"),
    ):
        answer = client.post("/v1/reports/figures", json=[BENEFIT, bad], headers=ld)
        assert answer.status_code == 422, bad
        assert "body.1" in answer.json()["detail"]
        assert words in answer.json()["detail"], answer.json()["detail"]
    assert client.get("/v1/reports/figures", headers=ld).json() == []
    too_many = client.post("/v1/reports/figures", json=[RESULT] * 1001, headers=ld)
    assert too_many.status_code == 422


def test_csv_import_names_line_and_field_and_twice_changes_nothing(
    runtime: Runtime, tenant: str, tmp_path: Path
) -> None:
    good = tmp_path / "figures.csv"
    good.write_text(
        "kind,name,team,period_start,period_end,value,unit,note\n"
        "cost,Coursera seats,,2026-09-01,2026-09-30,4500,EUR,20 seats\n"
        "result,Win rate,sales,2026-09-01,2026-09-30,23.5,%,\n",
        encoding="utf-8",
    )
    figures = read_figures_csv(good)
    assert [f.kind for f in figures] == ["cost", "result"] and figures[0].team is None
    assert import_figures(runtime, tenant, figures) == 2
    assert import_figures(runtime, tenant, figures) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "kind,name,period_start,period_end,value,unit\n"
        "cost,Trainer,2026-10-01,2026-10-01,900,EUR\n"
        "cost,Trainer,2026-10-02,2026-10-02,lots,EUR\n",
        encoding="utf-8",
    )
    with pytest.raises(FigureInputError, match=r"bad.csv line 3: value"):
        read_figures_csv(bad)
    headless = tmp_path / "headless.csv"
    headless.write_text("what,ever\n1,2\n", encoding="utf-8")
    with pytest.raises(FigureInputError, match="missing column"):
        read_figures_csv(headless)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("cost,Trainer,,2026-10-01,2026-10-01,inf,EUR,", "value"),
        ("cost,Trainer,,2026-10-01,2026-10-01,nan,EUR,", "value"),
        ("cost,Trainer,,1 oktober,2026-10-01,900,EUR,", "period_start"),
        ("result,Win rate,sales,2026-10-01,2026-10-31,25,percentage points of the pipeline,", "unit"),
        (",Trainer,,2026-10-01,2026-10-01,900,EUR,", "kind"),
        ("benefit,Hiring,,2026-10-01,2026-10-31,900,eur,", "unit"),
    ],
)
def test_a_bad_csv_row_is_named_by_line_and_field(tmp_path: Path, row: str, field: str) -> None:
    path = tmp_path / "figures.csv"
    path.write_text(
        "kind,name,team,period_start,period_end,value,unit,note\n"
        "cost,Coursera seats,,2026-09-01,2026-09-30,4500,EUR,\n" + row + "\n",
        encoding="utf-8",
    )
    with pytest.raises(FigureInputError, match=rf"figures.csv line 3: {field}\b"):
        read_figures_csv(path)


def test_a_csv_with_more_rows_than_the_limit_is_refused(tmp_path: Path) -> None:
    row = "result,Win rate,sales,2026-10-01,2026-10-31,25,%,\n"
    path = tmp_path / "huge.csv"
    path.write_text(
        "kind,name,team,period_start,period_end,value,unit,note\n" + row * 10_001, encoding="utf-8"
    )
    with pytest.raises(FigureInputError, match="more than 10000"):
        read_figures_csv(path)
    path.write_text(
        "kind,name,team,period_start,period_end,value,unit,note\n" + row * 10_000, encoding="utf-8"
    )
    assert len(read_figures_csv(path)) == 10_000
