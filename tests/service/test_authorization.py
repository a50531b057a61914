"""Deny by default: every route declares who may call it, and the declaration is what happens.

The walk fails on a route that has neither a role rule among its dependencies nor an entry in
PUBLIC_ROUTES; the matrix calls every ruled route with a key of each role (and with none) and checks
that the roles left out get 403 and the ones let in get past the rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from service.app import create_app
from service.core.runtime import Runtime
from service.http.deps import PUBLIC_ROUTES, ROLES
from tests.support.api_keys import make_key
from tests.support.catalogs import ROWS, write_csv
from tests.support.xapi import statement


def _rules(dependant: Dependant) -> list[tuple[str, ...]]:
    """The allowed roles of every role rule in a route's dependency tree."""
    found: list[tuple[str, ...]] = []
    for sub in dependant.dependencies:
        roles = getattr(sub.call, "allowed_roles", None)
        if roles is not None:
            found.append(tuple(roles))
        found.extend(_rules(sub))
    return found


def ruled_routes(app: FastAPI) -> list[tuple[str, str, tuple[str, ...]]]:
    """(method, path, allowed roles) of every API route; fails on a route without a rule."""
    result: list[tuple[str, str, tuple[str, ...]]] = []
    for context in iter_route_contexts(app.routes):  # included routers are a tree since FastAPI 0.137
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue  # the OpenAPI document, the docs page and /static: no data behind them
        path = str(context.path)
        for method in sorted(context.methods or ()):
            rules = _rules(route.dependant)
            if (method, path) in PUBLIC_ROUTES:
                assert not rules, f"{method} {path} is listed as public but has a role rule"
                continue
            assert rules, f"{method} {path} has no role rule and is not in PUBLIC_ROUTES"
            allowed = set(ROLES)
            for rule in rules:
                allowed &= set(rule)
            result.append((method, path, tuple(sorted(allowed))))
    return result


def public_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method, str(context.path))
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
        if (method, str(context.path)) in PUBLIC_ROUTES
    }


@pytest.fixture(scope="module")
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.backends("sqlite")
def test_every_route_has_a_rule_or_is_declared_public(app: FastAPI) -> None:
    routes = ruled_routes(app)
    assert public_routes(app) == set(PUBLIC_ROUTES), "PUBLIC_ROUTES names a route that does not exist"
    assert len(routes) >= 25
    paths = {path for _, path, _ in routes}
    assert "/v1/reports/gaps" in paths and "/v1/events" in paths
    assert all(allowed for _, _, allowed in routes), "a route no role may call"


def test_a_route_without_a_rule_fails_the_walk() -> None:
    bare = FastAPI()

    @bare.get("/v1/leak")
    def leak() -> dict[str, Any]:
        return {}

    with pytest.raises(AssertionError, match="/v1/leak has no role rule"):
        ruled_routes(bare)


def concrete(path: str) -> str:
    """A path with its parameters filled: the employee key's own employee, and ids that do not exist
    (a 404 or 422 past the rule is fine; the rule is what is under test)."""
    filled = path.replace("{employee_id}", "e-self")
    return re.sub(r"\{[^}]*_id\}", "999999", filled)


@pytest.mark.backends("sqlite")
def test_each_role_gets_exactly_the_routes_its_rule_allows(
    app: FastAPI, client: TestClient, runtime: Runtime, tenant: str
) -> None:
    keys = {
        role: make_key(runtime, tenant, role, employee="e-self" if role == "employee" else None)
        for role in ROLES
    }
    checked = 0
    for method, path, allowed in ruled_routes(app):
        url = concrete(path)
        anonymous = client.request(method, url)
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        checked += 1
        for role, headers in keys.items():
            answer = client.request(method, url, headers=headers)
            if role in allowed:
                assert answer.status_code not in (401, 403), (method, path, role, answer.text)
            else:
                assert answer.status_code == 403, (method, path, role, answer.status_code)
                assert answer.headers["content-type"].startswith("application/problem+json")
            checked += 1
    routes = len(ruled_routes(app))
    print(f"\nauthorization matrix: {routes} ruled routes x ({len(ROLES)} roles + no key): {checked} calls")
    assert checked >= 25 * len(ROLES)


MARKER_TEAM = "alpha-secret-team"
OBJECT_IDS = (
    "{item_id}",
    "{path_id}",
    "{assessment_id}",
    "{contest_id}",
    "{figure_id}",
    "{job_id}",
    "{challenge_id}",
)


