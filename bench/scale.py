"""How build time, recall, memory and path service time grow from 10,000 to 1,000,000 micro-units.

    .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--home-parent /tmp]

One SQLite database under a temporary LEERPAD_HOME (created under --home-parent: 1,000,000 units
take about 3 GB there) grows in steps to each size (synthetic units written in bulk by
bench/_synthetic.py: random unit vectors mixed with a skill's stored vector). At each size:

- publish: the whole `leerpad index rebuild` work (vectors and texts read from SQL, FAISS index and
  BM25 built and written), timed;
- the FAISS index alone: the stored vectors read once, `build_index` timed, its kind (flat, HNSW or
  IVF over float16 by size, recommender/index.py) and the published file's size;
- recall@10 of that index against exact search (faiss brute force over the same vectors) for up to
  200 realistic queries (the taxonomy's skill vectors), counting ties as ann-benchmarks does (a hit
  scores within 1e-3 of the exact 10th best; the strict figure, same ids, is printed too: see
  `recalls`), and its median search time for one query at k=40 (each query in turn), against the
  same search in a bare flat index (the limit it is measured against);
- `leerpad serve --workers 2`, both workers warmed: each worker's RSS and PSS (/proc smaps_rollup;
  the snapshot file is mapped read-only and shared), and the path service time: the median of up to
  40 sequential `POST /v1/employees/{id}/path` from one keep-alive client.

Then a table of the figures and how each grows from size to size. The whole run stops itself after
25 minutes at most.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import faiss  # noqa: E402
import httpx  # noqa: E402

from bench._synthetic import (  # noqa: E402
    Server,
    add_people,
    deadline_watchdog,
    insert_catalog,
    load_skills,
    mapped_file_memory,
    memory_of,
    publish,
    time_calls,
)
from ingest.taxonomy import read_default_taxonomy  # noqa: E402
from models import repositories as repo  # noqa: E402
from recommender.embedding import Encoder, vectors_from_bytes  # noqa: E402
from recommender.index import INDEX_FILE, build_index  # noqa: E402
from service.core.runtime import Runtime  # noqa: E402
from service.core.settings import Settings  # noqa: E402
from service.skills.taxonomy import import_taxonomy  # noqa: E402

SEED = 20261204
TENANT = "bench"
EMPLOYEES = 10
ROLE_SKILLS = 8
QUERIES = 200
PATH_CALLS = 40
PATH_BUDGET_S = 90.0
GLOBAL_DEADLINE_S = 25 * 60
BODY = {"minutes_per_week": 60, "weeks": 6}
TIE_EPSILON = 1e-3  # ann-benchmarks' default for recall with ties

started_servers: list[Server] = []


def stop_everything() -> None:
    for server in started_servers:
        server.stop()


def recalls(
    queries: np.ndarray, vectors: np.ndarray, ids: np.ndarray, exact_rows: np.ndarray, found: np.ndarray
) -> tuple[float, float]:
    """Recall@k of the `found` ids against the exact top k (`exact_rows`, rows of `vectors`), two
    ways: strict (the same units) and ann-benchmarks' (a returned unit counts when its exact score is
    at least the exact k-th best minus TIE_EPSILON). The synthetic catalog holds thousands of units
    per skill, at 1M dozens within 1e-6 of the skill's own vector, so which of those equals comes
    first is arbitrary (float rounding decides) and the strict figure then measures the ties."""
    k = exact_rows.shape[1]
    strict, tolerant = [], []
    for query, truth, returned in zip(queries, exact_rows, found, strict=True):
        strict.append(len(set(ids[truth].tolist()) & set(returned.tolist())) / k)
        kth = float(np.min(vectors[truth] @ query))
        rows = np.searchsorted(ids, returned[returned != -1])  # ids are sorted (read in id order)
        tolerant.append(int(np.sum(vectors[rows] @ query >= kth - TIE_EPSILON)) / k)
    return float(np.mean(strict)), float(np.mean(tolerant))


def measure_index(runtime: Runtime, tenant_id: int, queries: np.ndarray) -> dict[str, Any]:
    """Build time, recall@10 against brute force, and one-query search times (index and bare flat)."""
    begin = time.perf_counter()
    with runtime.sessions() as session:
        ids, blobs, _ = repo.active_unit_vectors(session, tenant_id)
    vectors = vectors_from_bytes(blobs, len(blobs[0]) // 4)
    del blobs
    id_array = np.asarray(ids, dtype=np.int64)
    read_s = time.perf_counter() - begin
    begin = time.perf_counter()
    index, kind = build_index(id_array, vectors, vectors.shape[1])
    build_s = time.perf_counter() - begin
    _, exact_rows = faiss.knn(queries, vectors, 10, faiss.METRIC_INNER_PRODUCT)
    _, found = index.search(queries, 10)
    strict, tolerant = recalls(queries, vectors, id_array, exact_rows, found)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    turn = itertools.count()  # one query per call, each of the queries in turn
    search_s = time_calls(lambda: index.search(queries[next(turn) % len(queries)][None], 40), 100, 3.0, 600)
    flat_s = time_calls(lambda: exact.search(queries[next(turn) % len(queries)][None], 40), 5, 5.0, 50)
    return {
        "kind": kind,
        "read_s": read_s,
        "build_s": build_s,
        "recall": tolerant,
        "strict_recall": strict,
        "search_ms": search_s * 1000,
        "flat_ms": flat_s * 1000,
    }


def serve_and_measure(env: dict[str, str], home: Path, headers: dict[str, str]) -> dict[str, Any]:
    """Two workers: path service time from one client, then each worker's memory."""
    server = Server(env, 2, home / f"serve-{time.monotonic_ns()}.log")
    started_servers.append(server)
    try:
        server.wait_ready(300)
        numbers = itertools.count()
        with httpx.Client(base_url=server.base, headers=headers, timeout=300) as client:

            def one_path() -> None:
                answer = client.post(f"/v1/employees/e-{next(numbers) % EMPLOYEES}/path", json=BODY)
                if answer.status_code != 200:
                    raise RuntimeError(f"path request failed: {answer.status_code} {answer.text[:200]}")

            one_path()  # loads the snapshot and BM25 index in the worker that answers
            path_s = time_calls(one_path, 5, PATH_BUDGET_S, PATH_CALLS)
        # Fresh connections from several threads until both workers have mapped the snapshot.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if all(mapped_file_memory(pid, INDEX_FILE)["Rss"] > 0 for pid in server.worker_pids()):
                break
            threads = [
                threading.Thread(
                    target=lambda: httpx.post(
                        f"{server.base}/v1/employees/e-0/path", json=BODY, headers=headers, timeout=300
                    )
                )
                for _ in range(4)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        time.sleep(1.0)
        workers = []
        for pid in server.worker_pids():
            memory = memory_of(pid)
            mapped = mapped_file_memory(pid, INDEX_FILE)
            memory["index_rss"], memory["index_pss"] = mapped["Rss"], mapped["Pss"]
            workers.append(memory)
        return {"path_ms": path_s * 1000, "workers": workers}
    finally:
        server.stop()
        started_servers.remove(server)


def growth(rows: list[dict[str, Any]], key: str) -> str:
    """Each step's factor, e.g. "x3.1, x9.8"."""
    values = [row.get(key) for row in rows]
    factors = [
        f"x{b / a:.1f}" if isinstance(a, float) and isinstance(b, float) and a > 0 else "-"
        for a, b in itertools.pairwise(values)
    ]
    return ", ".join(factors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="micro-units, ascending")
    parser.add_argument("--home-parent", default=tempfile.gettempdir(), help="where the temporary home goes")
    parser.add_argument("--no-serve", action="store_true", help="skip the two-worker server measurements")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    deadline_watchdog(GLOBAL_DEADLINE_S, stop_everything)
    run_started = time.perf_counter()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    encoder = Encoder()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="leerpad-bench-scale-", dir=args.home_parent) as folder:
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
        import_taxonomy(runtime, TENANT, read_default_taxonomy(), origin="default")
        with runtime.sessions() as session:
            tenant_id = repo.get_or_create_tenant(session, TENANT).id
        skills = load_skills(runtime, tenant_id)
        role_skills = skills[:: max(1, len(skills) // ROLE_SKILLS)][:ROLE_SKILLS]
        secret = add_people(runtime, TENANT, [s.key for s in role_skills], SEED, EMPLOYEES)
        headers = {"Authorization": f"Bearer {secret}"}
        pick = np.random.default_rng(SEED)
        chosen = pick.choice(len(skills), min(QUERIES, len(skills)), replace=False)
        queries = np.ascontiguousarray(np.stack([skills[i].vector for i in chosen]), dtype=np.float32)
        print(f"{len(skills)} skills, {len(queries)} queries (skill vectors)", flush=True)

        have = 0
        for size in sizes:
            begin = time.perf_counter()
            insert_catalog(runtime, tenant_id, skills, size - have, encoder.dimension, SEED + size)
            have = size
            insert_s = time.perf_counter() - begin
            begin = time.perf_counter()
            version = publish(runtime, TENANT)
            publish_s = time.perf_counter() - begin
            file_mib = (settings.index_root / TENANT / "snapshots" / str(version) / INDEX_FILE).stat().st_size
            row: dict[str, Any] = {
                "size": size,
                "insert_s": insert_s,
                "publish_s": publish_s,
                "file_mib": file_mib / 2**20,
            }
            row.update(measure_index(runtime, tenant_id, queries))
            row["load"] = os.getloadavg()[0]
            print(
                f"{size:>9,} units: inserted in {insert_s:.0f}s, published in {publish_s:.1f}s; "
                f"{row['kind']} index built in {row['build_s']:.1f}s (vectors read in {row['read_s']:.1f}s), "
                f"{row['file_mib']:.0f} MiB; recall@10 {row['recall']:.4f} (strict, ties counted as misses: {row['strict_recall']:.4f}); search k=40 "
                f"{row['search_ms']:.2f} ms vs flat {row['flat_ms']:.2f} ms; load average {row['load']:.1f}",
                flush=True,
            )
            if not args.no_serve:
                served = serve_and_measure(env, home, headers)
                row["path_ms"] = served["path_ms"]
                row["workers"] = served["workers"]
                row["rss_max"] = max(w["Rss"] for w in served["workers"])
                row["pss_sum"] = sum(w["Pss"] for w in served["workers"])
                for number, memory in enumerate(served["workers"], 1):
                    print(
                        f"{'':>9}  worker {number} of 2: RSS {memory['Rss']:.0f} MiB, PSS {memory['Pss']:.0f} "
                        f"MiB, peak {memory['Peak']:.0f} MiB, index file mapped RSS {memory['index_rss']:.0f} "
                        f"PSS {memory['index_pss']:.0f} MiB",
                        flush=True,
                    )
                print(f"{'':>9}  path service time (median, one client): {row['path_ms']:.1f} ms", flush=True)
            rows.append(row)
        runtime.close()

    print(f"\nwhole run: {time.perf_counter() - run_started:.0f}s")
    print(
        "\n| units | index | publish s | index build s | file MiB | recall@10 (loss) | strict recall@10 "
        "| search ms | flat search ms | max worker RSS MiB | PSS of 2 workers MiB | path ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['size']:,} | {row['kind']} | {row['publish_s']:.1f} | {row['build_s']:.1f} "
            f"| {row['file_mib']:.0f} | {row['recall']:.4f} ({1 - row['recall']:.4f}) | {row['strict_recall']:.4f} "
            f"| {row['search_ms']:.2f} | {row['flat_ms']:.2f} | {row.get('rss_max', float('nan')):.0f} "
            f"| {row.get('pss_sum', float('nan')):.0f} | {row.get('path_ms', float('nan')):.1f} |"
        )
    print("\ngrowth from size to size (" + " -> ".join(f"{r['size']:,}" for r in rows) + "):")
    for key in ("publish_s", "build_s", "file_mib", "search_ms", "flat_ms", "rss_max", "pss_sum", "path_ms"):
        print(f"  {key:<10} {growth(rows, key)}")
    if rows:
        print(f"  units      {growth([{'n': float(r['size'])} for r in rows], 'n')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
