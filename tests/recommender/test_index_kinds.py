"""Index kinds by catalog size: flat, HNSW and IVF over float16 chosen by the policy's thresholds, IVF's recall
close to exact search, and IVF snapshots published, mapped and searched like the others."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recommender.index import IndexPolicy, SnapshotStore, build_index, ivf_lists

DIM = 32
SMALL_POLICY = IndexPolicy(hnsw_from=1_000, ivf_from=3_000)


def clustered(n: int, topics: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors mixing random noise with one of a few topic vectors (as bench/_synthetic.py's
    catalog does), and the topic vectors, the realistic queries."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(topics, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = rng.normal(size=(n, DIM)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    weights = rng.uniform(0.0, 1.0, (n, 1)).astype(np.float32)
    mixed = (1.0 - weights) * noise + weights * centres[rng.integers(0, topics, n)]
    return mixed / np.linalg.norm(mixed, axis=1, keepdims=True), centres


def test_the_policy_chooses_the_kind_by_size() -> None:
    assert [SMALL_POLICY.kind(n) for n in (0, 999, 1_000, 2_999, 3_000)] == [
        "flat",
        "flat",
        "hnsw",
        "hnsw",
        "ivf-fp16",
    ]
    assert IndexPolicy().kind(49_999) == "flat" and IndexPolicy().kind(1_000_000) == "ivf-fp16"


def test_ivf_lists_keep_enough_training_vectors_each() -> None:
    assert ivf_lists(1_000_000) == 2_000
    assert ivf_lists(4_000) * 39 <= 4_000
    assert ivf_lists(10) == 1


def test_ivf_recall_at_10_is_close_to_exact_search() -> None:
    """A returned unit is a hit when its exact score is within 1e-4 of the exact 10th best: float16
    vectors may reorder near-equal scores (bench/scale.py counts ties within 1e-3)."""
    vectors, queries = clustered(6_000)
    ids = np.arange(1_000, 7_000, dtype=np.int64)
    exact, exact_kind = build_index(ids, vectors, DIM)
    ivf, kind = build_index(ids, vectors, DIM, SMALL_POLICY)
    assert (exact_kind, kind) == ("flat", "ivf-fp16")
    best, _ = exact.search(queries, 10)
    _, found = ivf.search(queries, 10)
    assert set(found.ravel().tolist()) <= set(ids.tolist())
    scores = np.einsum("qkd,qd->qk", vectors[found - 1_000], queries)
    recall = float(np.mean(scores >= best[:, 9:10] - 1e-4))
    assert recall >= 0.98


def test_an_ivf_snapshot_is_published_mapped_and_searched(tmp_path: Path) -> None:
    vectors, _ = clustered(3_500, seed=3)
    ids = np.arange(100, 3_600, dtype=np.int64)
    store = SnapshotStore(tmp_path, SMALL_POLICY)
    manifest = store.publish(ids, vectors, model="m", dimension=DIM, catalog_version=1)
    assert manifest.index_type == "ivf-fp16" and manifest.count == 3_500
    snapshot = SnapshotStore(tmp_path).load()  # the reader's policy does not matter: the manifest says
    assert snapshot is not None and snapshot.count == 3_500
    hits = snapshot.search(vectors[:20], 1)
    assert np.mean([row[0].unit_id == unit for row, unit in zip(hits, ids[:20], strict=True)]) >= 0.9
    assert all(len(row) == 40 for row in snapshot.search(vectors[:3], 40))
