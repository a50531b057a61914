"""Path requests through the real HTTP API under 8 concurrent clients, against bare FAISS search.

    .venv/bin/python bench/api.py [--sizes 10000,100000] [--requests 400] [--quick]

For each catalog size N: a fresh LEERPAD_HOME with SQLite, the default taxonomy imported with the
real encoder (loaded once for the whole run), then N synthetic micro-units written straight into
the database in bulk (no encoding: each unit's vector is a random unit vector mixed with a random
skill's stored vector, its text random skill labels plus filler words), a share of the items
tagged with skills, and the snapshot published with its BM25 index. One role of 8 skills, 50
employees with a few assessments each, and an `lms` key. The app is served in-process by uvicorn on
127.0.0.1; after one warm-up request (it loads the stored BM25 index), 8 client threads each with
their own keep-alive httpx.Client send `POST /v1/employees/{id}/path` until --requests are done; then one client sends
40 requests one after another, whose median is the service time of a request without queueing
(on 2 cores, 8 clients of one process mostly wait for each other: p50 is about 8 x service time / cores).

Limit, measured in the same run: the bare FAISS search of the role's 8 skill vectors
(`snapshot.search(matrix_of_8, 40)`, median of many calls), which is the dense half of the work a
path request does. Note: the snapshot is an exact flat index below 50,000 units and HNSW from there
on (recommender/index.py), so the 100,000 figure is an HNSW search; the index kind is printed. The whole run stops itself after 15 minutes at most.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from ingest.taxonomy import read_default_taxonomy  # noqa: E402
from models import repositories as repo  # noqa: E402
from models.db import transaction  # noqa: E402
from models.tables import CatalogItem, ItemSkill, MicroUnit, Skill  # noqa: E402
from recommender.embedding import Encoder, vectors_from_bytes  # noqa: E402
from service.app import create_app  # noqa: E402
from service.employees import AssessmentInput, add_assessments, upsert_employee  # noqa: E402
from service.roles import RoleSkillInput, upsert_role  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.taxonomy import import_taxonomy  # noqa: E402

SEED = 20261203
SERVICE_CALLS = 40  # sequential requests after the load, for the per-request cost without queueing
TENANT = "bench"
CLIENTS = 8
EMPLOYEES = 50
ROLE_SKILLS = 8
SEARCH_K = 40
TAGGED_SHARE = 0.3
BATCH = 5000
GLOBAL_DEADLINE_S = 15 * 60
REQUEST_TIMEOUT_S = 60.0
BODY = {"minutes_per_week": 60, "weeks": 6}
FILLER = (
    *("leer", "oefen", "basis", "praktijk", "voorbeeld", "stap", "werk", "klant", "overzicht", "les"),
    *("learn", "practice", "basics", "example", "step", "team", "work", "data", "customer", "lesson"),
    *("introduction", "inleiding", "advanced", "gevorderd", "exercise", "opdracht", "guide", "module"),
)
FORMATS = ("course", "video", "article", "microlearning")


@dataclass
class SkillRow:
    id: int
    key: str
    label: str
    vector: np.ndarray


def deadline_watchdog(seconds: float) -> None:
    """Stop the whole process when the global deadline passes, whatever it is doing."""

    def fire() -> None:
        print(f"\nglobal deadline of {seconds:.0f}s reached: stopping", flush=True)
        os._exit(3)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()


def load_skills(runtime: Runtime, tenant_id: int) -> list[SkillRow]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(Skill.id, Skill.key, Skill.label_en, Skill.label_nl, Skill.embedding)
            .where(Skill.tenant_id == tenant_id, Skill.embedding.is_not(None))
            .order_by(Skill.id)
        ).all()
    return [
        SkillRow(r[0], r[1], r[2] or r[3] or r[1], vectors_from_bytes([r[4]], len(r[4]) // 4)[0])
        for r in rows
    ]


def insert_catalog(
    runtime: Runtime, tenant_id: int, skills: list[SkillRow], units: int, dimension: int, seed: int
) -> tuple[int, int, int]:
    """N micro-units (1 to 3 per item) with mixed random vectors; returns (items, units, item tags)."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    model = runtime.settings.model
    now = datetime.now(UTC)
    skill_matrix = np.stack([s.vector for s in skills])
    item_id = unit_id = tags = 0
    with runtime.engine.begin() as conn:
        while unit_id < units:
            items_rows, unit_rows, tag_rows = [], [], []
            batch_end = min(units, unit_id + BATCH)
            while unit_id < batch_end:
                item_id += 1
                count = min(pick.randint(1, 3), batch_end - unit_id)
                topic = pick.randrange(len(skills))
                language = pick.choice(("nl", "en"))
                title = f"{skills[topic].label} {pick.choice(FILLER)} {item_id}"
                # Each unit: a random direction mixed with the item's topic skill, by a random weight.
                noise = rng.standard_normal((count, dimension)).astype(np.float32)
                noise /= np.linalg.norm(noise, axis=1, keepdims=True)
                weights = rng.uniform(0.0, 1.0, (count, 1)).astype(np.float32)
                mixed = (1.0 - weights) * noise + weights * skill_matrix[topic]
                mixed /= np.linalg.norm(mixed, axis=1, keepdims=True)
                minutes = 0
                for position in range(count):
                    unit_id += 1
                    labels = [skills[topic].label] + [
                        skills[pick.randrange(len(skills))].label for _ in range(2)
                    ]
                    words = labels + pick.choices(FILLER, k=pick.randint(12, 30))
                    pick.shuffle(words)
                    text = " ".join(words)
                    unit_minutes = pick.randint(5, 15)
                    minutes += unit_minutes
                    unit_rows.append(
                        {
                            "id": unit_id,
                            "tenant_id": tenant_id,
                            "item_id": item_id,
                            "position": position,
                            "title": f"{title} ({position + 1})",
                            "text": text,
                            "minutes": unit_minutes,
                            "anchor": None,
                            "text_hash": hashlib.sha256(text.encode()).hexdigest(),
                            "embedding": mixed[position].astype(np.float32).tobytes(),
                            "embedding_model": model,
                            "active": True,
                        }
                    )
                items_rows.append(
                    {
                        "id": item_id,
                        "tenant_id": tenant_id,
                        "source": "bench",
                        "kind": "csv",
                        "external_id": f"item-{item_id}",
                        "title": title,
                        "description": " ".join(pick.choices(FILLER, k=15)),
                        "url": f"https://lms.example/item/{item_id}",
                        "language": language,
                        "minutes": minutes,
                        "level": pick.choice((None, "beginner", "intermediate", "advanced")),
                        "format": pick.choice(FORMATS),
                        "provider": None,
                        "rating": None,
                        "declared_skills": [],
                        "extra": {},
                        "content_hash": hashlib.sha256(title.encode()).hexdigest(),
                        "status": "active",
                        "source_updated_at": None,
                        "created_at": now,
                        "updated_at": now,
                        "retired_at": None,
                    }
                )
                if pick.random() < TAGGED_SHARE:
                    tagged = {topic} | {pick.randrange(len(skills)) for _ in range(pick.randint(0, 1))}
                    for index in tagged:
                        tag_rows.append(
                            {
                                "tenant_id": tenant_id,
                                "item_id": item_id,
                                "skill_id": skills[index].id,
                                "confidence": round(pick.uniform(0.6, 1.0), 3),
                                "origin": "label",
                                "status": "auto",
                                "reviewed_at": None,
                            }
                        )
            conn.execute(insert(CatalogItem), items_rows)
            conn.execute(insert(MicroUnit), unit_rows)
            if tag_rows:
                conn.execute(insert(ItemSkill), tag_rows)
            tags += len(tag_rows)
    return item_id, unit_id, tags


