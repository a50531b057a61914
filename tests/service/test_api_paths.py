"""Learning paths through the API, on both databases: budget, storage, privacy, no encoding."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.core.runtime import Runtime
from tests.support.api_keys import make_key


def test_path_fits_the_budget_and_explains_each_step(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    lms = make_key(runtime, company, "lms")
    response = client.post("/v1/employees/e-1/path", json={"minutes_per_week": 30, "weeks": 2}, headers=lms)
    assert response.status_code == 200, response.json()
    path = response.json()
    assert path["path_id"] and path["model_version"] and path["steps"]
    assert sum(s["minutes"] for s in path["steps"]) <= 60
    for week in {s["week"] for s in path["steps"]}:
        assert sum(s["minutes"] for s in path["steps"] if s["week"] == week) <= 30
    for step in path["steps"]:
        assert (
            step["addresses"]
            and step["why"]
            and step["external_id"]
            and step["activity_id"].startswith("urn:leerpad")
        )
    sql_steps = [s for s in path["steps"] if any(a["skill"] == "SQL" for a in s["addresses"])]
    assert sql_steps and sql_steps[0]["external_id"] in {"sql-basis", "sql-joins"}  # Dutch, foundations first
    assert "SQL" in sql_steps[0]["why"]
    uncovered = {u["skill"]: u["reason"] for u in path["uncovered_gaps"]}
    assert uncovered.get("Figma") == "no_content"
    again = client.get(f"/v1/paths/{path['path_id']}", headers=lms).json()
    assert again == path


def test_path_request_encodes_no_text(
    client: TestClient, runtime: Runtime, company: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lms = make_key(runtime, company, "lms")
    client.post("/v1/employees/e-1/path", json={}, headers=lms)  # warm the lexical index

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a path request must not encode text")

    monkeypatch.setattr(runtime.encoder(), "encode", refuse)
    assert (
        client.post(
            "/v1/employees/e-1/path", json={"minutes_per_week": 60, "weeks": 4}, headers=lms
        ).status_code
        == 200
    )


def test_path_limits_and_privacy(client: TestClient, runtime: Runtime, company: str) -> None:
    lms = make_key(runtime, company, "lms")
    assert client.post("/v1/employees/e-1/path", json={"minutes_per_week": 0}, headers=lms).status_code == 422
    assert client.post("/v1/employees/e-1/path", json={"weeks": 53}, headers=lms).status_code == 422
    assert client.post("/v1/employees/e-1/path", json={"extra": 1}, headers=lms).status_code == 422
    own = make_key(runtime, company, "employee", employee="e-1")
    mine = client.post("/v1/employees/e-1/path", json={}, headers=own)
    assert mine.status_code == 200
    other = make_key(runtime, company, "employee", employee="e-2")
    assert client.post("/v1/employees/e-1/path", json={}, headers=other).status_code == 403
    assert client.get(f"/v1/paths/{mine.json()['path_id']}", headers=other).status_code == 404
    stranger = make_key(runtime, company + "-x", "lms")
    assert client.get(f"/v1/paths/{mine.json()['path_id']}", headers=stranger).status_code == 404


def test_recommendations_for_an_ad_hoc_skill_list(client: TestClient, runtime: Runtime, company: str) -> None:
    lms = make_key(runtime, company, "lms")
    body = {
        "skills": [
            {"skill": "SQL", "current": 1, "target": 3},
            {"skill": "giving feedback", "current": 0, "target": 2},
        ],
        "minutes_per_week": 60,
        "weeks": 2,
        "languages": ["en"],
    }
    response = client.post("/v1/recommendations", json=body, headers=lms)
    assert response.status_code == 200, response.json()
    steps = response.json()["steps"]
    assert steps and all(s["language"] == "en" or s["addresses"] for s in steps)
    matched = {m["skill"]: m["matched"] for m in response.json()["matched_skills"]}
    assert matched == {"SQL": "taxonomy", "giving feedback": "taxonomy"}
    # a label that matches no skill of the tenant is matched by text, not refused
    ad_hoc = client.post(
        "/v1/recommendations",
        json={**body, "skills": [{"skill": "nothing-like-this", "current": 0, "target": 2}]},
        headers=lms,
    )
    assert ad_hoc.status_code == 200, ad_hoc.json()
    assert ad_hoc.json()["matched_skills"][0]["matched"] == "text"
    assert ad_hoc.json()["matched_skills"][0]["skill_id"] < 0
    assert all(e["kind"] == "text" for s in ad_hoc.json()["steps"] for e in s["evidence"])
    bad = client.post(
        "/v1/recommendations",
        json={**body, "skills": [{"skill": "%%% 42", "current": 0, "target": 2}]},
        headers=lms,
    )
    assert bad.status_code == 422 and "skills[0]" in bad.json()["detail"]
    employee = make_key(runtime, company, "employee", employee="e-1")
    assert client.post("/v1/recommendations", json=body, headers=employee).status_code == 403


def test_stored_preferences_are_the_path_defaults(client: TestClient, runtime: Runtime, company: str) -> None:
    lms = make_key(runtime, company, "lms")
    prefs = {"role": "analyst", "language": "nl", "preferences": {"minutes_per_week": 20, "weeks": 2}}
    assert client.put("/v1/employees/e-2", json=prefs, headers=lms).status_code == 200
    path = client.post("/v1/employees/e-2/path", json={}, headers=lms).json()
    assert (path["minutes_per_week"], path["weeks"], path["budget_minutes"]) == (20, 2, 40)
    assert path["steps"] and all(step["minutes"] <= 20 for step in path["steps"])
    assert path["total_minutes"] <= 40
    # the request's own numbers win over the stored ones
    asked = client.post(
        "/v1/employees/e-2/path", json={"minutes_per_week": 30, "weeks": 1}, headers=lms
    ).json()
    assert (asked["minutes_per_week"], asked["weeks"]) == (30, 1)
    bad = {**prefs, "preferences": {"minutes_per_week": "lots"}}
    response = client.put("/v1/employees/e-2", json=bad, headers=lms)
    assert response.status_code == 422 and "preferences.minutes_per_week" in response.json()["detail"]


def test_a_dutch_learner_gets_dutch_and_english_only_where_no_dutch_teaches_the_gap(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    lms = make_key(runtime, company, "lms")
    path = client.post(
        "/v1/employees/e-1/path", json={"languages": ["nl"], "minutes_per_week": 60, "weeks": 4}, headers=lms
    ).json()
    sql_steps = [s for s in path["steps"] if any(a["skill"] == "SQL" for a in s["addresses"])]
    assert sql_steps and all(s["language"] == "nl" and not s["language_fallback"] for s in sql_steps)
    for step in path["steps"]:
        assert step["evidence"] and {e["skill"] for e in step["evidence"]} == {
            a["skill"] for a in step["addresses"]
        }
        if step["language"] != "nl":
            assert step["language_fallback"] and "Nederlands" in step["why"]
    for gap in path["uncovered_gaps"]:
        assert gap["explanation"] and gap["skill"] in gap["explanation"]


def test_search_is_hybrid_finds_named_words_and_puts_the_learners_language_first(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    lms = make_key(runtime, company, "lms")

    def titles(params: dict[str, object]) -> list[str]:
        response = client.get("/v1/search", params=params, headers=lms)
        assert response.status_code == 200, response.json()
        return [hit["title"] for hit in response.json()["results"]]

    # exact Dutch words of a unit find it first, though the encoder is English
    assert titles({"q": "waarneming effect vraag", "limit": 3})[0] == "Feedback geven in vijf minuten"
    assert titles({"q": "INNER JOIN LEFT JOIN", "limit": 3})[0] == "SQL joins uitgelegd"
    # with languages=en, the English unit comes before Dutch ones; Dutch ones follow, marked
    results = client.get("/v1/search", params={"q": "SQL", "languages": "en", "limit": 5}, headers=lms).json()
    languages = [(hit["language"], hit["language_fallback"]) for hit in results["results"]]
    assert languages[0] == ("en", False) and all(flag == (lang != "en") for lang, flag in languages)
    assert client.get("/v1/search", params={"q": "SQL", "languages": "n;l"}, headers=lms).status_code == 422


def test_a_tag_rejected_after_a_path_leaves_the_next_path_at_once(
    client: TestClient, runtime: Runtime, company: str
) -> None:
    """Each skill's candidates are kept per process under the tenant's tags version: a tag L&D rejects
    moves it, so the next path, in the same process, no longer gives that item for that skill, not
    even because its title names the skill (retrieval found it there before the veto)."""
    lms, ld = make_key(runtime, company, "lms"), make_key(runtime, company, "ld")
    body = {"minutes_per_week": 60, "weeks": 4}
    first = client.post("/v1/employees/e-1/path", json=body, headers=lms).json()
    sql = next(s for s in first["steps"] if any(a["skill"] == "SQL" for a in s["addresses"]))
    skill_id = next(a["skill_id"] for a in sql["addresses"] if a["skill"] == "SQL")
    rejected = client.put(
        f"/v1/catalog/items/{sql['item_id']}/skills/{skill_id}", json={"status": "rejected"}, headers=ld
    )
    assert rejected.status_code == 200, rejected.text
    again = client.post("/v1/employees/e-1/path", json=body, headers=lms).json()
    assert not [
        s
        for s in again["steps"]
        if s["item_id"] == sql["item_id"] and any(a["skill_id"] == skill_id for a in s["addresses"])
    ]
