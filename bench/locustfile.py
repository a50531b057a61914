"""The simulated users of bench/load.py (locust, headless): run by it, not by hand.

Each user sends, with no pause between requests, a mix of
  4 x `POST /v1/employees/{id}/path` for a random one of the synthetic employees,
  4 x `GET /v1/search?q=...` with a random question built from skill labels,
  1 x `GET /healthz` (the empty route: the limit, measured under the same load).
Any answer other than 2xx, and any connection error or timeout, is a failure.

Every request is also written as one JSON line to $LEERPAD_LOAD_RECORD (start time, name, seconds,
ok, status, and the index version of a search answer or the model version of a path), from which
bench/load.py computes exact percentiles per phase and sees which snapshot answered when.
$LEERPAD_LOAD_CONFIG names a JSON file with the API key, the number of employees and the questions.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, constant, task

CONFIG = json.loads(Path(os.environ["LEERPAD_LOAD_CONFIG"]).read_text())
RECORD = open(os.environ["LEERPAD_LOAD_RECORD"], "a", buffering=1)  # noqa: SIM115 (one line per request, kept open)
PATH_BODY = {"minutes_per_week": 60, "weeks": 6}
PATH_NAME = "POST /v1/employees/{id}/path"
SEARCH_NAME = "GET /v1/search"
EMPTY_NAME = "GET /healthz"


def record(name: str, started: float, seconds: float, status: int, ok: bool, version: Any) -> None:
    RECORD.write(
        json.dumps({"t": started, "name": name, "s": seconds, "status": status, "ok": ok, "v": version})
        + "\n"
    )


class Learner(FastHttpUser):
    wait_time = constant(0)
    network_timeout = 120.0
    connection_timeout = 30.0

    def on_start(self) -> None:
        self.pick = random.Random()
        self.headers = {"Authorization": f"Bearer {CONFIG['key']}"}

    def _send(self, name: str, method: str, url: str, version_field: str | None, **kwargs: Any) -> None:
        started = time.time()
        begin = time.perf_counter()
        with self.client.request(method, url, name=name, catch_response=True, **kwargs) as response:
            seconds = time.perf_counter() - begin
            status = int(response.status_code or 0)
            ok = 200 <= status < 300
            version = None
            if ok and version_field:
                try:
                    version = response.json().get(version_field)
                except ValueError:
                    ok = False
            if ok:
                response.success()
            else:
                response.failure(f"status {status}: {str(response.text or response.error)[:200]}")
            record(name, started, seconds, status, ok, version)

    @task(4)
    def path(self) -> None:
        employee = f"e-{self.pick.randrange(CONFIG['employees'])}"
        self._send(
            PATH_NAME,
            "POST",
            f"/v1/employees/{employee}/path",
            "model_version",
            json=PATH_BODY,
            headers=self.headers,
        )

    @task(4)
    def search(self) -> None:
        question = self.pick.choice(CONFIG["queries"])
        self._send(
            SEARCH_NAME,
            "GET",
            "/v1/search?" + urlencode({"q": question, "limit": 10}),
            "index_version",
            headers=self.headers,
        )

    @task(1)
    def healthz(self) -> None:
        self._send(EMPTY_NAME, "GET", "/healthz", None)