def add_people(runtime: Runtime, tenant: str, role_keys: list[str], seed: int) -> str:
    """One role of 8 skills, 50 employees with 2 to 4 assessments each; returns an lms key."""
    pick = random.Random(seed)
    with transaction(runtime.sessions) as session:
        row = repo.get_or_create_tenant(session, tenant)
        upsert_role(
            session,
            row.id,
            "analyst",
            "Data-analist",
            [
                RoleSkillInput(skill=key, level=4, importance=pick.choice((1.0, 0.75, 0.5)))
                for key in role_keys
            ],
            runtime.encoder,
            runtime.settings.model,
        )
        for number in range(EMPLOYEES):
            employee = upsert_employee(
                session,
                row.id,
                f"e-{number}",
                role="analyst",
                target_role=None,
                team=None,
                language=pick.choice(("nl", "en")),
                preferences={},
            )
            entries = [
                AssessmentInput(
                    skill=key, level=float(pick.randint(0, 3)), source=pick.choice(("test", "manager"))
                )
                for key in pick.sample(role_keys, pick.randint(2, 4))
            ]
            add_assessments(session, row.id, employee, entries, self_only=False)
        _, secret = repo.create_api_key(session, row, "lms", label="bench")
    return secret


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(np.asarray(values), share * 100))


