"""The per-tenant switch for individual gap scores: paths are still planned, the scores are shown
only to whom the tenant allows."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.core.runtime import Runtime
from tests.support.api_keys import make_key

BUDGET = {"minutes_per_week": 60, "weeks": 2}


def test_only_an_admin_changes_the_setting(client: TestClient, runtime: Runtime, company: str) -> None:  # noqa: F811
    admin, ld = make_key(runtime, company, "admin"), make_key(runtime, company, "ld")
    assert client.get("/v1/settings", headers=ld).json()["individual_gaps"] == "all"
    assert (
        client.put("/v1/settings", json={"individual_gaps": "employees_only"}, headers=ld).status_code == 403
    )
    bad = client.put("/v1/settings", json={"individual_gaps": "managers"}, headers=admin)
    assert bad.status_code == 422 and "individual_gaps" in bad.json()["detail"]
    done = client.put("/v1/settings", json={"individual_gaps": "employees_only"}, headers=admin)
    assert done.status_code == 200 and done.json()["individual_gaps"] == "employees_only"
    other = make_key(runtime, company + "-x", "admin")
    assert client.get("/v1/settings", headers=other).json()["individual_gaps"] == "all"


def test_employees_only_hides_the_scores_from_the_lms_but_not_from_the_employee(
    client: TestClient,  # noqa: F811
    runtime: Runtime,
    company: str,  # noqa: F811
) -> None:
    lms = make_key(runtime, company, "lms")
    own = make_key(runtime, company, "employee", employee="e-1")
    before = client.post("/v1/employees/e-1/path", json=BUDGET, headers=lms).json()
    assert all(a["gap"] is not None for s in before["steps"] for a in s["addresses"])
    assert any("je zit nu" in s["why"] or "nog niet laten zien" in s["why"] for s in before["steps"])

    admin = make_key(runtime, company, "admin")
    assert (
        client.put("/v1/settings", json={"individual_gaps": "employees_only"}, headers=admin).status_code
        == 200
    )
    hidden = client.post("/v1/employees/e-1/path", json=BUDGET, headers=lms).json()
    assert [s["external_id"] for s in hidden["steps"]] == [s["external_id"] for s in before["steps"]]
    assert all(a["gap"] is None for s in hidden["steps"] for a in s["addresses"])
    assert all(g["gap"] is None for g in hidden["covered_gaps"] + hidden["uncovered_gaps"])
    assert not any("je zit nu" in s["why"] or "nog niet laten zien" in s["why"] for s in hidden["steps"])
    mine = client.post("/v1/employees/e-1/path", json=BUDGET, headers=own).json()
    assert all(a["gap"] is not None for s in mine["steps"] for a in s["addresses"])

    assert (
        client.put("/v1/settings", json={"individual_gaps": "aggregates_only"}, headers=admin).status_code
        == 200
    )
    nobody = client.post("/v1/employees/e-1/path", json=BUDGET, headers=own).json()
    assert nobody["steps"] and all(a["gap"] is None for s in nobody["steps"] for a in s["addresses"])


def test_the_gaps_route_follows_the_setting(client: TestClient, runtime: Runtime, company: str) -> None:  # noqa: F811
    lms, admin = make_key(runtime, company, "lms"), make_key(runtime, company, "admin")
    own = make_key(runtime, company, "employee", employee="e-1")
    assert client.get("/v1/employees/e-1/gaps", headers=lms).status_code == 200
    client.put("/v1/settings", json={"individual_gaps": "employees_only"}, headers=admin)
    refused = client.get("/v1/employees/e-1/gaps", headers=lms)
    assert refused.status_code == 403 and "employee alone" in refused.json()["detail"]
    assert client.get("/v1/employees/e-1/gaps", headers=admin).status_code == 403
    assert client.get("/v1/employees/e-1/gaps", headers=own).status_code == 200
    client.put("/v1/settings", json={"individual_gaps": "aggregates_only"}, headers=admin)
    assert client.get("/v1/employees/e-1/gaps", headers=own).status_code == 403
    assert client.get("/v1/reports/gaps", headers=make_key(runtime, company, "ld")).status_code == 200


def test_a_stored_path_fetched_again_follows_the_setting_of_now(
    client: TestClient,  # noqa: F811
    runtime: Runtime,
    company: str,  # noqa: F811
) -> None:
    lms, admin = make_key(runtime, company, "lms"), make_key(runtime, company, "admin")
    own = make_key(runtime, company, "employee", employee="e-1")
    given = client.post("/v1/employees/e-1/path", json=BUDGET, headers=lms).json()
    assert given["steps"] and "why_without_levels" not in given["steps"][0]
    url = f"/v1/paths/{given['path_id']}"
    assert client.get(url, headers=lms).json() == given

    client.put("/v1/settings", json={"individual_gaps": "employees_only"}, headers=admin)
    hidden = client.get(url, headers=lms).json()
    assert [s["unit_id"] for s in hidden["steps"]] == [s["unit_id"] for s in given["steps"]]
    assert all(a["gap"] is None for s in hidden["steps"] for a in s["addresses"])
    assert all(g["gap"] is None for g in hidden["covered_gaps"] + hidden["uncovered_gaps"])
    assert not any("je zit nu" in s["why"] or "nog niet laten zien" in s["why"] for s in hidden["steps"])
    assert all(
        " vraagt " in s["why"] or s["why"].startswith("Gevraagd") for s in hidden["steps"]
    )  # still a reason
    assert client.get(url, headers=own).json() == given  # the employee still sees their own scores

    client.put("/v1/settings", json={"individual_gaps": "aggregates_only"}, headers=admin)
    assert all(a["gap"] is None for s in client.get(url, headers=own).json()["steps"] for a in s["addresses"])
