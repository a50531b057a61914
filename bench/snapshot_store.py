"""What sharing a snapshot through LEERPAD_SNAPSHOT_STORE costs: upload, download and switch of a
100,000-unit snapshot through a directory and through an S3-compatible server (moto, over HTTP on
127.0.0.1), against a plain local copy of the same files.

    .venv/bin/python bench/snapshot_store.py [--units 100000] [--rounds 5]

A snapshot of --units random unit vectors of 384 dimensions (the default encoder's width; HNSW from
50,000 units, as published for real) with the BM25 index of one synthetic sentence per unit is
published once. Then, --rounds times for each store:

- upload: `publish_to_store`, every file of the version folder and CURRENT last (to a new prefix);
- download: `follow_store` into an empty local cache: download, verify every checksum, rename,
  move the local CURRENT;
- switch: load the downloaded snapshot as a worker does (verify, map the FAISS file, read BM25).

Limit, measured in the same run: `shutil.copytree` of the same folder on the same disk, the least a
copy can cost here. Ratio printed: median upload (download) / median local copy. Medians printed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np

from ingest.shared_snapshots import ObjectStore, follow_store, open_store, publish_to_store
from recommender.index import SnapshotStore
from recommender.lexical import LexicalIndex
from tests.support.s3 import new_bucket, s3_server

DIMENSION = 384
WORDS = ["vergadering", "spreadsheet", "feedback", "planning", "python", "sql", "veiligheid", "klant"]


def build(root: Path, units: int) -> SnapshotStore:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(units, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(1, units + 1, dtype=np.int64)
    texts = [
        (int(i), f"Les {i} over {WORDS[i % len(WORDS)]} en {WORDS[(i * 7) % len(WORDS)]} deel {i % 97}", "nl")
        for i in ids
    ]
    store = SnapshotStore(root)
    started = time.perf_counter()
    store.publish(
        ids, vectors, model="bench", dimension=DIMENSION, catalog_version=1, lexical=LexicalIndex.build(texts)
    )
    print(f"published {units:,} units in {time.perf_counter() - started:.1f} s (not counted below)")
    return store


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(
    name: str, make_remote: Callable[[int], ObjectStore], source: SnapshotStore, work: Path, rounds: int
) -> dict[str, float]:
    upload, download, switch = [], [], []
    for n in range(rounds):
        remote = make_remote(n)
        upload.append(timed(lambda remote=remote: publish_to_store(source, remote, "bench")))
        reader = SnapshotStore(work / f"{name}-reader-{n}")
        download.append(timed(lambda remote=remote, reader=reader: follow_store(reader, remote, "bench")))

        def load(reader: SnapshotStore = reader) -> None:
            snapshot = reader.load()
            assert snapshot is not None and snapshot.lexical() is not None

        switch.append(timed(load))
        shutil.rmtree(reader.root)
    return {
        "upload": statistics.median(upload),
        "download": statistics.median(download),
        "switch": statistics.median(switch),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leerpad-bench-store-") as tmp:
        work = Path(tmp)
        source = build(work / "writer", args.units)
        folder = source.snapshots / str(source.current_version())
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(f"snapshot folder: {size / 1e6:.1f} MB ({', '.join(sorted(p.name for p in folder.iterdir()))})")
        copies = []
        for n in range(args.rounds):
            copies.append(timed(lambda n=n: shutil.copytree(folder, work / f"copy-{n}")))
            shutil.rmtree(work / f"copy-{n}")
        copy = statistics.median(copies)
        print(f"limit: local copy (shutil.copytree), median of {args.rounds}: {copy:.2f} s")
        results = {
            "directory": measure(
                "directory", lambda n: open_store(str(work / f"shared-{n}")), source, work, args.rounds
            )
        }
        with s3_server() as endpoint:
            results["S3 (moto server, HTTP)"] = measure(
                "s3",
                lambda n: open_store(f"s3://{new_bucket(endpoint)}/leerpad", endpoint),
                source,
                work,
                args.rounds,
            )
        print(f"\nmedians of {args.rounds} rounds, {args.units:,} units:")
        print(
            "| store | upload s | download, verify, move CURRENT s | load in a worker s | upload / copy | download / copy |"
        )
        print("|---|---|---|---|---|---|")
        for name, figures in results.items():
            print(
                f"| {name} | {figures['upload']:.2f} | {figures['download']:.2f} | {figures['switch']:.2f} "
                f"| {figures['upload'] / copy:.1f} | {figures['download'] / copy:.1f} |"
            )


if __name__ == "__main__":
    main()