def time_calls(call: Callable[[], object], minimum: int, budget_s: float, maximum: int) -> float:
    """Median seconds per call of `call()`, over at least `minimum` calls within about `budget_s`."""
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < maximum and (len(times) < minimum or time.perf_counter() - started < budget_s):
        begin = time.perf_counter()
        call()
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def run_load(
    base: str, headers: dict[str, str], total: int, seed: int, deadline: float
) -> tuple[list[float], int, float]:
    """8 threads, each with its own keep-alive client; returns (latencies s, errors, wall seconds)."""
    latencies: list[float] = []
    errors = 0
    issued = 0
    lock = threading.Lock()

    def worker(number: int) -> None:
        nonlocal issued, errors
        pick = random.Random(seed + number)
        with httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:
            while time.monotonic() < deadline:
                with lock:
                    if issued >= total:
                        return
                    issued += 1
                employee = f"e-{pick.randrange(EMPLOYEES)}"
                begin = time.perf_counter()
                try:
                    response = client.post(f"/v1/employees/{employee}/path", json=BODY)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - begin
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        errors += 1

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic()))
    return latencies, errors, time.perf_counter() - started


def bench_size(encoder: Encoder, size: int, requests: int, deadline: float) -> dict[str, Any]:
    print(f"\n=== catalog of {size:,} micro-units ===", flush=True)
    with tempfile.TemporaryDirectory(prefix="leerpad-bench-api-") as home:
        settings = Settings(home=Path(home), environment="test", run_jobs_in_api=False)
        runtime = Runtime(settings, encoder=encoder)
        runtime.migrate()
        begin = time.perf_counter()
        import_taxonomy(runtime, TENANT, read_default_taxonomy(), origin="default")
        with runtime.sessions() as session:
            tenant_id = repo.get_or_create_tenant(session, TENANT).id
        skills = load_skills(runtime, tenant_id)
        print(f"taxonomy: {len(skills)} skills in {time.perf_counter() - begin:.1f}s", flush=True)

        begin = time.perf_counter()
        items, units, tags = insert_catalog(runtime, tenant_id, skills, size, encoder.dimension, SEED + size)
        with transaction(runtime.sessions) as session:
            repo.bump_index_version(session, repo.get_or_create_tenant(session, TENANT))
        inserted = time.perf_counter() - begin
        begin = time.perf_counter()
        runtime.rebuild_index(TENANT)
        print(
            f"catalog: {items:,} items, {units:,} units, {tags:,} item tags inserted in {inserted:.1f}s; "
            f"snapshot published in {time.perf_counter() - begin:.1f}s",
            flush=True,
        )

        role_skills = random.Random(SEED).sample(skills, ROLE_SKILLS)
        secret = add_people(runtime, TENANT, [s.key for s in role_skills], SEED)
        headers = {"Authorization": f"Bearer {secret}"}

        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(runtime=runtime), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:
                while True:
                    if time.monotonic() > deadline or not thread.is_alive():
                        raise RuntimeError("the server did not become ready")
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.1)
                begin = time.perf_counter()
                response = client.post("/v1/employees/e-0/path", json=BODY)
                first = time.perf_counter() - begin
                if response.status_code != 200:
                    raise RuntimeError(f"warm-up path request failed: {response.status_code} {response.text}")
                steps = len(response.json()["steps"])
            print(f"first request (loads lexical index): {first:.2f}s ({steps} steps)", flush=True)

            latencies, errors, wall = run_load(base, headers, requests, SEED, deadline)
            employee_numbers = itertools.count()
            with httpx.Client(base_url=base, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:
                service = time_calls(
                    lambda: client.post(
                        f"/v1/employees/e-{next(employee_numbers) % EMPLOYEES}/path", json=BODY
                    ),
                    SERVICE_CALLS,
                    10.0,
                    SERVICE_CALLS,
                )
        finally:
            server.should_exit = True
            thread.join(timeout=15)

        snapshot = runtime.snapshot(TENANT)
        assert snapshot is not None
        index_type = snapshot.manifest.index_type
        matrix = np.stack([s.vector for s in role_skills]).astype(np.float32)
        batch8 = time_calls(lambda: snapshot.search(matrix, SEARCH_K), 30, 5.0, 2000)
        queries = itertools.cycle([matrix[i : i + 1] for i in range(ROLE_SKILLS)])
        single = time_calls(lambda: snapshot.search(next(queries), SEARCH_K), 80, 5.0, 5000)
        runtime.close()

    done = len(latencies)
    p50 = percentile(latencies, 0.50) if latencies else float("nan")
    result = {
        "size": size,
        "units": units,
        "requests": done,
        "errors": errors,
        "first": first,
        "service": service,
        "p50": p50,
        "p95": percentile(latencies, 0.95) if latencies else float("nan"),
        "p99": percentile(latencies, 0.99) if latencies else float("nan"),
        "throughput": done / wall if wall else 0.0,
        "wall": wall,
        "faiss8": batch8,
        "faiss1": single,
        "index": index_type,
    }
    print_table(result)
    return result


def print_table(r: dict[str, Any]) -> None:
    print(f"\n| measure ({int(r['units']):,} micro-units, {CLIENTS} clients) | value |")
    print("|---|---|")
    print(f"| first request (loads lexical index) | {r['first'] * 1000:.0f} ms |")
    print(f"| requests done / errors (non-200) | {int(r['requests'])} / {int(r['errors'])} |")
    print(f"| latency p50 | {r['p50'] * 1000:.1f} ms |")
    print(f"| latency p95 | {r['p95'] * 1000:.1f} ms |")
    print(f"| latency p99 | {r['p99'] * 1000:.1f} ms |")
    print(f"| throughput | {r['throughput']:.1f} requests/s ({r['wall']:.1f} s wall) |")
    print(
        f"| service time, one client at a time (median of {SERVICE_CALLS}) | {r['service'] * 1000:.1f} ms |"
    )
    print(
        f"| bare FAISS search, 8 skill queries in one call, k={SEARCH_K}, {r['index']} index (median) | {r['faiss8'] * 1000:.2f} ms |"
    )
    print(
        f"| bare FAISS search, single query, k={SEARCH_K}, {r['index']} index (median) | {r['faiss1'] * 1000:.2f} ms |"
    )
    ratio = r["p50"] / r["faiss8"] if r["faiss8"] else float("nan")
    print(
        f"\npath p50 / bare FAISS search of the same 8 skill queries = "
        f"{r['p50'] * 1000:.1f} ms / {r['faiss8'] * 1000:.2f} ms = {ratio:.1f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,100000", help="catalog sizes in micro-units, comma-separated"
    )
    parser.add_argument("--requests", type=int, default=400, help="path requests per size")
    parser.add_argument("--quick", action="store_true", help="one catalog of 2,000 units, 100 requests")
    args = parser.parse_args()
    sizes = [2000] if args.quick else [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    requests = 100 if args.quick else args.requests

    deadline_watchdog(GLOBAL_DEADLINE_S)
    deadline = time.monotonic() + GLOBAL_DEADLINE_S - 30
    begin = time.perf_counter()
    encoder = Encoder()
    print(f"encoder loaded in {time.perf_counter() - begin:.1f}s (dimension {encoder.dimension})", flush=True)
    results = [bench_size(encoder, size, requests, deadline) for size in sizes]

    print(
        "\n| micro-units | index | p50 ms | p95 ms | p99 ms | req/s | errors | 1-client ms | FAISS 8 queries ms | FAISS 1 query ms | p50/FAISS8 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {int(r['units']):,} | {r['index']} | {r['p50'] * 1000:.1f} | {r['p95'] * 1000:.1f} | {r['p99'] * 1000:.1f} "
            f"| {r['throughput']:.1f} | {int(r['errors'])} | {r['service'] * 1000:.1f} | {r['faiss8'] * 1000:.2f} | {r['faiss1'] * 1000:.2f} "
            f"| {r['p50'] / r['faiss8']:.1f} |"
        )
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
