"""`leerpad serve` as a real process: migrates, loads the index, answers over TCP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from models import repositories as repo
from models.db import transaction
from recommender.embedding import Encoder
from service.core.runtime import Runtime
from service.core.settings import Settings
from tests.support.catalogs import ROWS, write_csv
from tests.support.network import free_port


@pytest.mark.slow
def test_serve_becomes_ready_and_answers_search(tmp_path: Path, encoder: Encoder) -> None:
    home = tmp_path / "home"
    runtime = Runtime(Settings(home=home), encoder=encoder)
    runtime.migrate()
    runtime.ingest("acme", "csv", write_csv(tmp_path / "c.csv", ROWS))
    with transaction(runtime.sessions) as session:
        _, key = repo.create_api_key(session, repo.get_or_create_tenant(session, "acme"), "lms")
    runtime.close()

    port = free_port()
    env = {**os.environ, "LEERPAD_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.pop("LEERPAD_DATABASE_URL", None)
    leerpad = Path(sys.executable).parent / "leerpad"
    process = subprocess.Popen(
        [str(leerpad), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        ready = None
        while time.monotonic() < deadline:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            time.sleep(0.5)
        assert ready is not None and ready.status_code == 200
        found = httpx.get(
            f"{base}/v1/search",
            params={"q": "SQL queries with WHERE"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert found.status_code == 200
        assert found.json()["results"][0]["external_id"] == "sql-1"
        assert httpx.get(f"{base}/openapi.json", timeout=5).json()["paths"].keys() >= {
            "/v1/search",
            "/v1/catalog/items",
        }
    finally:
        process.terminate()
        process.wait(timeout=30)
