"""Load test: path and search requests on PostgreSQL against two uvicorn workers, steady, during index
swaps and during a retraining run; against an empty route under the same load and bare FAISS search.

    .venv/bin/python bench/load.py                 # 100,000 units, 5,000 employees (under 15 min)
    .venv/bin/python bench/load.py --keep          # ... and keep the database and LEERPAD_HOME
    .venv/bin/python bench/load.py --reuse         # run the phases on the kept ones (no set-up)
    .venv/bin/python bench/load.py --quick         # 5,000 units, 500 employees, 20 s phases

Set-up (bench/_synthetic.py, written in bulk, nothing encoded but the taxonomy's labels): a new
PostgreSQL database on 127.0.0.1:5432 (dropped at the end unless --keep), the default taxonomy, a
catalog of --units micro-units, 8 roles of 8 skills, --employees employees with 2 to 4 assessments
each, a history of weekly paths and learning events 6 to 10 weeks old for 2,000 of them (what
`leerpad retrain` learns from), and the published snapshot (HNSW from 50,000 units).

Served by `leerpad serve --workers 2` on 127.0.0.1 with LEERPAD_RUN_JOBS_IN_API=false and a rate
limit no client reaches. The load is locust, headless (bench/locustfile.py): --users users with no
pause, 4 path : 4 search : 1 `GET /healthz`. Phases, each bounded in time:
  (a) steady: --phase-seconds of load;
  (b) swaps: load while another process publishes a new snapshot --swaps times, one after the
      other: an ingest of 25 changed items (`leerpad ingest csv`, which re-embeds them and publishes
      the whole index) and `leerpad index rebuild`, alternately; the load goes on 15 s after the
      last swap; at most 8 minutes, less when the 15-minute budget of the run needs it;
  (c) retraining: load while `leerpad retrain` runs in another process, again and again, for
      --phase-seconds (at least one whole run).
A failed request is any answer other than 2xx, a connection error or a timeout (120 s): phases (b)
and (c) must have none. Search answers carry the snapshot version that served them, path answers
the ranking model's version: the report shows when each version answered.

`GET /readyz` is polled once a second beside the load (as a load balancer would) and its answers
counted; it is not part of the mix.

Limits, measured in the same run: `GET /healthz` in the same mix (the empty route: what the server,
the middleware and the 2 cores give any request under this load), and, before the server starts,
the bare FAISS search of one role's 8 skill vectors (k=40, what a path request searches) and of one
query, and the raw encoder on one question (what a search request encodes). Printed: p50, p95,
p99, requests/s and failures per endpoint and phase, and the ratios p50 / p50 of the empty route,
path p50 / bare FAISS (8 queries), search p50 / (encoder + FAISS, 1 query).
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from bench._synthetic import (  # noqa: E402
    LEERPAD,
    Server,
    add_company,
    add_feedback_history,
    deadline_watchdog,
    insert_catalog,
    load_skills,
    mapped_paths,
    memory_of,
    percentile,
    publish,
    role_matrix,
    time_calls,
)
from ingest.taxonomy import read_default_taxonomy  # noqa: E402
from models import repositories as repo  # noqa: E402
from recommender.embedding import Encoder  # noqa: E402
from recommender.index import INDEX_FILE, SnapshotStore  # noqa: E402
from service.core.runtime import Runtime  # noqa: E402
from service.core.settings import Settings  # noqa: E402
from service.skills.taxonomy import import_taxonomy  # noqa: E402
from tests.support.databases import PG_ADMIN_URL  # noqa: E402

SEED = 20261208
TENANT = "bench"
ROLES, ROLE_SKILLS = 8, 8
HISTORY_EMPLOYEES, HISTORY_WEEKS, HISTORY_PER_PATH = 2000, 4, 6
CHANGED_ITEMS = 25
SEARCH_K = 40
GLOBAL_DEADLINE_S = 15 * 60
SWAP_PHASE_CAP_S = 8 * 60
AFTER_LAST_SWAP_S = 15
KEPT_DATABASE = "leerpad_bench_load"
KEPT_HOME = ROOT / "var" / "bench-load"
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
LOCUST = Path(sys.executable).parent / "locust"
ENDPOINTS = ("POST /v1/employees/{id}/path", "GET /v1/search", "GET /healthz")
SHORT = {ENDPOINTS[0]: "path", ENDPOINTS[1]: "search", ENDPOINTS[2]: "healthz (empty route)"}
QUESTION_FORMS = ("how do I {}", "{} for beginners", "hoe leer ik {}", "{} in vijf minuten", "{}")

children: list[subprocess.Popen[bytes]] = []
servers: list[Server] = []


def stop_children() -> None:
    for process in children:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for server in servers:
        server.stop()


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: this machine has 2 cores and may be shared."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def admin_url() -> str:
    return PG_ADMIN_URL


def database_url(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def create_database(name: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(name: str) -> bool:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


@dataclass
class Setup:
    home: Path
    url: str
    config: Path


def build(encoder: Encoder, home: Path, url: str, units: int, employees: int) -> Path:
    """Write the synthetic company into the (empty) database and publish its snapshot; returns the
    locust config file (API key, employees, questions)."""
    settings = Settings(home=home, database_url=url, run_jobs_in_api=False)
    runtime = Runtime(settings, encoder=encoder)
    runtime.migrate()
    begin = time.perf_counter()
    import_taxonomy(runtime, TENANT, read_default_taxonomy(), origin="default")
    with runtime.sessions() as session:
        tenant_id = repo.get_or_create_tenant(session, TENANT).id
    skills = load_skills(runtime, tenant_id)
    print(f"taxonomy: {len(skills)} skills in {time.perf_counter() - begin:.1f}s", flush=True)

    begin = time.perf_counter()
    items, written, tags = insert_catalog(runtime, tenant_id, skills, units, encoder.dimension, SEED)
    print(
        f"catalog: {items:,} items, {written:,} units, {tags:,} item tags in {time.perf_counter() - begin:.1f}s",
        flush=True,
    )
    begin = time.perf_counter()
    key = add_company(
        runtime, TENANT, skills, roles=ROLES, role_skills=ROLE_SKILLS, employees=employees, seed=SEED
    )
    shown, events = add_feedback_history(
        runtime,
        TENANT,
        employees=min(HISTORY_EMPLOYEES, employees),
        weeks=HISTORY_WEEKS,
        per_path=HISTORY_PER_PATH,
        seed=SEED,
    )
    print(
        f"company: {ROLES} roles, {employees:,} employees; history: {shown:,} impressions, "
        f"{events:,} events in {time.perf_counter() - begin:.1f}s",
        flush=True,
    )
    begin = time.perf_counter()
    version = publish(runtime, TENANT)
    snapshot = runtime.snapshot(TENANT)
    assert snapshot is not None
    print(
        f"snapshot {version} ({snapshot.manifest.index_type}, {snapshot.count:,} vectors) published in "
        f"{time.perf_counter() - begin:.1f}s",
        flush=True,
    )
    runtime.close()
    labels = sorted({s.label for s in skills})
    queries = [form.format(label) for label in labels for form in QUESTION_FORMS]
    config = home / "bench-load.json"
    config.write_text(json.dumps({"key": key, "employees": employees, "queries": queries}))
    return config


# --- the phases --------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    records: list[dict[str, Any]]
    wall: float
    events: list[str] = field(default_factory=list)
    memory: list[dict[str, float]] = field(default_factory=list)


def run_locust(
    base: str,
    config: Path,
    record: Path,
    users: int,
    cap_s: float,
    log: Path,
    side_work: Callable[[threading.Event, threading.Event], None] | None = None,
) -> float:
    """Locust for at most cap_s seconds; `side_work(stop, cancel)` runs in a thread beside it and may
    end the load early by setting `stop`; when the load ends at its cap first, `cancel` tells it to
    give up (and stop the process it runs). Returns the wall time of the load."""
    env = {**os.environ, "LEERPAD_LOAD_CONFIG": str(config), "LEERPAD_LOAD_RECORD": str(record)}
    command = [
        str(LOCUST),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{int(cap_s)}s",
        "--host",
        base,
        "--only-summary",
        "--stop-timeout",
        "130",
        "--loglevel",
        "WARNING",
    ]
    with open(log, "ab") as output:
        begin = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
        children.append(process)
        stop, cancel = threading.Event(), threading.Event()
        worker = None
        if side_work is not None:
            worker = threading.Thread(target=side_work, args=(stop, cancel), daemon=True)
            worker.start()
        while process.poll() is None:
            if stop.is_set():
                process.send_signal(signal.SIGTERM)  # locust stops its users and exits
                break
            time.sleep(0.2)
        process.wait(timeout=cap_s + 200)
        wall = time.perf_counter() - begin
        cancel.set()
        if worker is not None:
            worker.join(timeout=120)
    return wall


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def cli(env: dict[str, str], cancel: threading.Event, *args: str) -> tuple[int, str, float]:
    """`leerpad ARGS` in another process; stopped (SIGTERM) when `cancel` is set meanwhile."""
    begin = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [str(LEERPAD), *args], env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT
        )
        children.append(process)
        while process.poll() is None:
            if cancel.wait(0.5):
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
        output.seek(0)
        text = output.read().decode(errors="replace").strip()
    return process.returncode, text, time.perf_counter() - begin


def write_changed_items(path: Path, round_number: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "title", "description", "url", "language", "minutes", "skills"])
        for number in range(CHANGED_ITEMS):
            writer.writerow(
                [
                    f"changed-{number}",
                    f"Werkvoorbeeld {number}, versie {round_number}",
                    f"Een korte oefening in gegevens analyseren, ronde {round_number}, stap {number}: "
                    "lees de tabel, kies een grafiek en leg de uitkomst uit aan je team.",
                    f"https://lms.example/changed/{number}",
                    "nl",
                    str(5 + number % 10),
                    "data-analyse",
                ]
            )


def swap_work(
    env: dict[str, str], store: SnapshotStore, workdir: Path, swaps: int, events: list[str]
) -> Callable[[threading.Event, threading.Event], None]:
    def work(stop: threading.Event, cancel: threading.Event) -> None:
        started = time.monotonic()
        cancel.wait(10)
        for number in range(1, swaps + 1):
            if cancel.is_set():
                events.append(f"swap {number}: not started, the phase reached its time cap")
                return
            before = store.current_version()
            if number % 2:
                changed = workdir / "changed.csv"
                write_changed_items(changed, number)
                code, output, seconds = cli(
                    env, cancel, "ingest", "csv", str(changed), "--tenant", TENANT, "--json"
                )
                what = "ingest of 25 changed items"
            else:
                code, output, seconds = cli(env, cancel, "index", "rebuild", "--tenant", TENANT)
                what = "index rebuild"
            after = store.current_version()
            events.append(
                f"t={time.monotonic() - started:5.0f}s swap {number}: {what} took {seconds:.0f}s, exit {code}, "
                f"snapshot {before} -> {after}" + ("" if code == 0 else f"\n{output[-2000:]}")
            )
            print(events[-1], flush=True)
        cancel.wait(AFTER_LAST_SWAP_S)
        stop.set()

    return work


def retrain_work(
    env: dict[str, str], seconds: float, events: list[str]
) -> Callable[[threading.Event, threading.Event], None]:
    def work(stop: threading.Event, cancel: threading.Event) -> None:
        started = time.monotonic()
        cancel.wait(5)
        runs = 0
        while not cancel.is_set() and (runs == 0 or time.monotonic() - started < seconds):
            code, output, took = cli(env, cancel, "retrain", "--tenant", TENANT)
            runs += 1
            verdict = next(
                (line.strip() for line in output.splitlines() if "PROMOTED" in line), output[-300:]
            )
            events.append(
                f"t={time.monotonic() - started:5.0f}s retrain {runs}: {took:.0f}s, exit {code}: {verdict}"
            )
            print(events[-1], flush=True)
        cancel.wait(5)
        stop.set()

    return work


class ReadinessPoller:
    """`GET /readyz` once a second beside the load, as a load balancer would; not part of the mix."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.answers: collections.Counter[str] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self._stop.wait(1.0):
                try:
                    self.answers[str(client.get("/readyz").status_code)] += 1
                except httpx.HTTPError as exc:
                    self.answers[type(exc).__name__] += 1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=40)

    def summary(self) -> str:
        return ", ".join(f"{answer}: {count}" for answer, count in sorted(self.answers.items())) or "none"


