"""Two uvicorn workers serve path and search requests from several clients while another process
publishes new index snapshots: no request fails, and afterwards every worker answers from the newest
snapshot (issue 8). Real processes: `leerpad serve --workers 2`, and a publisher that does what
`leerpad index rebuild` does three times, on PostgreSQL as in production. (bench/load.py does the
same at 100,000 units, with `leerpad index rebuild` and `leerpad ingest`, and with `leerpad retrain`.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from ingest.taxonomy import read_default_taxonomy
from models import repositories as repo
from models.db import transaction
from recommender.embedding import Encoder
from recommender.index import INDEX_FILE
from service.core.runtime import Runtime
from service.people.employees import AssessmentInput, add_assessments, upsert_employee
from service.skills.roles import RoleSkillInput, upsert_role
from service.skills.taxonomy import import_taxonomy
from tests.support.catalogs import HEADER, PATH_CATALOG, write_csv
from tests.support.network import free_port
from tests.support.settings import make_settings
from tests.support.waiting import wait_until

LEERPAD = Path(sys.executable).parent / "leerpad"
TENANT = "swap"
CLIENTS = 3
SWAPS = 3
PAUSE_S = 0.05  # between a client's requests: the publisher needs some CPU too (2 cores)
# Another process that publishes SWAPS snapshots of the catalog in the database, a second apart, as
# `leerpad index rebuild` does (one process, so that it pays for its imports once).
PUBLISHER = """
import sys, time
from service.core.runtime import Runtime
from service.core.settings import Settings
runtime = Runtime(Settings())
for _ in range(int(sys.argv[2])):
    print(runtime.rebuild_index(sys.argv[1]), flush=True)
    time.sleep(1.0)
runtime.close()
"""


def worker_pids(server: subprocess.Popen[bytes]) -> list[int]:
    """uvicorn's worker processes: the server's children started by multiprocessing's spawn."""
    found = []
    for task in Path(f"/proc/{server.pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            try:
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
            except OSError:
                continue
    return sorted(found)


def mapped_snapshots(pid: int) -> set[str]:
    """The snapshot versions whose FAISS file the process maps (recommender/index.py maps it), a
    file deleted since (a pruned snapshot) included."""
    found = set()
    with open(f"/proc/{pid}/maps") as handle:
        for line in handle:
            parts = line.split(maxsplit=5)
            if len(parts) == 6:
                path = parts[5].strip().removesuffix(" (deleted)")
                if path.endswith(INDEX_FILE):
                    found.add(Path(path).parent.name)
    return found


def make_company(runtime: Runtime, tmp_path: Path) -> str:
    """A small catalog, one role, one employee with a gap; returns an lms key."""
    import_taxonomy(runtime, TENANT, read_default_taxonomy(), origin="default")
    runtime.ingest(TENANT, "csv", write_csv(tmp_path / "c.csv", PATH_CATALOG, header=HEADER))
    with transaction(runtime.sessions) as session:
        tenant = repo.get_or_create_tenant(session, TENANT)
        upsert_role(
            session,
            tenant.id,
            "analyst",
            "Data-analist",
            [RoleSkillInput(skill="SQL", level=4, importance=1.0)],
            runtime.encoder,
            runtime.settings.model,
        )
        employee = upsert_employee(
            session,
            tenant.id,
            "e-1",
            role="analyst",
            target_role=None,
            team=None,
            language="nl",
            preferences={},
        )
        add_assessments(
            session,
            tenant.id,
            employee,
            [AssessmentInput(skill="SQL", level=1, source="test")],
            self_only=False,
        )
        _, key = repo.create_api_key(session, tenant, "lms")
    return key


@pytest.mark.slow
@pytest.mark.backends("postgresql")
def test_two_workers_answer_through_snapshot_swaps(
    tmp_path: Path, database_url: str, encoder: Encoder
) -> None:
    home = tmp_path / "home"
    runtime = Runtime(make_settings(home, database_url), encoder=encoder)
    runtime.migrate()
    key = make_company(runtime, tmp_path)
    store = runtime.store(TENANT)
    first = store.current_version()
    runtime.close()

    env = {
        **os.environ,
        "LEERPAD_HOME": str(home),
        "LEERPAD_DATABASE_URL": database_url,
        "LEERPAD_RUN_JOBS_IN_API": "false",
        "LEERPAD_RATE_LIMIT_PER_MINUTE": "0",
        "HF_HUB_OFFLINE": "1",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"}
    # The server's log goes to a file: a pipe nobody reads fills up, and a worker writing its access
    # line into a full pipe blocks its event loop (every request then waits).
    log = tmp_path / "serve.log"
    server = subprocess.Popen(
        [str(LEERPAD), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    answers: list[tuple[str, int, int | None, float, float]] = []  # (kind, status, version, sent, done)
    errors: list[str] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            while not stop.is_set():
                for kind in ("path", "search"):
                    sent = time.monotonic()
                    try:
                        if kind == "path":
                            response = http.post("/v1/employees/e-1/path", json={"minutes_per_week": 30})
                            version = None
                        else:
                            response = http.get("/v1/search", params={"q": "SQL joins", "limit": 3})
                            version = response.json().get("index_version") if response.is_success else None
                    except httpx.HTTPError as exc:
                        errors.append(f"{kind}: {type(exc).__name__}: {exc}")
                        continue
                    if not response.is_success:
                        errors.append(f"{kind}: {response.status_code} {response.text[:300]}")
                    answers.append((kind, response.status_code, version, sent, time.monotonic()))
                    time.sleep(PAUSE_S)

    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the server never became ready"
            try:
                if (
                    httpx.get(f"{base}/readyz", timeout=5).status_code == 200
                    and len(worker_pids(server)) == 2
                ):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)  # polls a real other process or server, up to the deadline
        clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in clients:
            thread.start()
        done = subprocess.run(
            [sys.executable, "-c", PUBLISHER, TENANT, str(SWAPS)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        swapped_at = time.monotonic()  # the last snapshot was published a second before
        assert done.returncode == 0, done.stderr
        published = [int(line) for line in done.stdout.split()]

        def answered_after_the_last_swap() -> int:
            return sum(1 for kind, _, _, sent, _ in answers if kind == "search" and sent > swapped_at)

        wait_until(lambda: answered_after_the_last_swap() >= CLIENTS, "searches sent after the last swap")
        stop.set()
        for thread in clients:
            thread.join(timeout=70)

        assert first is not None and published == [first + n for n in range(1, SWAPS + 1)]
        assert store.current_version() == published[-1]
        newest = published[-1]
        assert errors == [], log.read_text(errors="replace")[-3000:]
        assert {kind for kind, *_ in answers} == {"path", "search"}
        seen = {version for kind, _, version, _, _ in answers if kind == "search"}
        assert len(seen) >= 2, f"the swaps happened under load: answers came from {seen}"
        late = [version for kind, _, version, sent, _ in answers if kind == "search" and sent > swapped_at]
        assert late and set(late) == {newest}

        # Every worker, once it answers again, answers from the newest snapshot and maps only its file.
        pids = worker_pids(server)
        assert len(pids) == 2
        deadline = time.monotonic() + 30
        while True:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as fresh:  # a new connection
                response = fresh.get("/v1/search", params={"q": "SQL", "limit": 3})
            assert response.status_code == 200 and response.json()["index_version"] == newest
            if all(mapped_snapshots(pid) == {str(newest)} for pid in pids):
                break
            assert time.monotonic() < deadline, {pid: mapped_snapshots(pid) for pid in pids}
    finally:
        stop.set()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
