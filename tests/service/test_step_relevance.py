"""The tenant's own bar for a path step (PUT /v1/settings min_step_relevance): one bar and one
evidence for paths and /gaps has_content, on both databases."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from ingest.taxonomy import read_default_taxonomy
from recommender.paths import MIN_STEP_RELEVANCE
from service.core.runtime import Runtime
from service.skills.taxonomy import import_taxonomy
from tests.support.api_keys import make_key
from tests.support.catalogs import HEADER, write_csv

# Feedback is declared by its source; the Figma unit declares nothing and is found by its title alone.
CATALOG = [
    [
        "fb",
        "Feedback geven in vijf minuten",
        "Geef feedback met waarneming en effect.",
        "https://lms.example/fb",
        "nl",
        "10",
        "feedback geven",
    ],
    [
        "figma",
        "Figma: je eerste prototype",
        "Maak in Figma een klikbaar prototype van een scherm.",
        "https://lms.example/figma",
        "nl",
        "12",
        "",
    ],
]
BUDGET = {"minutes_per_week": 60, "weeks": 2}


def _setup(client: TestClient, runtime: Runtime, tenant: str, tmp_path: Path) -> dict[str, str]:
    import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", CATALOG, header=HEADER))
    ld, lms = make_key(runtime, tenant, "ld"), make_key(runtime, tenant, "lms")
    role = {
        "name": "Ontwerper",
        "skills": [{"skill": "feedback geven", "level": 3}, {"skill": "Figma", "level": 3}],
    }
    assert client.put("/v1/roles/designer", json=role, headers=ld).status_code == 200
    employee = {"role": "designer", "language": "nl"}
    assert client.put("/v1/employees/e-1", json=employee, headers=lms).status_code == 200
    return lms


def _path_titles(client: TestClient, lms: dict[str, str]) -> set[str]:
    response = client.post("/v1/employees/e-1/path", json=BUDGET, headers=lms)
    assert response.status_code == 200, response.text
    return {step["title"] for step in response.json()["steps"]}


def _has_content(client: TestClient, lms: dict[str, str]) -> dict[str, bool]:
    gaps = client.get("/v1/employees/e-1/gaps", headers=lms).json()["gaps"]
    return {gap["skill"]: gap["has_content"] for gap in gaps}


def test_a_tenant_bar_of_one_admits_only_declared_content_in_paths_and_gaps(
    client: TestClient,
    runtime: Runtime,
    tenant: str,
    tmp_path: Path,
) -> None:
    lms = _setup(client, runtime, tenant, tmp_path)
    admin = make_key(runtime, tenant, "admin")
    settings = client.get("/v1/settings", headers=admin).json()
    assert settings["min_step_relevance"] == settings["min_step_relevance_default"] == MIN_STEP_RELEVANCE
    assert _path_titles(client, lms) == {"Feedback geven in vijf minuten", "Figma: je eerste prototype"}
    # the Figma unit declares nothing and no tag reaches the bar: the gap still has content, because a
    # path finds it (label in its title); /gaps and the path never disagree
    assert _has_content(client, lms) == {"feedback geven": True, "Figma": True}

    strict = client.put("/v1/settings", json={"min_step_relevance": 1.0}, headers=admin)
    assert strict.status_code == 200 and strict.json()["min_step_relevance"] == 1.0
    assert strict.json()["individual_gaps"] == "all"  # a field not given is left alone
    assert _path_titles(client, lms) == {"Feedback geven in vijf minuten"}
    content = _has_content(client, lms)
    assert content["feedback geven"] and not content["Figma"]

    back = client.put("/v1/settings", json={"min_step_relevance": None}, headers=admin)
    assert back.json()["min_step_relevance"] == MIN_STEP_RELEVANCE
    assert "Figma: je eerste prototype" in _path_titles(client, lms)


def test_the_bar_is_validated_and_only_an_admin_sets_it(
    client: TestClient,
    runtime: Runtime,
    tenant: str,
) -> None:
    admin, ld = make_key(runtime, tenant, "admin"), make_key(runtime, tenant, "ld")
    for bad in (0.2, 1.5, "hoog"):
        response = client.put("/v1/settings", json={"min_step_relevance": bad}, headers=admin)
        assert response.status_code == 422 and "min_step_relevance" in response.json()["detail"]
    assert client.put("/v1/settings", json={"min_step_relevance": 0.9}, headers=ld).status_code == 403
    assert client.get("/v1/settings", headers=admin).json()["min_step_relevance"] == MIN_STEP_RELEVANCE