def _tenant_a(client: TestClient, runtime: Runtime, tenant: str, tmp_path: Path) -> dict[str, str]:
    """Tenant A with one of everything: an employee with team, assessment, event, path, contest; a
    figure and a job. Returns the ids to aim other callers at."""
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "a.csv", ROWS))
    admin, ld, lms = (make_key(runtime, tenant, role) for role in ("admin", "ld", "lms"))
    role = {"name": "Analyst", "skills": [{"skill": "SQL", "level": 4, "importance": "essential"}]}
    assert client.put("/v1/roles/analyst", json=role, headers=ld).status_code == 200
    body = {"role": "analyst", "team": MARKER_TEAM, "language": "nl"}
    assert client.put("/v1/employees/e-self", json=body, headers=lms).status_code == 200
    evidence = [{"skill": "SQL", "level": 1, "source": "manager"}]
    assert client.post("/v1/employees/e-self/assessments", json=evidence, headers=lms).status_code == 200
    item = client.get("/v1/catalog/items", headers=lms).json()["items"][0]
    event = statement("e-self", "completed", item["activity_id"])
    assert client.post("/v1/events", json=[event], headers=lms).json()["accepted"] == 1
    path = client.post("/v1/employees/e-self/path", json={"minutes_per_week": 60, "weeks": 2}, headers=lms)
    assert path.status_code == 200
    assessment = client.get("/v1/employees/e-self/assessments", headers=lms).json()[0]
    contest = client.post(
        f"/v1/employees/e-self/assessments/{assessment['assessment_id']}/contest",
        json={"reason": "alpha secret reason"},
        headers=lms,
    ).json()
    figure = {
        "kind": "cost",
        "name": "alpha secret licence",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "value": 100,
        "unit": "EUR",
    }
    created = client.post("/v1/reports/figures", json=[figure], headers=ld).json()["figures"][0]
    job = client.post("/v1/catalog/retag", headers=ld).json()
    skill = client.get(f"/v1/catalog/items/{item['item_id']}/skills", headers=lms).json()[0]
    challenge = {
        "team": MARKER_TEAM,
        "title": "alpha secret challenge",
        "goal_minutes": 300,
        "starts_on": "2026-09-01",
        "ends_on": "2027-08-31",
    }
    created_challenge = client.post("/v1/challenges", json=challenge, headers=ld).json()
    return {
        "{employee_id}": "e-self",
        "{item_id}": str(item["item_id"]),
        "{path_id}": path.json()["path_id"],
        "{assessment_id}": str(assessment["assessment_id"]),
        "{contest_id}": str(contest["contest_id"]),
        "{figure_id}": str(created["figure_id"]),
        "{job_id}": str(job["job_id"]),
        "{skill_id}": str(skill["skill_id"]),
        "{challenge_id}": str(created_challenge["challenge_id"]),
        "{role_id}": "analyst",
        "secret_path": path.json()["path_id"],
        "admin": admin["Authorization"],
    }


# Valid bodies, so that a write is refused for who is asking and not for its shape.
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/v1/employees/{employee_id}"): {"language": "en", "team": "intruders"},
    ("POST", "/v1/employees/{employee_id}/assessments"): [{"skill": "SQL", "level": 5, "source": "self"}],
    ("POST", "/v1/employees/{employee_id}/path"): {"minutes_per_week": 60, "weeks": 1},
    ("POST", "/v1/employees/{employee_id}/assessments/{assessment_id}/contest"): {"reason": "intruder"},
    ("PUT", "/v1/contests/{contest_id}"): {"decision": "corrected"},
    ("PUT", "/v1/catalog/items/{item_id}/skills/{skill_id}"): {"status": "rejected"},
    ("PUT", "/v1/settings"): {"individual_gaps": "all"},
    ("PUT", "/v1/employees/{employee_id}/badges/consent"): {"consent": True},
    ("PUT", "/v1/employees/{employee_id}/nudges"): {
        "opted_in": True,
        "channel": "slack",
        "address": "U0INTRUDER",
    },
}


def _aimed(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        if name.startswith("{"):
            path = path.replace(name, value)
    return path


def _state_of_a(client: TestClient, admin: str) -> str:
    """What tenant A's own admin reads: it must be the same after everyone else has tried everything."""
    headers = {"Authorization": admin}
    reads = [
        "/v1/employees/e-self",
        "/v1/employees/e-self/assessments",
        "/v1/reports/figures",
        "/v1/contests?status=open",
        "/v1/roles",
        "/v1/catalog/items",
    ]
    return json.dumps([client.get(url, headers=headers).json() for url in reads], sort_keys=True)


@pytest.mark.backends("sqlite")
def test_no_caller_reaches_another_tenants_or_another_employees_data(
    app: FastAPI, client: TestClient, runtime: Runtime, tenant: str, tmp_path: Path
) -> None:
    ids = _tenant_a(client, runtime, tenant, tmp_path)
    before = _state_of_a(client, ids["admin"])
    other_tenant = tenant + "-b"
    outsiders = {
        f"{role}@b": make_key(runtime, other_tenant, role, employee="e-self" if role == "employee" else None)
        for role in ROLES
    }
    colleague = make_key(runtime, tenant, "employee", employee="e-other")
    # Ids may be echoed (the caller sent them); A's words never: B has no catalog, team or figures.
    secrets = (MARKER_TEAM, "alpha secret", *(row[1] for row in ROWS))
    calls = 0
    # Erasing B's own e-self also deletes B's employee key bound to it: that route goes last.
    erasure = ("DELETE", "/v1/employees/{employee_id}")
    for method, path, allowed in sorted(ruled_routes(app), key=lambda r: (r[0], r[1]) == erasure):
        url = _aimed(path, ids)
        for who, headers in outsiders.items():
            answer = client.request(method, url, headers=headers, json=BODIES.get((method, path)))
            calls += 1
            assert not any(secret in answer.text for secret in secrets), (
                method,
                path,
                who,
                answer.text[:300],
            )
            names_a_row_of_a = any(k in path for k in OBJECT_IDS)  # employee and role keys are B's own too
            if method == "GET" and who.split("@")[0] in allowed and names_a_row_of_a:
                assert answer.status_code in (403, 404), (method, path, who, answer.status_code)
        if "{employee_id}" in path and "employee" in allowed:
            # A colleague's key never reaches e-self's data, whatever the route.
            answer = client.request(method, url, headers=colleague, json=BODIES.get((method, path)))
            calls += 1
            assert answer.status_code == 403, (method, path, "colleague", answer.status_code)
    assert calls >= 25 * len(outsiders)
    assert _state_of_a(client, ids["admin"]) == before, "a caller from outside changed tenant A's data"
    routes = len(ruled_routes(app))
    print(
        f"\nobject-level matrix: {routes} ruled routes x {len(outsiders)} roles of another tenant, "
        f"and a colleague: {calls} calls, none read or changed tenant A's data"
    )
