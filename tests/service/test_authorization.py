"""Deny by default: every route declares who may call it, and the declaration is what happens.

The walk fails on a route that has neither a role rule among its dependencies nor an entry in
PUBLIC_ROUTES; the matrix calls every ruled route with a key of each role (and with none) and checks
that the roles left out get 403 and the ones let in get past the rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from service.app import create_app
from service.deps import PUBLIC_ROUTES, ROLES
from service.runtime import Runtime
from tests.service.test_api_catalog import make_key


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
def app(sqlite_runtime: Runtime) -> FastAPI:
    return create_app(runtime=sqlite_runtime)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


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


def test_each_role_gets_exactly_the_routes_its_rule_allows(
    app: FastAPI, client: TestClient, sqlite_runtime: Runtime, tenant: str
) -> None:
    keys = {
        role: make_key(sqlite_runtime, tenant, role, employee="e-self" if role == "employee" else None)
        for role in ROLES
    }
    checked = 0
    for method, path, allowed in ruled_routes(app):
        url = concrete(path)
        anonymous = client.request(method, url)
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        for role, headers in keys.items():
            answer = client.request(method, url, headers=headers)
            if role in allowed:
                assert answer.status_code not in (401, 403), (method, path, role, answer.text)
            else:
                assert answer.status_code == 403, (method, path, role, answer.status_code)
                assert answer.headers["content-type"].startswith("application/problem+json")
            checked += 1
    assert checked >= 25 * len(ROLES)
