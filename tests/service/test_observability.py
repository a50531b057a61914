"""Observability: JSON logs with request ids, Prometheus metrics, readiness of database and index.

One SQLite home for the module (its own, so that the index gauges count only its tenants); the
multiprocess mode, the logging configuration and `leerpad serve` run in real processes."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ingest.pipeline import IngestError
from models import repositories as repo
from models.db import make_engine
from models.tables import AuditEntry
from recommender.embedding import Encoder
from service.app import create_app
from service.core.runtime import Runtime
from service.http.request_log import JsonFormatter
from tests.support.api_keys import make_key
from tests.support.catalogs import ROWS, write_csv
from tests.support.jobs import run_job
from tests.support.metrics import sample
from tests.support.network import free_port
from tests.support.settings import make_settings

ROOT = Path(__file__).resolve().parents[2]
TENANT = "fietsjes-observed"
EMPLOYEE = "e-geheim-7"
HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home-observability")


@pytest.fixture(scope="module")
def obs_runtime(home: Path, encoder: Encoder) -> Iterator[Runtime]:
    active = Runtime(make_settings(home), encoder=encoder)
    active.migrate()
    active.ingest(TENANT, "csv", write_csv(home / "catalog.csv", ROWS))
    yield active
    active.close()


@pytest.fixture(scope="module")
def client(obs_runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=obs_runtime)) as test_client:
        yield test_client


@pytest.fixture
def logs() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Every log line of the process, as the JSON formatter writes it, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root, ours = logging.getLogger(), logging.getLogger("leerpad")
    level = ours.level
    root.addHandler(handler)
    ours.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        ours.setLevel(level)


def scrape(client: TestClient) -> str:
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return answer.text


def test_log_lines_are_json_and_carry_the_id_of_their_request(
    obs_runtime: Runtime, logs: Callable[[], list[dict[str, Any]]]
) -> None:
    app = create_app(runtime=obs_runtime)

    @app.get("/test/log")
    def write_a_line() -> dict[str, str]:  # a sync route: runs in a worker thread
        logging.getLogger("leerpad.test").info("inside the route", extra={"answer": 42})
        return {}

    @app.get("/test/boom")
    def fail() -> dict[str, str]:
        raise RuntimeError("something broke")

    with TestClient(app) as test_client:
        first = test_client.get("/test/log", headers={"X-Request-ID": "trace-1.a:b_c"})
        second = test_client.get("/test/log")
        boom = test_client.get("/test/boom", headers={"X-Request-ID": "boom-1"})
    assert first.headers["X-Request-ID"] == "trace-1.a:b_c"
    assert HEX_ID.fullmatch(second.headers["X-Request-ID"])
    lines = logs()
    for line in lines:
        assert datetime.fromisoformat(line["time"]).utcoffset().total_seconds() == 0
        assert {"level", "logger", "message"} <= line.keys()
    inside = [line for line in lines if line["message"] == "inside the route"]
    assert [(line["request_id"], line["answer"], line["level"]) for line in inside] == [
        ("trace-1.a:b_c", 42, "INFO"),
        (second.headers["X-Request-ID"], 42, "INFO"),
    ]
    access = [line for line in lines if line["logger"] == "leerpad.access"]
    assert [(a["request_id"], a["route"], a["status"]) for a in access] == [
        ("trace-1.a:b_c", "/test/log", 200),
        (second.headers["X-Request-ID"], "/test/log", 200),
        ("boom-1", "/test/boom", 500),
    ]
    assert all(isinstance(a["duration_ms"], float) and a["method"] == "GET" for a in access)
    # An uncaught exception: logged once with its request id and traceback, answered as problem+json.
    assert boom.status_code == 500 and boom.headers["X-Request-ID"] == "boom-1"
    assert boom.headers["content-type"].startswith("application/problem+json")
    assert "boom-1" in boom.json()["detail"] and "something broke" not in boom.text
    errors = [line for line in lines if line["level"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["request_id"] == "boom-1"
    assert "RuntimeError: something broke" in errors[0]["exception"]


def test_a_given_request_id_is_echoed_and_a_bad_one_replaced(client: TestClient) -> None:
    for good in ("abc", "0f8fad5b-d9cb-469f-a165-70867728950e", "lms:42.7_x", "x" * 128):
        assert client.get("/healthz", headers={"X-Request-ID": good}).headers["X-Request-ID"] == good
    for bad in ("", "two words", "x" * 129, "na\xefve".encode("latin-1"), "a/b", "<script>"):
        echoed = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert HEX_ID.fullmatch(echoed), bad
    made = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(made) == 3


def test_the_request_id_is_on_answers_of_the_size_and_rate_limits(obs_runtime: Runtime) -> None:
    settings = obs_runtime.settings.model_copy(
        update={"max_json_bytes": 200, "rate_limit_per_minute": 1, "rate_limit_burst": 2}
    )
    key = make_key(obs_runtime, TENANT, "lms")
    with TestClient(create_app(settings=settings, runtime=obs_runtime)) as test_client:
        big = test_client.post(
            "/v1/events",
            content=b"[" + b" " * 500 + b"]",
            headers={**key, "Content-Type": "application/json", "X-Request-ID": "too-big"},
        )
        assert big.status_code == 413 and big.headers["X-Request-ID"] == "too-big"
        answers = [
            test_client.get("/v1/catalog/items", headers={**key, "X-Request-ID": f"r-{n}"}) for n in range(3)
        ]
        assert answers[-1].status_code == 429
        assert [a.headers["X-Request-ID"] for a in answers] == ["r-0", "r-1", "r-2"]
        # The scraper and the probes are never rate limited.
        assert {test_client.get("/metrics").status_code for _ in range(5)} == {200}
        text = test_client.get("/metrics").text
    assert sample(text, "leerpad_http_requests_total", route="/v1/catalog/items", status="429") >= 1
    assert sample(text, "leerpad_http_requests_total", route="/v1/events", status="413") >= 1


def test_no_key_and_no_employee_id_in_the_logs(
    client: TestClient, obs_runtime: Runtime, logs: Callable[[], list[dict[str, Any]]]
) -> None:
    admin, lms = make_key(obs_runtime, TENANT, "admin"), make_key(obs_runtime, TENANT, "lms")
    role = {"name": "Analist", "skills": [{"skill": "SQL", "level": 4, "importance": "essential"}]}
    assert client.put("/v1/roles/analist", json=role, headers=admin).status_code == 200
    assert client.put(f"/v1/employees/{EMPLOYEE}", json={"role": "analist"}, headers=lms).status_code == 200
    assert client.get(f"/v1/employees/{EMPLOYEE}/gaps", headers=lms).status_code == 200
    path = client.post(
        f"/v1/employees/{EMPLOYEE}/path", json={"minutes_per_week": 60, "weeks": 2}, headers=lms
    )
    assert path.status_code == 200, path.text
    assert client.get("/v1/employees/e-onbekend-9/gaps", headers=lms).status_code == 404
    assert client.get("/v2/employees/e-typo-3/gaps", headers=lms).status_code == 404  # no route
    assert (
        client.get(f"/v1/employees/{EMPLOYEE}/gaps", headers={"Authorization": "Bearer lp_no_pe"}).status_code
        == 401
    )
    lines = logs()
    text = "\n".join(json.dumps(line) for line in lines)
    secrets = [admin["Authorization"].split()[1], lms["Authorization"].split()[1], "lp_no_pe"]
    for secret in [*secrets, EMPLOYEE, "e-onbekend-9", "e-typo-3", "minutes_per_week"]:
        assert secret not in text, secret
    access = [line for line in lines if line["logger"] == "leerpad.access"]
    about_employees = [a for a in access if "/employees/" in a["route"]]
    assert len(about_employees) == 5
    assert {a["route"] for a in about_employees} == {
        "/v1/employees/{employee_id}",
        "/v1/employees/{employee_id}/gaps",
        "/v1/employees/{employee_id}/path",
    }
    assert all(re.fullmatch(r"/v1/employees/~[0-9a-f]{12}(/gaps|/path)?", a["path"]) for a in about_employees)
    assert about_employees[1]["key_id"] and about_employees[1]["role"] == "lms"
    assert [a["path"] for a in access if a["route"] == "unmatched"] == ["unmatched"]


def test_metrics_label_requests_by_route_template(client: TestClient, obs_runtime: Runtime) -> None:
    lms = make_key(obs_runtime, TENANT, "lms")
    route = "/v1/employees/{employee_id}/gaps"
    before = sample(scrape(client), "leerpad_http_request_duration_seconds_count", route=route, status="4xx")
    assert client.get("/v1/employees/e-4711/gaps", headers=lms).status_code == 404
    answer = client.get("/v1/catalog/items", headers={**lms, "X-Request-ID": "audited-1"})
    assert answer.status_code == 200
    client.get("/no/such/thing/e-4711")
    text = scrape(client)
    labels = {"method": "GET", "route": route, "status": "4xx"}
    assert sample(text, "leerpad_http_request_duration_seconds_count", **labels) == before + 1
    assert sample(text, "leerpad_http_request_duration_seconds_bucket", **labels, le="+Inf") >= 1
    assert sample(text, "leerpad_http_requests_total", route="/v1/catalog/items", status="200") >= 1
    assert sample(text, "leerpad_http_requests_total", route="unmatched", status="404") >= 1
    assert "e-4711" not in text and TENANT not in text  # no raw path, and no tenant, in any label
    # The audit entry of a request keeps its request id; /metrics itself is not audited.
    with obs_runtime.sessions() as session:
        entry = session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
        assert entry is not None and entry.request_id == "audited-1" and entry.route == "/v1/catalog/items"


def test_ingest_counters_move(client: TestClient, obs_runtime: Runtime, home: Path) -> None:
    def value(name: str, **labels: str) -> float:
        return sample(scrape(client), name, **labels)

    runs = {
        o: value("leerpad_ingest_runs_total", kind="csv", outcome=o) for o in ("ok", "dry_run", "refused")
    }
    created = value("leerpad_ingest_items_total", kind="csv", change="created")
    unchanged = value("leerpad_ingest_items_total", kind="csv", change="unchanged")
    catalog = write_csv(home / "second.csv", ROWS)
    obs_runtime.ingest(TENANT + "-2", "csv", catalog, dry_run=True)
    report = obs_runtime.ingest(TENANT + "-2", "csv", catalog)
    obs_runtime.ingest(TENANT + "-2", "csv", catalog)
    broken = home / "broken.csv"
    broken.write_text("naam,omschrijving\nx,y\n", encoding="utf-8")
    with pytest.raises(IngestError):
        obs_runtime.ingest(TENANT + "-2", "csv", broken)
    assert value("leerpad_ingest_runs_total", kind="csv", outcome="ok") == runs["ok"] + 2
    assert value("leerpad_ingest_runs_total", kind="csv", outcome="dry_run") == runs["dry_run"] + 1
    assert value("leerpad_ingest_runs_total", kind="csv", outcome="refused") == runs["refused"] + 1
    assert value("leerpad_ingest_items_total", kind="csv", change="created") == created + report.created
    assert value("leerpad_ingest_items_total", kind="csv", change="unchanged") == unchanged + len(ROWS)
    assert value("leerpad_ingest_embedded_texts_total", kind="csv") >= report.embedded > 0


def test_jobs_counter_moves(client: TestClient, obs_runtime: Runtime) -> None:
    ld = make_key(obs_runtime, TENANT, "ld")
    labels = {"kind": "retag", "outcome": "succeeded"}
    before = sample(scrape(client), "leerpad_jobs_total", **labels)
    job = client.post("/v1/catalog/retag", headers=ld)
    assert job.status_code == 202
    run_job(obs_runtime, job.json()["job_id"])
    text = scrape(client)
    assert sample(text, "leerpad_jobs_total", **labels) == before + 1
    assert sample(text, "leerpad_job_duration_seconds_count", kind="retag") >= 1


def test_index_gauges_equal_the_snapshots_and_ready_is_1(client: TestClient, obs_runtime: Runtime) -> None:
    with obs_runtime.sessions() as session:
        tenants = [t.slug for t in repo.list_tenants(session)]
    snapshots = [s for s in (obs_runtime.snapshot(t) for t in tenants) if s is not None]
    assert snapshots
    text = scrape(client)
    assert sample(text, "leerpad_index_tenants") == len(snapshots)
    assert sample(text, "leerpad_index_vectors") == sum(s.count for s in snapshots) > 0
    assert sample(text, "leerpad_index_version") == max(s.manifest.version for s in snapshots)
    assert sample(text, "leerpad_index_published_timestamp_seconds") == pytest.approx(
        max(datetime.fromisoformat(s.manifest.created_at).timestamp() for s in snapshots)
    )
    assert client.get("/readyz").status_code == 200
    assert sample(text, "leerpad_ready") == 1


def test_readiness_is_503_naming_the_database_when_it_cannot_be_reached(
    client: TestClient, obs_runtime: Runtime
) -> None:
    assert client.get("/readyz").status_code == 200
    working = obs_runtime.engine
    obs_runtime.engine = make_engine(f"postgresql+psycopg://leerpad@127.0.0.1:{free_port()}/leerpad")
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["status"] == "not ready"
        assert "database" in answer.json()["problems"][0]
        assert sample(scrape(client), "leerpad_ready") == 0  # /metrics still answers, from the disk
        assert sample(scrape(client), "leerpad_index_vectors") > 0
    finally:
        obs_runtime.engine.dispose()
        obs_runtime.engine = working
    assert client.get("/readyz").status_code == 200
    assert sample(scrape(client), "leerpad_ready") == 1


def python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


def test_multiprocess_mode_adds_up_the_counts_of_every_process(tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    record = (
        "from service.core.metrics import record_job\n"
        "from service.http.metrics import prepare_multiprocess_dir, record_request\n"
        "prepare_multiprocess_dir()\n"
        "record_request('GET', '/v1/search', 200, 0.02)\n"
        "record_job('ingest', 'succeeded', 3.0)\n"
    )
    for _ in range(2):
        python(record, env)
    assert len(list(folder.glob("*.db"))) >= 2  # files of two processes
    text = python("from service.http.metrics import exposition; print(exposition().decode())", env).stdout
    assert sample(text, "leerpad_http_requests_total", route="/v1/search", status="200") == 2
    assert sample(text, "leerpad_http_request_duration_seconds_count", route="/v1/search", status="2xx") == 2
    assert sample(text, "leerpad_jobs_total", kind="ingest", outcome="succeeded") == 2
    # `leerpad serve` clears what processes that are gone left behind.
    python(
        "from service.http.metrics import prepare_multiprocess_dir; prepare_multiprocess_dir(clear_dead=True)",
        env,
    )
    assert list(folder.glob("*.db")) == []


def test_logging_config_writes_json_or_text_for_ours_and_uvicorns(tmp_path: Path) -> None:
    code = (
        "import logging\n"
        "from service.http.request_log import configure_logging\n"
        "configure_logging({fmt!r}, 'info')\n"
        "logging.getLogger('leerpad.jobs').info('job %s done', 7, extra={{'job_id': 7}})\n"
        "logging.getLogger('uvicorn.error').info('Application startup complete.')\n"
        "logging.getLogger('some.library').info('chatter')\n"
        "logging.getLogger('leerpad').debug('hidden at info')\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    logging.getLogger('leerpad').exception('failed')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    lines = [json.loads(line) for line in python(code.format(fmt="json"), env).stderr.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("leerpad.jobs", "job 7 done"),
        ("uvicorn.error", "Application startup complete."),
        ("leerpad", "failed"),
    ]
    assert lines[0]["job_id"] == 7 and "request_id" not in lines[0]
    assert "ZeroDivisionError" in lines[2]["exception"]
    text = python(code.format(fmt="text"), env).stderr
    assert "INFO leerpad.jobs: job 7 done job_id=7" in text and "ZeroDivisionError" in text
    assert "chatter" not in text and "hidden" not in text


@pytest.mark.slow
def test_serve_logs_json_once_per_request_and_counts_across_processes(tmp_path: Path) -> None:
    """`leerpad serve` with PROMETHEUS_MULTIPROC_DIR: uvicorn's lines are JSON too, one access line
    per request (Leerpad's, uvicorn's own access log is off), /metrics reads the shared folder."""
    folder = tmp_path / "prometheus"
    port = free_port()
    env = {
        **os.environ,
        "LEERPAD_HOME": str(tmp_path / "home"),
        "HF_HUB_OFFLINE": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        "LEERPAD_LOG_LEVEL": "info",
    }
    env.pop("LEERPAD_DATABASE_URL", None)
    env.pop("LEERPAD_LOG_FORMAT", None)
    leerpad = Path(sys.executable).parent / "leerpad"
    process = subprocess.Popen(
        [str(leerpad), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.3)  # polls a real other process or server, up to the deadline
        refused = httpx.get(f"{base}/v1/catalog/items", headers={"X-Request-ID": "serve-1"}, timeout=5)
        assert refused.status_code == 401 and refused.headers["X-Request-ID"] == "serve-1"
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
        assert sample(metrics, "leerpad_http_requests_total", route="/v1/catalog/items", status="401") == 1
        assert list(folder.glob("*.db"))
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert any(line["logger"] == "uvicorn.error" and "startup complete" in line["message"] for line in lines)
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
    served = [line for line in lines if line.get("request_id") == "serve-1"]
    assert [(line["logger"], line["route"], line["status"]) for line in served] == [
        ("leerpad.access", "/v1/catalog/items", 401)
    ]
