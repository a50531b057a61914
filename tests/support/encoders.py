"""The test encoders: the real model remembering its vectors for the session, and a counting wrapper."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from recommender.embedding import EncodeKind, Encoder


class SessionEncoder(Encoder):
    """The real model, remembering each text's vector for the rest of the session: dozens of tests
    import the bundled taxonomy (149 skills, about 5 s of CPU to embed) or the same small catalog
    into a tenant of their own, and a deterministic model gives a text the same vector every time.
    Tests that count what is sent to the encoder wrap it (CountingEncoder) and still see every text.
    Inside `computing()` every text goes through the model, for tests about encoding itself."""

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self._memo: dict[tuple[str, str], np.ndarray] = {}
        self._computing = False

    def encode(
        self, texts: Sequence[str], progress: bool = False, kind: EncodeKind = "passage"
    ) -> np.ndarray:
        if self._computing or not texts:
            return super().encode(texts, progress=progress, kind=kind)
        texts = list(texts)
        missing = [text for text in dict.fromkeys(texts) if (kind, text) not in self._memo]
        if missing:
            vectors = super().encode(missing, progress=progress, kind=kind)
            self._memo.update(((kind, text), vector) for text, vector in zip(missing, vectors, strict=True))
        return np.stack([self._memo[(kind, text)] for text in texts])

    @contextmanager
    def computing(self) -> Iterator[None]:
        self._computing = True
        try:
            yield
        finally:
            self._computing = False


class CountingEncoder:
    """The real encoder, counting what it is asked to encode (and optionally failing)."""

    def __init__(self, inner: Encoder, fail: bool = False) -> None:
        self.inner, self.fail, self.texts = inner, fail, 0
        self.name, self.dimension = inner.name, inner.dimension

    def encode(
        self, texts: Sequence[str], progress: bool = False, kind: EncodeKind = "passage"
    ) -> np.ndarray:
        if self.fail:
            raise RuntimeError("encoder crashed")
        self.texts += len(texts)
        return self.inner.encode(texts, kind=kind)