def summarise(phase: Phase) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for name in ENDPOINTS:
        rows = [r for r in phase.records if r["name"] == name]
        seconds = [r["s"] for r in rows]
        table[name] = {
            "n": len(rows),
            "failed": sum(1 for r in rows if not r["ok"]),
            "p50": percentile(seconds, 0.50),
            "p95": percentile(seconds, 0.95),
            "p99": percentile(seconds, 0.99),
            "rps": len(rows) / phase.wall if phase.wall else 0.0,
        }
    return table


def versions_seen(phase: Phase, name: str) -> str:
    """Each version answered by `name`, with how many answers and when (seconds into the phase)."""
    rows = sorted((r for r in phase.records if r["name"] == name and r["ok"]), key=lambda r: r["t"])
    if not rows:
        return "none"
    start = min(r["t"] for r in phase.records)
    spans: dict[Any, list[float]] = collections.defaultdict(list)
    for row in rows:
        spans[row["v"]].append(row["t"] + row["s"] - start)
    return ", ".join(
        f"{version}: {len(times)} answers, {min(times):.0f}-{max(times):.0f}s"
        for version, times in spans.items()
    )


def failures_by_status(phase: Phase) -> str:
    counts = collections.Counter((r["name"], r["status"]) for r in phase.records if not r["ok"])
    return ", ".join(f"{SHORT[n]} {s or 'connection error'}: {c}" for (n, s), c in counts.items()) or "none"


