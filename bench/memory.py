"""Resident memory of one API worker against catalog size, and what two workers share.

    .venv/bin/python bench/memory.py [--sizes 1000,10000,30000,100000] [--no-two-workers]

One SQLite database under a temporary LEERPAD_HOME grows in steps to each size in --sizes (synthetic
micro-units written in bulk, as bench/api.py does: bench/_synthetic.py), and a snapshot (FAISS index
and BM25 file) is published at each step. For each size a fresh `leerpad serve --workers 1` process
is started, sent one path request and one search request (so the index, the BM25 index and the
encoder's inference buffers are all loaded), and its memory read from /proc/<pid>/smaps_rollup:

- RSS: resident pages, shared or not;
- PSS: each shared page divided by the number of processes that map it;
- USS: pages only this process maps;
- the peak RSS (VmHWM), and how much of the RSS is the mapped FAISS file (`index.faiss`).

Limits and references, measured in the same run:
- an empty FastAPI app (one route) under uvicorn: the floor of any Python web worker;
- the app with no catalog (encoder loaded, nothing searched): the baseline the catalog adds to;
- the raw size on disk of the snapshot (index.faiss + lexical.bm25): what holding the index costs at
  least. Ratio printed: (RSS - baseline) / bytes on disk.

At the largest size it also starts `--workers 2`, warms both workers and prints each one's RSS and
PSS: the snapshot's FAISS file is mapped read-only (recommender/index.py), so its pages are in the
page cache once and the two workers share them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench._synthetic import (  # noqa: E402
    Server,
    add_people,
    deadline_watchdog,
    free_port,
    insert_catalog,
    load_skills,
    mapped_file_memory,
    memory_of,
    publish,
)
from ingest.taxonomy import read_default_taxonomy  # noqa: E402
from models import repositories as repo  # noqa: E402
from recommender.embedding import Encoder  # noqa: E402
from recommender.index import INDEX_FILE, LEXICAL_FILE  # noqa: E402
from service.core.runtime import Runtime  # noqa: E402
from service.core.settings import Settings  # noqa: E402
from service.skills.taxonomy import import_taxonomy  # noqa: E402

SEED = 20261207
TENANT = "bench"
EMPLOYEES = 10
ROLE_SKILLS = 8
GLOBAL_DEADLINE_S = 15 * 60
SETTLE_S = 1.0  # after the last request, before reading /proc
BODY = {"minutes_per_week": 60, "weeks": 6}
EMPTY_APP = textwrap.dedent(
    """
    import sys
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)

started_servers: list[Server] = []
started_processes: list[subprocess.Popen[bytes]] = []


