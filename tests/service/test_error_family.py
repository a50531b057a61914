"""One error family (issue #19): every error a caller can cause derives from recommender.errors.LeerpadError,
and the one handler in service.http.errors turns its code into the status and problem body."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ingest.normalise.modules import ModuleListError
from ingest.pipeline import IngestError, IngestReport, RetiredItem, RetireRefused
from ingest.records import SourceError
from ingest.reembed import ReembedError
from recommender.errors import LeerpadError
from recommender.index import IndexCorruptError
from service.http.errors import install_error_handlers
from service.http.request_log import RequestLog
from service.jobs.retraining import RollbackError
from service.paths.planning import PathInputError
from service.people.employees import EmployeeInputError
from service.reports.figures import FigureInputError
from service.reports.team_reports import ReportInputError
from service.skills.roles import RoleInputError
from service.skills.taxonomy import RoleFileError
from service.trust.personal_data import UnknownEmployee

ROOT = Path(__file__).resolve().parents[2]


def _client(error: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RequestLog)

    @app.get("/fails")
    def fails() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "error",
    [
        RoleInputError("skills[0].level: 7 is outside 0..5"),
        RoleFileError("roles.csv line 3: level 'x' is not a whole number from 0 to 5"),
        EmployeeInputError("role: no role 'pilot'"),
        PathInputError("skills: an empty list"),
        ReportInputError("team: no team 'moon'"),
        FigureInputError("figures.csv line 2: value: not a number"),
        RollbackError("no earlier model to roll back to"),
        ReembedError("unknown tenant 'nobody'"),
        ModuleListError("modules[1]: no title"),
        SourceError("catalog.csv", "no usable headers"),
        IngestError("the file has no title column"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_an_input_error_of_any_layer_is_a_422_problem_with_its_message(error: LeerpadError) -> None:
    response = _client(error).get("/fails")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == str(error)


def test_an_unknown_employee_is_a_404_naming_the_key() -> None:
    response = _client(UnknownEmployee("anna")).get("/fails")

    assert response.status_code == 404
    assert response.json()["detail"] == "no employee 'anna'"


def test_a_refused_retirement_is_a_409_naming_what_would_be_retired() -> None:
    report = IngestReport(kind="csv", source="lms", path="catalog.csv")
    report.retired = 12
    report.retired_items = [RetiredItem("c-1", "Excel basics")]

    response = _client(RetireRefused("source 'lms': this import would retire 12", report)).get("/fails")

    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "source 'lms': this import would retire 12"
    assert (body["source"], body["retired"]) == ("lms", 12)
    assert body["retired_items"] == [RetiredItem("c-1", "Excel basics").to_json()]


def test_a_corrupt_index_is_a_fault_answered_as_an_unexpected_error() -> None:
    response = _client(IndexCorruptError("snapshot 3: checksum mismatch")).get("/fails")

    assert response.status_code == 500
    assert "checksum" not in response.json()["detail"]


def _family(base: type[LeerpadError]) -> set[str]:
    return {base.__name__} | {name for sub in base.__subclasses__() for name in _family(sub)}


def _translations_in(path: Path, family: set[str]) -> list[str]:
    """`except <one of ours>: raise ...` blocks: a router translating an error the handler answers."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = {
                ast.unparse(n).rsplit(".", 1)[-1]
                for n in ast.walk(node.type)
                if isinstance(n, ast.Name | ast.Attribute)
            }
            if caught & family and any(isinstance(s, ast.Raise) for s in node.body):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} except {ast.unparse(node.type)}")
    return found


def test_no_router_translates_one_of_our_errors_into_an_http_error() -> None:
    routers = [p for p in (ROOT / "service").rglob("*.py") if p.name.endswith("router.py")]
    family = _family(LeerpadError)

    assert {"RoleInputError", "UnknownEmployee", "RetireRefused", "IndexCorruptError"} <= family
    assert [t for path in sorted(routers) for t in _translations_in(path, family)] == []
