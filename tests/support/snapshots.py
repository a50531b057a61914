"""Index snapshots of random unit vectors, and damage done to their files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recommender.index import SnapshotStore
from recommender.lexical import LexicalIndex

DIM = 16


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(n, DIM)).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def publish(
    store: SnapshotStore,
    n: int,
    seed: int = 0,
    catalog_version: int = 1,
    lexical: LexicalIndex | None = None,
):
    """A snapshot of `n` random unit vectors with ids 100, 101, ..."""
    ids = np.arange(100, 100 + n, dtype=np.int64)
    return store.publish(
        ids,
        unit_vectors(n, seed),
        model="m",
        dimension=DIM,
        catalog_version=catalog_version,
        lexical=lexical,
    )


def unit_texts(n: int) -> list[tuple[int, str, str]]:
    """One document per id that `publish` uses, alternately Dutch and English, each with a unique word."""
    return [
        (
            100 + i,
            f"Vergaderingen leiden, deel {i} woord{i}" if i % 2 else f"Leading meetings, part {i} word{i}",
            "nl" if i % 2 else "en",
        )
        for i in range(n)
    ]


def damage(path: Path, how: str) -> bytes:
    """Truncate the file or flip one byte in its middle; returns the original bytes."""
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 3])
    else:
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(flipped))
    return data
