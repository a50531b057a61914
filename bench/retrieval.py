"""Skill retrieval quality (dense, lexical, fused) on real English and Dutch data, and BM25 speed at scale.

    .venv/bin/python bench/retrieval.py [--data ../shared/data] [--scale 100000] [--repeat 3]

(a) Quality, the numbers the hybrid-retrieval choice rests on: `evaluate_skill_retrieval` with the
    real bundled encoder on (1) the 165-item Coursera sample: each skill tag that at least 3 items
    declare is a query, its items are the relevant set, the tags are held out of the indexed text;
    and (2) every other Dutch ESCO occupation, every 8th alternative job title a query for its
    occupation. Limits: fused recall@10 and nDCG@10 at least max(dense, lexical) - 0.01 on English
    tags, at least max(dense, lexical) + 0.01 on Dutch titles.
(b) Speed: `LexicalIndex.build` on `--scale` synthetic documents of about 150 words (half Dutch,
    half English, Zipf-distributed made-up words, seeded) against a limit of 60 s, and the median
    query time of 200 three-word queries, set beside an exact FAISS flat search of the same number
    of 384-dimension vectors measured in the same run (the dense half of the same request).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recommender.evaluation import (
    METHOD_DENSE,
    METHOD_FUSED,
    METHOD_LEXICAL,
    coursera_csv_items,
    esco_occupation_items,
    evaluate_skill_retrieval,
    format_table,
)
from recommender.lexical import LexicalIndex  # noqa: E402

SEED = 20261202
BUILD_LIMIT_S = 60.0
MARGIN = 0.01
WORDS_PER_DOC = 150
QUERIES = 200
DIMENSION = 384


def quality(data: Path) -> None:
    from recommender.embedding import Encoder

    encoder = Encoder()
    sets = [
        ("Coursera sample (en)", coursera_csv_items(data / "coursera_sample" / "coursera.csv"), 3, -MARGIN),
        (
            "ESCO occupations (nl)",
            esco_occupation_items(data / "esco" / "occupations_nl.csv", query_every=8, item_every=2),
            1,
            +MARGIN,
        ),
    ]
    for name, items, min_items, margin in sets:
        started = time.perf_counter()
        report = evaluate_skill_retrieval(items, encoder.encode, k=10, min_items=min_items)
        elapsed = time.perf_counter() - started
        info = report["data"]
        print(f"(a) skill retrieval, {name}: {info['items']:.0f} items, {info['queries']:.0f} queries")
        print(format_table(report))
        for metric in ("recall@10", "ndcg@10"):
            best_part = max(report[METHOD_DENSE][metric], report[METHOD_LEXICAL][metric])
            fused = report[METHOD_FUSED][metric]
            verdict = "OK" if fused >= best_part + margin else "BELOW LIMIT"
            print(
                f"fused {metric} {fused:.3f} vs best part {best_part:.3f} "
                f"(limit >= best {margin:+.2f}): {verdict}"
            )
        print(f"(encoding + evaluation: {elapsed:.1f}s)\n")


def synthetic_docs(count: int, rng: np.random.Generator) -> tuple[list[tuple[int, str, str]], list[str]]:
    """Made-up words with Dutch-looking and English-looking endings, Zipf frequencies."""
    stems = [
        "".join(rng.choice(list("bdfghklmnprstvaeiou"), size=int(rng.integers(3, 8)))) for _ in range(40_000)
    ]
    endings = {"nl": ["", "en", "ing", "ingen", "heid", "lijk"], "en": ["", "s", "ing", "ed", "ment", "ly"]}
    ranks = np.minimum(rng.zipf(1.3, size=count * WORDS_PER_DOC), len(stems)) - 1
    suffixes = rng.integers(0, 6, size=count * WORDS_PER_DOC)
    docs = []
    for number in range(count):
        language = "nl" if number % 2 else "en"
        ending = endings[language]
        span = slice(number * WORDS_PER_DOC, (number + 1) * WORDS_PER_DOC)
        words = [
            stems[r] + ending[s] for r, s in zip(ranks[span].tolist(), suffixes[span].tolist(), strict=True)
        ]
        docs.append((number, " ".join(words), language))
    queries = [" ".join(stems[int(r)] for r in rng.integers(0, 2_000, size=3)) for _ in range(QUERIES)]
    return docs, queries


def speed(count: int, repeat: int) -> None:
    rng = np.random.default_rng(SEED)
    docs, queries = synthetic_docs(count, rng)
    builds = []
    index = None
    for _ in range(repeat):
        started = time.perf_counter()
        index = LexicalIndex.build(docs)
        builds.append(time.perf_counter() - started)
    assert index is not None
    blob = index.to_bytes()
    started = time.perf_counter()
    LexicalIndex.from_bytes(blob)
    load = time.perf_counter() - started
    times = []
    for query in queries:
        started = time.perf_counter()
        index.search(query, 10)
        times.append(time.perf_counter() - started)

    import faiss

    vectors = rng.standard_normal((count, DIMENSION), dtype=np.float32)
    faiss.normalize_L2(vectors)
    flat = faiss.IndexFlatIP(DIMENSION)
    flat.add(vectors)
    probes = vectors[:50].copy()
    flat_times = []
    for row in range(probes.shape[0]):
        started = time.perf_counter()
        flat.search(probes[row : row + 1], 10)
        flat_times.append(time.perf_counter() - started)

    build = statistics.median(builds)
    query_ms = statistics.median(times) * 1000
    flat_ms = statistics.median(flat_times) * 1000
    print(f"(b) BM25 at scale: {count:,} docs of {WORDS_PER_DOC} words, {len(index.vocabulary):,} terms")
    print(
        f"build: {build:.1f}s median of {repeat} (limit {BUILD_LIMIT_S:.0f}s): ratio {build / BUILD_LIMIT_S:.3f}"
    )
    print(f"serialised: {len(blob) / 1e6:.1f} MB, loaded back in {load:.2f}s")
    print(
        f"query: median {query_ms:.2f} ms, p95 {np.percentile(times, 95) * 1000:.2f} ms; "
        f"FAISS flat search of {count:,} vectors: {flat_ms:.2f} ms; ratio {query_ms / flat_ms:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--scale", type=int, default=100_000, help="synthetic documents for (b); 0 skips it")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    if not args.skip_quality:
        quality(args.data)
    if args.scale:
        speed(args.scale, args.repeat)


if __name__ == "__main__":
    main()
