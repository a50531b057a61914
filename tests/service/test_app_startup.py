"""A served app hands what it loaded at start to gc.freeze(); an app made in a test does not."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.core.runtime import Runtime


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


@pytest.mark.backends("sqlite")
def test_a_served_app_freezes_what_it_loaded_at_start(unfrozen: None, runtime: Runtime) -> None:
    with TestClient(create_app(runtime=runtime)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
    with TestClient(create_app(runtime=runtime, freeze_loaded_objects=True)) as client:
        assert client.get("/healthz").status_code == 200
        # the model, the libraries and the app itself are no longer walked by full collections
        assert gc.get_freeze_count() > 100_000
