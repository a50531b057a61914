"""Fixtures of the API tests: a test client on the session's runtime, and a company to ask paths of."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.taxonomy import read_default_taxonomy
from service.app import create_app
from service.core.runtime import Runtime
from service.skills.taxonomy import import_taxonomy
from tests.support.api_keys import make_key
from tests.support.catalogs import HEADER, PATH_CATALOG, write_csv


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=runtime)) as test_client:
        yield test_client


@pytest.fixture
def company(runtime: Runtime, tenant: str, tmp_path: Path, client: TestClient) -> str:
    """A tenant with the bundled taxonomy, PATH_CATALOG, a role (analyst: SQL 4, feedback geven 3,
    Figma 3) and employee e-1 in it, assessed at SQL 1."""
    import_taxonomy(runtime, tenant, read_default_taxonomy(), origin="default")
    runtime.ingest(tenant, "csv", write_csv(tmp_path / "c.csv", PATH_CATALOG, header=HEADER))
    ld = make_key(runtime, tenant, "ld")
    role = {
        "name": "Data-analist",
        "skills": [
            {"skill": "SQL", "level": 4, "importance": "essential"},
            {"skill": "feedback geven", "level": 3, "importance": "optional"},
            {"skill": "Figma", "level": 3, "importance": "optional"},
        ],
    }
    assert client.put("/v1/roles/analyst", json=role, headers=ld).status_code == 200
    lms = make_key(runtime, tenant, "lms")
    assert (
        client.put("/v1/employees/e-1", json={"role": "analyst", "language": "nl"}, headers=lms).status_code
        == 200
    )
    client.post(
        "/v1/employees/e-1/assessments", json=[{"skill": "SQL", "level": 1, "source": "test"}], headers=lms
    )
    return tenant