def stop_everything() -> None:
    for server in started_servers:
        server.stop()
    for process in started_processes:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def empty_app_memory() -> dict[str, float]:
    """An empty FastAPI app under uvicorn, after one request to its one route."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", EMPTY_APP, str(port)])
    started_processes.append(process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the empty app did not start")
            time.sleep(0.2)
        time.sleep(SETTLE_S)
        return memory_of(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def warm(server: Server, headers: dict[str, str], query: str, rounds: int = 1) -> None:
    """A path and a search request, each on a fresh connection, `rounds` times from 4 threads at once
    (so that with several workers each one gets some)."""
    failures: list[str] = []

    def send() -> None:
        with httpx.Client(base_url=server.base, headers=headers, timeout=120) as client:
            for method, url, kwargs in (
                ("POST", "/v1/employees/e-0/path", {"json": BODY}),
                ("GET", "/v1/search", {"params": {"q": query, "limit": 10}}),
            ):
                response = client.request(method, url, **kwargs)
                if response.status_code != 200:
                    failures.append(f"{method} {url}: {response.status_code} {response.text[:200]}")

    for _ in range(rounds):
        threads = [threading.Thread(target=send) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise RuntimeError("warm-up requests failed: " + "; ".join(failures[:3]))


def serve_and_measure(
    env: dict[str, str], home: Path, workers: int, headers: dict[str, str] | None, query: str
) -> list[dict[str, float]]:
    server = Server(env, workers, home / f"serve-{workers}-{time.monotonic_ns()}.log")
    started_servers.append(server)
    try:
        server.wait_ready(180, probe="/readyz" if headers else "/healthz")
        if headers is None:
            httpx.get(f"{server.base}/healthz", timeout=10)
        else:
            warm(server, headers, query, rounds=1 if workers == 1 else 3)
            deadline = time.monotonic() + 60
            # Several workers: keep warming until each one has its snapshot loaded.
            while workers > 1 and time.monotonic() < deadline:
                if all(mapped_file_memory(pid, INDEX_FILE)["Rss"] > 0 for pid in server.worker_pids()):
                    break
                warm(server, headers, query)
        time.sleep(SETTLE_S)
        found = []
        for pid in server.worker_pids():
            memory = memory_of(pid)
            mapped = mapped_file_memory(pid, INDEX_FILE)
            memory["index_rss"], memory["index_pss"] = mapped["Rss"], mapped["Pss"]
            found.append(memory)
        return found
    finally:
        server.stop()
        started_servers.remove(server)


def fmt(memory: dict[str, float]) -> str:
    return (
        f"RSS {memory['Rss']:7.1f}  PSS {memory['Pss']:7.1f}  USS {memory['Uss']:7.1f}  "
        f"anon {memory.get('Anonymous', 0):7.1f}  peak {memory.get('Peak', 0):7.1f}  "
        f"FAISS file mapped RSS {memory.get('index_rss', 0):6.1f} PSS {memory.get('index_pss', 0):6.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,30000,100000", help="micro-units, ascending")
    parser.add_argument("--no-two-workers", action="store_true", help="skip the two-worker measurement")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    deadline_watchdog(GLOBAL_DEADLINE_S, stop_everything)
    run_started = time.perf_counter()

    empty = empty_app_memory()
    print(f"empty FastAPI app (uvicorn, one route): {fmt(empty)}", flush=True)

    encoder = Encoder()
    rows: list[dict[str, Any]] = []
    two_workers: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="leerpad-bench-memory-") as folder:
        home = Path(folder)
        settings = Settings(home=home, run_jobs_in_api=False)
        runtime = Runtime(settings, encoder=encoder)
        runtime.migrate()
        env = {
            "LEERPAD_HOME": str(home),
            "LEERPAD_DATABASE_URL": "",
            "LEERPAD_RUN_JOBS_IN_API": "false",
            "LEERPAD_RATE_LIMIT_PER_MINUTE": "0",
            "HF_HUB_OFFLINE": "1",
        }
        baseline = serve_and_measure(env, home, 1, None, "")[0]
        print(f"app, no catalog (encoder loaded):       {fmt(baseline)}", flush=True)

        import_taxonomy(runtime, TENANT, read_default_taxonomy(), origin="default")
        with runtime.sessions() as session:
            tenant_id = repo.get_or_create_tenant(session, TENANT).id
        skills = load_skills(runtime, tenant_id)
        role_skills = skills[:: max(1, len(skills) // ROLE_SKILLS)][:ROLE_SKILLS]
        secret = add_people(runtime, TENANT, [s.key for s in role_skills], SEED, EMPLOYEES)
        headers = {"Authorization": f"Bearer {secret}"}
        query = f"how to {role_skills[0].label}"

        have = 0
        for size in sizes:
            begin = time.perf_counter()
            insert_catalog(runtime, tenant_id, skills, size - have, encoder.dimension, SEED + size)
            have = size
            version = publish(runtime, TENANT)
            folder_of = settings.index_root / TENANT / "snapshots" / str(version)
            faiss_bytes = (folder_of / INDEX_FILE).stat().st_size
            bm25_bytes = (folder_of / LEXICAL_FILE).stat().st_size
            snapshot = runtime.snapshot(TENANT)
            assert snapshot is not None
            kind = snapshot.manifest.index_type
            built = time.perf_counter() - begin
            memory = serve_and_measure(env, home, 1, headers, query)[0]
            row: dict[str, Any] = {
                "size": size,
                "kind": kind,
                "faiss": faiss_bytes / 2**20,
                "bm25": bm25_bytes / 2**20,
                "memory": memory,
            }
            rows.append(row)
            print(
                f"{size:>7,} units ({kind}, built in {built:.0f}s): {fmt(memory)}  "
                f"on disk: FAISS {row['faiss']:.1f} + BM25 {row['bm25']:.1f} MiB",
                flush=True,
            )
        if not args.no_two_workers:
            two_workers = serve_and_measure(env, home, 2, headers, query)
            for number, memory in enumerate(two_workers, 1):
                print(f"{have:>7,} units, worker {number} of 2: {fmt(memory)}", flush=True)
        runtime.close()

    print(f"\nwhole run: {time.perf_counter() - run_started:.0f}s")
    print(
        "\n| process | RSS MiB | PSS MiB | USS MiB | peak RSS MiB | FAISS file mapped (RSS) | on disk (FAISS + BM25) MiB | (RSS - baseline) / on disk |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| empty FastAPI app | {empty['Rss']:.0f} | {empty['Pss']:.0f} | {empty['Uss']:.0f} | {empty['Peak']:.0f} | | | |"
    )
    print(
        f"| app, no catalog (baseline) | {baseline['Rss']:.0f} | {baseline['Pss']:.0f} | {baseline['Uss']:.0f} "
        f"| {baseline['Peak']:.0f} | | | |"
    )
    for row in rows:
        memory, disk = row["memory"], row["faiss"] + row["bm25"]
        ratio = (memory["Rss"] - baseline["Rss"]) / disk if disk else float("nan")
        print(
            f"| {row['size']:,} units ({row['kind']}) | {memory['Rss']:.0f} | {memory['Pss']:.0f} | {memory['Uss']:.0f} "
            f"| {memory['Peak']:.0f} | {memory['index_rss']:.0f} | {row['faiss']:.1f} + {row['bm25']:.1f} | {ratio:.2f} |"
        )
    for number, memory in enumerate(two_workers, 1):
        print(
            f"| {rows[-1]['size']:,} units, worker {number} of 2 | {memory['Rss']:.0f} | {memory['Pss']:.0f} "
            f"| {memory['Uss']:.0f} | {memory['Peak']:.0f} | {memory['index_rss']:.0f} (PSS {memory['index_pss']:.0f}) | | |"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        span = (last["size"] - first["size"]) / 10_000
        growth = (last["memory"]["Rss"] - first["memory"]["Rss"]) / span
        disk_growth = (last["faiss"] + last["bm25"] - first["faiss"] - first["bm25"]) / span
        print(
            f"\ngrowth per 10,000 units ({first['size']:,} -> {last['size']:,}): RSS {growth:.1f} MiB, "
            f"snapshot on disk {disk_growth:.1f} MiB (ratio {growth / disk_growth:.2f})"
        )
    if two_workers:
        pss = sum(m["Pss"] for m in two_workers)
        single = rows[-1]["memory"]["Rss"]
        print(
            f"two workers at {rows[-1]['size']:,} units: PSS together {pss:.0f} MiB "
            f"(2 x the single worker's RSS would be {2 * single:.0f} MiB; ratio {pss / (2 * single):.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
