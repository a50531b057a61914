"""Skill tagging speed against its limit, the bare matrix product, measured in the same run.

    .venv/bin/python bench/tagging.py [--items 10000] [--skills 14000] [--repeat 3]

Synthetic and seeded, so every run sees the same data:
  - 10,000 item vectors and 14,000 skill vectors, dimension 384, float32, unit length. The skill
    vectors are random; each item vector is random noise plus three random skills (weights 0.9,
    0.8, 0.7), so items have similarities of about 0.4 to 0.55 with their own skills and about 0
    with the rest, like real items: a tag or two above the 0.45 threshold. (Pure random vectors
    would give no tag at all, and measure only the mask.)
  - 14,000 skills with 3 labels each (two English, one Dutch, one to three words) over a
    vocabulary of made-up words, and 10,000 item texts of about 80 words, each with a few labels
    planted in it.

Prints, as medians of `--repeat` runs:
  (a) embedding_tags time, (b) the limit: the bare `item_vectors @ skill_vectors.T` in the same
      batches into the same kind of buffer, and the ratio a/b (limit: at most 1.5);
  (c) the label matcher's build time and its throughput in items per second.
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

from recommender.tagging import LabelMatcher, SkillLabel, embedding_tags  # noqa: E402

LIMIT_RATIO = 1.5
DIMENSION = 384
BATCH = 2048
THRESHOLD = 0.45
TOP_K = 5
SEED = 20261201
WORDS_PER_TEXT = 80
PLANTED_LABELS = 3
VOCABULARY = 30_000
ONSETS = [
    "",
    "b",
    "d",
    "f",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "w",
    "z",
    "st",
    "tr",
    "sch",
]
VOWELS = ["a", "e", "i", "o", "u", "aa", "ee", "oo", "ij", "ou"]
CODAS = ["", "n", "r", "s", "t", "k", "l", "m", "nd", "rt"]


def unit(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def make_vectors(items: int, skills: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    skill_vectors = unit(rng.standard_normal((skills, DIMENSION), dtype=np.float32))
    noise = unit(rng.standard_normal((items, DIMENSION), dtype=np.float32))
    own = rng.integers(0, skills, size=(items, 3))
    mixed = (
        noise
        + 0.9 * skill_vectors[own[:, 0]]
        + 0.8 * skill_vectors[own[:, 1]]
        + 0.7 * skill_vectors[own[:, 2]]
    )
    return unit(mixed), skill_vectors


def make_words(count: int, rng: np.random.Generator) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        syllables = int(rng.integers(2, 5))
        words.add(
            "".join(
                ONSETS[rng.integers(len(ONSETS))]
                + VOWELS[rng.integers(len(VOWELS))]
                + CODAS[rng.integers(len(CODAS))]
                for _ in range(syllables)
            )
        )
    return sorted(words)


def make_labels(skills: int, words: list[str], rng: np.random.Generator) -> list[SkillLabel]:
    labels = []
    for skill in range(skills):
        for language in ("en", "en", "nl"):
            size = int(rng.choice([1, 2, 3], p=[0.3, 0.5, 0.2]))
            phrase = " ".join(words[i] for i in rng.integers(0, len(words), size=size))
            labels.append(SkillLabel(skill, phrase, language))
    return labels


def make_texts(items: int, words: list[str], labels: list[SkillLabel], rng: np.random.Generator) -> list[str]:
    # Zipf-like word frequencies: a few words are everywhere, most are rare, as in real text.
    ranks = np.arange(1, len(words) + 1)
    weights = 1.0 / ranks
    weights /= weights.sum()
    texts = []
    for _ in range(items):
        body = [words[i] for i in rng.choice(len(words), size=WORDS_PER_TEXT, p=weights)]
        for _ in range(PLANTED_LABELS):
            body.insert(int(rng.integers(0, len(body))), labels[int(rng.integers(len(labels)))].label)
        texts.append(" ".join(body).capitalize() + ".")
    return texts


def time_embedding_tags(items: np.ndarray, skills: np.ndarray, ids: np.ndarray) -> tuple[float, int]:
    start = time.perf_counter()
    tags = embedding_tags(items, skills, ids, threshold=THRESHOLD, top_k=TOP_K, batch=BATCH)
    elapsed = time.perf_counter() - start
    return elapsed, sum(len(row) for row in tags)


def time_bare_product(items: np.ndarray, skills: np.ndarray) -> float:
    """The least any exact tagger must do: every similarity, batch by batch, nothing else."""
    start = time.perf_counter()
    skills_t = skills.T
    buffer = np.empty((min(BATCH, items.shape[0]), skills.shape[0]), dtype=np.float32)
    for first in range(0, items.shape[0], BATCH):
        block = items[first : first + BATCH]
        np.matmul(block, skills_t, out=buffer[: block.shape[0]])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--skills", type=int, default=14_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)

    items, skills = make_vectors(args.items, args.skills, rng)
    ids = np.arange(args.skills, dtype=np.int64)
    print(f"vectors: {args.items} items x {args.skills} skills, dimension {DIMENSION}, batch {BATCH}")
    time_bare_product(items[:BATCH], skills)  # warm-up: BLAS threads, page faults
    tagged, bare, tag_count = [], [], 0
    for run in range(args.repeat):
        tag_seconds, tag_count = time_embedding_tags(items, skills, ids)
        bare_seconds = time_bare_product(items, skills)
        tagged.append(tag_seconds)
        bare.append(bare_seconds)
        print(f"run {run + 1}: embedding_tags {tag_seconds:.3f}s  bare product {bare_seconds:.3f}s")
    tag_median, bare_median = statistics.median(tagged), statistics.median(bare)
    ratio = tag_median / bare_median
    verdict = "OK" if ratio <= LIMIT_RATIO else "OVER THE LIMIT"
    print(
        f"tags found: {tag_count} ({tag_count / args.items:.2f} per item, threshold {THRESHOLD}, top_k {TOP_K})"
    )
    print(
        f"embedding tagging: {tag_median:.3f} s, bare matrix product: {bare_median:.3f} s, "
        f"ratio X/Y = {ratio:.3f} (limit: <= {LIMIT_RATIO}) {verdict}"
    )

    words = make_words(VOCABULARY, rng)
    labels = make_labels(args.skills, words, rng)
    texts = make_texts(args.items, words, labels, rng)
    print(
        f"\nlabels: {len(labels)} for {args.skills} skills; texts: {len(texts)} of ~{WORDS_PER_TEXT + PLANTED_LABELS * 2} words"
    )
    builds, rates, rates_nl, hits = [], [], [], 0
    for run in range(args.repeat):
        start = time.perf_counter()
        matcher = LabelMatcher(labels)
        builds.append(time.perf_counter() - start)
        # A fresh matcher each run, so every run pays for its own stemming (nothing cached).
        start = time.perf_counter()
        hits = sum(len(matcher.match(text)) for text in texts)
        rates.append(len(texts) / (time.perf_counter() - start))
        start = time.perf_counter()
        for text in texts:
            matcher.match(text, language="nl")
        rates_nl.append(len(texts) / (time.perf_counter() - start))
        print(
            f"run {run + 1}: build {builds[-1]:.2f}s  match (language unknown) {rates[-1]:.0f} items/s  "
            f"match (nl, stems cached) {rates_nl[-1]:.0f} items/s"
        )
    print(f"label matches: {hits} ({hits / len(texts):.2f} skills per item, {PLANTED_LABELS} labels planted)")
    print(
        f"label matcher: build {statistics.median(builds):.2f} s, "
        f"{statistics.median(rates):.0f} items/s with the language unknown (both stemmers, cold cache), "
        f"{statistics.median(rates_nl):.0f} items/s for Dutch text (warm cache)"
    )


if __name__ == "__main__":
    main()