def print_phase(phase: Phase) -> dict[str, dict[str, float]]:
    table = summarise(phase)
    empty = table[ENDPOINTS[2]]["p50"]
    print(f"\n### phase {phase.name} ({phase.wall:.0f} s of load)")
    for line in phase.events:
        print(f"  {line}")
    print("| endpoint | requests | failed | p50 ms | p95 ms | p99 ms | req/s | p50 / empty route p50 |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ENDPOINTS:
        row = table[name]
        print(
            f"| {SHORT[name]} | {row['n']:.0f} | {row['failed']:.0f} | {row['p50'] * 1000:.1f} | {row['p95'] * 1000:.1f} "
            f"| {row['p99'] * 1000:.1f} | {row['rps']:.2f} | {row['p50'] / empty:.1f} |"
        )
    print(f"  failures: {failures_by_status(phase)}")
    print(f"  search answered from snapshot versions: {versions_seen(phase, ENDPOINTS[1])}")
    print(f"  paths ranked by: {versions_seen(phase, ENDPOINTS[0])}")
    for number, memory in enumerate(phase.memory, 1):
        print(
            f"  worker {number}: RSS {memory['Rss']:.0f} MiB, PSS {memory['Pss']:.0f} MiB, peak RSS {memory['Peak']:.0f} MiB"
        )
    return table


def warm_workers(server: Server, config: Path) -> None:
    """Path and search requests on fresh connections from several threads until every worker has
    answered both (each has then loaded the snapshot and its BM25 index), at most 90 s."""
    settings = json.loads(config.read_text())
    headers = {"Authorization": f"Bearer {settings['key']}"}
    deadline = time.monotonic() + 90

    def once(number: int) -> None:
        with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
            client.post(f"/v1/employees/e-{number}/path", json={"minutes_per_week": 60, "weeks": 6})
            client.get("/v1/search", params={"q": settings["queries"][number], "limit": 10})

    rounds = 0
    while time.monotonic() < deadline:
        threads = [threading.Thread(target=once, args=(rounds * 4 + n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rounds += 1
        if rounds >= 2 and all(mapped_paths(pid, INDEX_FILE) for pid in server.worker_pids()):
            break
    print(f"warm-up: {rounds * 8} requests", flush=True)


def one_at_a_time(server: Server, config: Path, calls: int = 15) -> dict[str, float]:
    """Median seconds of each endpoint with one client and nothing else running: the service time."""
    settings = json.loads(config.read_text())
    headers = {"Authorization": f"Bearer {settings['key']}"}
    numbers = iter(range(10_000))
    with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
        return {
            ENDPOINTS[0]: time_calls(
                lambda: client.post(
                    f"/v1/employees/e-{next(numbers)}/path", json={"minutes_per_week": 60, "weeks": 6}
                ),
                calls,
                5.0,
                calls,
            ),
            ENDPOINTS[1]: time_calls(
                lambda: client.get(
                    "/v1/search", params={"q": settings["queries"][next(numbers)], "limit": 10}
                ),
                calls,
                5.0,
                calls,
            ),
            ENDPOINTS[2]: time_calls(lambda: client.get("/healthz"), calls, 2.0, calls * 4),
        }


def bare_limits(encoder: Encoder, home: Path, url: str, config: Path) -> dict[str, float]:
    """Before the server starts (nothing else of this run busy): encoding one question, and FAISS
    search of a role's 8 skill vectors and of one, each the median of many calls on the snapshot."""
    settings = Settings(home=home, database_url=url, run_jobs_in_api=False)
    runtime = Runtime(settings, encoder=encoder)
    snapshot = runtime.snapshot(TENANT)
    assert snapshot is not None
    with runtime.sessions() as session:
        tenant_id = repo.get_or_create_tenant(session, TENANT).id
    matrix = role_matrix(runtime, tenant_id)
    questions = json.loads(config.read_text())["queries"]
    numbers = iter(range(1_000_000))
    limits = {  # the encoder first: FAISS's OpenMP threads spinning after a search slow torch down
        "encode1": time_calls(
            lambda: encoder.encode([questions[next(numbers) % len(questions)]]), 40, 5.0, 500
        ),
        "faiss8": time_calls(lambda: snapshot.search(matrix, SEARCH_K), 30, 5.0, 2000),
        "faiss1": time_calls(
            lambda: snapshot.search(matrix[next(numbers) % len(matrix)], SEARCH_K), 80, 5.0, 5000
        ),
        "queries": float(len(matrix)),
    }
    limits["index"] = {"flat": 0.0, "hnsw": 1.0, "ivf-fp16": 2.0}.get(snapshot.manifest.index_type, -1.0)
    runtime.close()
    return limits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--employees", type=int, default=5_000)
    parser.add_argument("--users", type=int, default=8, help="locust users, each with no pause")
    parser.add_argument("--phase-seconds", type=int, default=60)
    parser.add_argument("--swaps", type=int, default=2, help="snapshots published during phase (b)")
    parser.add_argument(
        "--keep", action="store_true", help=f"build into {KEPT_DATABASE} and {KEPT_HOME}, keep them"
    )
    parser.add_argument("--reuse", action="store_true", help="reuse what --keep kept (no set-up)")
    parser.add_argument(
        "--quick", action="store_true", help="5,000 units, 500 employees, 20 s phases, 1 swap"
    )
    args = parser.parse_args()
    if args.quick:
        args.units, args.employees, args.phase_seconds, args.swaps = 5_000, 500, 20, 1

    run_started = time.perf_counter()
    deadline_watchdog(GLOBAL_DEADLINE_S, stop_children)
    print(f"load average at the start: {load_average()} (2 cores)", flush=True)
    encoder = Encoder()
    with ExitStack() as stack:
        if args.reuse or args.keep:
            name, home = KEPT_DATABASE, KEPT_HOME
        else:
            name = f"leerpad_bench_load_{os.getpid()}"
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="leerpad-bench-load-")))
        url = database_url(name)
        if args.reuse:
            if not database_exists(name) or not (home / "bench-load.json").exists():
                print(f"nothing to reuse: run with --keep first ({name}, {home})")
                return 2
            config = home / "bench-load.json"
            print(f"reusing database {name} and {home}", flush=True)
        else:
            if args.keep and home.exists():
                shutil.rmtree(home)
            home.mkdir(parents=True, exist_ok=True)
            create_database(name)
            if not args.keep:
                stack.callback(drop_database, name)
            config = build(encoder, home, url, args.units, args.employees)
        print(f"set-up done at {time.perf_counter() - run_started:.0f}s", flush=True)

        limits = bare_limits(encoder, home, url, config)
        print(
            f"limits: raw encoder, 1 question {limits['encode1'] * 1000:.2f} ms; bare FAISS "
            f"{int(limits['queries'])} queries {limits['faiss8'] * 1000:.2f} ms, 1 query {limits['faiss1'] * 1000:.2f} ms "
            f"(load average {load_average()})",
            flush=True,
        )
        env = {
            "LEERPAD_HOME": str(home),
            "LEERPAD_DATABASE_URL": url,
            "LEERPAD_RUN_JOBS_IN_API": "false",
            "LEERPAD_RATE_LIMIT_PER_MINUTE": "100000000",
            "LEERPAD_RATE_LIMIT_BURST": "1000000",
            "HF_HUB_OFFLINE": "1",
        }
        logs = home / "logs"
        logs.mkdir(exist_ok=True)
        server = Server(env, 2, logs / "serve.log")
        servers.append(server)
        stack.callback(server.stop)
        begin = time.perf_counter()
        server.wait_ready(240)
        print(f"`leerpad serve --workers 2` ready in {time.perf_counter() - begin:.1f}s", flush=True)
        warm_workers(server, config)
        service = one_at_a_time(server, config)
        print(
            "one client, one request at a time (median): "
            + ", ".join(f"{SHORT[n]} {s * 1000:.1f} ms" for n, s in service.items()),
            flush=True,
        )

        store = SnapshotStore(home / "index" / TENANT)
        subprocess_env = {**os.environ, **env}
        phases: list[Phase] = []
        plan: list[
            tuple[str, float, Callable[[threading.Event, threading.Event], None] | None, list[str]]
        ] = []
        swap_events: list[str] = []
        retrain_events: list[str] = []
        plan.append(("(a) steady", args.phase_seconds, None, []))
        plan.append(
            (
                "(b) index swaps",
                SWAP_PHASE_CAP_S,
                swap_work(subprocess_env, store, logs, args.swaps, swap_events),
                swap_events,
            )
        )
        plan.append(
            (
                "(c) retraining",
                args.phase_seconds + 120,
                retrain_work(subprocess_env, args.phase_seconds, retrain_events),
                retrain_events,
            )
        )
        for title, cap, side, events in plan:
            if side is not None and title.startswith("(b)"):
                # Leave time for phase (c) and the limits within the global deadline.
                left = GLOBAL_DEADLINE_S - 60 - (time.perf_counter() - run_started)
                cap = max(args.phase_seconds, min(cap, left - (args.phase_seconds + 120) - 60))
            print(f"\nphase {title} (at most {cap:.0f} s) ...", flush=True)
            record = logs / f"records-{len(phases)}.jsonl"
            record.unlink(missing_ok=True)
            poller = ReadinessPoller(server.base)
            poller.start()
            wall = run_locust(server.base, config, record, args.users, cap, logs / "locust.log", side)
            poller.stop()
            events.append(f"readiness polled once a second: {poller.summary()}")
            phase = Phase(title, read_records(record), wall, events)
            phase.memory = [memory_of(pid) for pid in server.worker_pids()]
            phases.append(phase)
            print_phase(phase)
        newest = store.current_version()
        mapped = {pid: sorted(mapped_paths(pid, INDEX_FILE)) for pid in server.worker_pids()}
        server.stop()

    tables = [summarise(p) for p in phases]
    kind = {0.0: "flat", 1.0: "hnsw", 2.0: "ivf-fp16"}.get(limits["index"], "unknown")
    print(f"\n## results ({args.units:,} units, {args.employees:,} employees, {args.users} users, 2 workers)")
    print(
        f"limits (measured before serving, {kind} index): bare FAISS {int(limits['queries'])} queries k={SEARCH_K} "
        f"{limits['faiss8'] * 1000:.2f} ms, 1 query {limits['faiss1'] * 1000:.2f} ms; "
        f"raw encoder, 1 question {limits['encode1'] * 1000:.2f} ms"
    )
    print(
        "service time, one client (median): "
        + ", ".join(f"{SHORT[n]} {s * 1000:.1f} ms" for n, s in service.items())
    )
    print(f"\nsnapshot after the run: {newest}; FAISS files mapped by each worker: {mapped}")
    print(
        "\n| phase | endpoint | requests | failed | p50 ms | p95 ms | p99 ms | req/s | p50 / empty route | p50 / bare limit |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    bare = {
        ENDPOINTS[0]: limits["faiss8"],
        ENDPOINTS[1]: limits["encode1"] + limits["faiss1"],
        ENDPOINTS[2]: float("nan"),
    }
    for phase, table in zip(phases, tables, strict=True):
        empty = table[ENDPOINTS[2]]["p50"]
        for name in ENDPOINTS:
            row = table[name]
            against = "" if name == ENDPOINTS[2] else f"{row['p50'] / bare[name]:.0f}"
            print(
                f"| {phase.name} | {SHORT[name]} | {row['n']:.0f} | {row['failed']:.0f} | {row['p50'] * 1000:.1f} "
                f"| {row['p95'] * 1000:.1f} | {row['p99'] * 1000:.1f} | {row['rps']:.2f} | {row['p50'] / empty:.1f} "
                f"| {against} |"
            )
    failed = {
        p.name: sum(int(t[n]["failed"]) for n in ENDPOINTS) for p, t in zip(phases, tables, strict=True)
    }
    print(f"\nfailed requests per phase: {failed}")
    swaps_done = sum(1 for line in swap_events if "exit 0" in line)
    retrains_done = sum(1 for line in retrain_events if "exit 0" in line)
    print(
        f"swaps completed during (b): {swaps_done} of {args.swaps}; retraining runs during (c): {retrains_done}"
    )
    print(f"whole run: {time.perf_counter() - run_started:.0f}s; load average at the end {load_average()}")
    ok = all(v == 0 for v in failed.values()) and swaps_done == args.swaps and retrains_done >= 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
