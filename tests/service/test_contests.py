"""An employee contests an assessment: it stops counting at once; L&D upholds or corrects it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.core.runtime import Runtime
from tests.support.api_keys import make_key


def sql_gap(client: TestClient, headers: dict[str, str]) -> float:  # noqa: F811
    gaps = client.get("/v1/employees/e-1/gaps", headers=headers).json()["gaps"]
    return next(g["gap"] for g in gaps if g["skill"] == "SQL")


def test_a_contested_assessment_stops_counting_until_ld_decides(
    client: TestClient,  # noqa: F811
    runtime: Runtime,
    company: str,  # noqa: F811
) -> None:
    lms, ld = make_key(runtime, company, "lms"), make_key(runtime, company, "ld")
    own = make_key(runtime, company, "employee", employee="e-1")
    other = make_key(runtime, company, "employee", employee="e-2")
    posted = client.post(
        "/v1/employees/e-1/assessments", json=[{"skill": "SQL", "level": 4, "source": "manager"}], headers=lms
    )
    assert posted.status_code == 200
    held = client.get("/v1/employees/e-1/assessments", headers=own).json()
    manager = next(a for a in held if a["source"] == "manager")
    assert manager["counts_as_evidence"] is True and manager["contest"] is None
    with_manager = sql_gap(client, own)

    url = f"/v1/employees/e-1/assessments/{manager['assessment_id']}/contest"
    assert client.post(url, json={"reason": "not my work"}, headers=other).status_code == 403
    contested = client.post(url, json={"reason": "Rated on a project I was not in"}, headers=own)
    assert contested.status_code == 201 and contested.json()["status"] == "open"
    assert client.post(url, json={"reason": "again"}, headers=own).status_code == 409
    without = sql_gap(client, own)
    assert without > with_manager  # the level-4 manager rating no longer lifts the estimate
    assert client.get("/v1/employees/e-1/assessments", headers=own).json()[-1]["counts_as_evidence"] is False

    open_ones = client.get("/v1/contests", headers=ld).json()
    assert [c["assessment_id"] for c in open_ones] == [manager["assessment_id"]]
    assert open_ones[0]["employee_id"] == "e-1"
    assert client.get("/v1/contests", headers=lms).status_code == 403
    contest_id = open_ones[0]["contest_id"]
    stranger = make_key(runtime, company + "-x", "ld")
    assert (
        client.put(f"/v1/contests/{contest_id}", json={"decision": "upheld"}, headers=stranger).status_code
        == 404
    )
    upheld = client.put(
        f"/v1/contests/{contest_id}", json={"decision": "upheld", "note": "checked"}, headers=ld
    )
    assert upheld.status_code == 200 and upheld.json()["status"] == "upheld" and upheld.json()["decided_at"]
    assert sql_gap(client, own) == with_manager
    again = client.put(f"/v1/contests/{contest_id}", json={"decision": "corrected"}, headers=ld)
    assert again.status_code == 409
    assert client.get("/v1/contests", headers=ld).json() == []


def test_a_corrected_assessment_never_counts_again(
    client: TestClient,  # noqa: F811
    runtime: Runtime,
    company: str,  # noqa: F811
) -> None:
    lms, ld = make_key(runtime, company, "lms"), make_key(runtime, company, "ld")
    before = sql_gap(client, lms)
    held = client.get("/v1/employees/e-1/assessments", headers=lms).json()
    test_result = next(a for a in held if a["source"] == "test")
    contested = client.post(
        f"/v1/employees/e-1/assessments/{test_result['assessment_id']}/contest",
        json={"reason": "the test crashed halfway"},
        headers=lms,
    )
    assert contested.status_code == 201
    decided = client.put(
        f"/v1/contests/{contested.json()['contest_id']}", json={"decision": "corrected"}, headers=ld
    )
    assert decided.status_code == 200
    after = client.get("/v1/employees/e-1/assessments", headers=lms).json()
    assert after[0]["counts_as_evidence"] is False and after[0]["contest"]["status"] == "corrected"
    assert sql_gap(client, lms) != before
    assert (
        client.post(
            "/v1/employees/e-1/assessments/999999/contest", json={"reason": "xyz"}, headers=lms
        ).status_code
        == 404
    )
