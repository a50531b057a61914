"""With LEERPAD_REDIS_URL the rate limit is one budget per key for every process that shares the
Redis (service/http/shared_budgets.py), tested against the real Redis on 127.0.0.1:6379 (as in CI) and
against a redis-server of the test's own that it stops and starts again. Each test counts under a
key prefix of its own, so parallel runs never share budgets."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.app import create_app
from service.core.runtime import Runtime
from service.core.settings import Settings
from service.http import limits, shared_budgets
from tests.support.api_keys import make_key
from tests.support.clocks import ManualClock
from tests.support.network import free_port

REDIS_URL = os.environ.get("LEERPAD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"leerpad-test-{uuid.uuid4().hex}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"*{name}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def worker(runtime: Runtime, prefix: str, url: str = REDIS_URL) -> TestClient:
    """An app as one uvicorn worker runs it: a rate limit of 3 at once, then 1 a minute."""
    settings = runtime.settings.model_copy(
        update={
            "rate_limit_per_minute": 1,
            "rate_limit_burst": 3,
            "redis_url": url,
            "redis_key_prefix": prefix,
        }
    )
    return TestClient(create_app(settings=settings, runtime=runtime))


@pytest.mark.backends("sqlite")
def test_two_workers_sharing_redis_give_a_key_one_budget(runtime: Runtime, tenant: str, prefix: str) -> None:
    key, other = make_key(runtime, tenant), make_key(runtime, tenant, "ld")
    with worker(runtime, prefix) as first, worker(runtime, prefix) as second:
        answers = [w.get("/v1/roles", headers=key) for w in (first, second, first, second, first)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]  # not 3 in each worker
        assert 1 <= int(answers[3].headers["Retry-After"]) <= 180
        assert "at most 1 a minute" in answers[3].json()["detail"]
        # Another key has a budget of its own.
        assert second.get("/v1/roles", headers=other).status_code == 200
        # Guessing keys: the 401s of both workers count against the address together.
        guesses = [
            w.get("/v1/roles", headers={"Authorization": f"Bearer lp_guess{n}_x"}).status_code
            for n, w in enumerate((first, second, first, second))
        ]
        assert guesses == [401, 401, 401, 429]
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert list(client.scan_iter(match=f"*{prefix}*"))  # counted in Redis, under the prefix
    finally:
        client.close()
    # Another deployment (another prefix) on the same Redis counts apart.
    with worker(runtime, f"{prefix}-other") as elsewhere:
        assert elsewhere.get("/v1/roles", headers=key).status_code == 200


@contextmanager
def redis_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of this test's own (nothing on disk), stopped on the way out."""
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)  # polls a real other process or server, up to the deadline
        yield process
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.backends("sqlite")
def test_redis_down_at_request_time_falls_back_to_the_per_process_limit(
    runtime: Runtime,
    tenant: str,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fail over, neither open nor closed: the API keeps answering, each process limits on its own
    while Redis is away, and the shared budget is back once Redis answers again."""
    clock = ManualClock()  # the rate limit's clock: it moves only when the test moves it
    made_with = limits.budgets
    monkeypatch.setattr(
        limits, "budgets", lambda per_minute, burst, _, *where: made_with(per_minute, burst, clock, *where)
    )
    key = make_key(runtime, tenant)
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with worker(runtime, prefix, url) as app, caplog.at_level(logging.WARNING, logger="leerpad"):
        with redis_server(port):
            assert [app.get("/v1/roles", headers=key).status_code for _ in range(2)] == [200, 200]
        started = time.monotonic()
        away = [app.get("/v1/roles", headers=key).status_code for _ in range(4)]
        assert time.monotonic() - started < 5  # no request hangs on the dead server
        # Redis spent 2 of the 3; this process's own bucket is full and limits on its own.
        assert away == [200, 200, 200, 429]
        assert any("counting per process" in r.getMessage() for r in caplog.records)
        with redis_server(port):
            # Past the retry time Redis is asked again (a new one: its budget is full).
            clock.advance(shared_budgets.RETRY_SECONDS)
            back = [app.get("/v1/roles", headers=key).status_code for _ in range(4)]
        assert back == [200, 200, 200, 429]
        assert any("answers again" in r.getMessage() for r in caplog.records)


def test_the_redis_url_must_name_redis() -> None:
    assert Settings(redis_url=" redis://cache:6379/0 ").redis_url == "redis://cache:6379/0"
    assert Settings(redis_url="rediss://cache:6380/1").redis_url == "rediss://cache:6380/1"
    with pytest.raises(ValidationError, match="redis:// or rediss://"):
        Settings(redis_url="http://cache:6379")
