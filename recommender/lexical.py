"""An in-memory BM25 index over micro-unit texts in Dutch and English: the lexical half of hybrid retrieval.

Why: the bundled sentence model is English, so a Dutch question ("vergaderingen voorzitten") needs
a signal that matches words. Texts are tokenised exactly as the skill tagger does
(`tagging.normalise_tokens`), stopwords of the text's language are dropped, and each remaining word
is stemmed with its language's Snowball stemmer (Dutch for 'nl', English for everything else), so
"vergaderingen" finds "vergadering". Only plain words are stemmed; "node.js" and "c++" stay whole.

Scoring is Okapi BM25 with k1 = 1.2 and b = 0.75. For a query with terms t and a document d of
length |d| (its tokens after stopword removal) in a collection of N documents of mean length avgdl:

    score(d) = sum over t of idf(t) * tf(t, d) * (k1 + 1) / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl))
    idf(t)   = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

This idf (Lucene's) stays positive for terms in more than half the documents, so a common word
never lowers a score. Each distinct query term counts once. With no query language, the query is
stemmed in both Dutch and English and the union of terms is searched.

Storage: postings in compressed-row form, a term's postings being a slice of two flat arrays
(document positions and term frequencies), found through `vocabulary` (term -> term number) and
`offsets`. A search adds each query term's contribution into one dense score array with numpy, so
it costs the length of the query terms' postings plus one pass over N floats.

`to_bytes` writes a magic string, a format version and a JSON header (parameters, vocabulary,
array layout) followed by the raw little-endian arrays: no pickle, so a snapshot read from disk
cannot run code. Each published FAISS snapshot stores one beside it (recommender/index.py).
"""

from __future__ import annotations

import json
import struct
import threading
from array import array
from collections.abc import Callable, Iterable

import numpy as np

from recommender.tagging import STOPWORDS, language_code, make_stemmer, normalise_tokens

K1 = 1.2
B = 0.75
FORMAT_VERSION = 1
MAGIC = b"LPBM25\x00\x00"
STEM_CACHE_SIZE = 50_000  # remembered query-word stems per index, cleared when full
QUERY_LANGUAGES = ("nl", "en")  # stemmers tried when a query's language is unknown
_DEFAULT_LANGUAGE = "en"  # texts in any other language are stemmed as English
_HEADER_LENGTH = struct.Struct("<I")
_ARRAYS = {  # name -> stored dtype (explicitly little-endian)
    "unit_ids": "<i8",
    "doc_lengths": "<i4",
    "offsets": "<i8",
    "postings": "<i4",
    "frequencies": "<i4",
}


def _stem_language(language: str | None) -> str:
    """'nl', 'nl-BE' -> 'nl'; anything else (also no language) -> 'en'."""
    return "nl" if language_code(language) == "nl" else _DEFAULT_LANGUAGE


def _stemmer(language: str) -> Callable[[str], str]:
    stem = make_stemmer(language)
    if stem is None:  # pragma: no cover - both languages have a snowball stemmer
        raise ValueError(f"no stemmer for {language!r}")
    return stem


class LexicalIndex:
    """BM25 over (unit id, text, language) documents; immutable once built, safe to search from threads."""

    def __init__(
        self,
        unit_ids: np.ndarray,
        doc_lengths: np.ndarray,
        vocabulary: dict[str, int],
        offsets: np.ndarray,
        postings: np.ndarray,
        frequencies: np.ndarray,
        k1: float = K1,
        b: float = B,
    ) -> None:
        """Use `build` or `from_bytes`; this only checks that the arrays fit together."""
        n_terms = len(vocabulary)
        if offsets.shape != (n_terms + 1,) or (n_terms and offsets[0] != 0):
            raise ValueError("offsets do not match the vocabulary")
        if postings.shape != frequencies.shape or int(offsets[-1]) != postings.shape[0]:
            raise ValueError("postings, frequencies and offsets disagree in length")
        if unit_ids.shape != doc_lengths.shape:
            raise ValueError("unit ids and document lengths disagree in length")
        if postings.size and (int(postings.min()) < 0 or int(postings.max()) >= unit_ids.shape[0]):
            raise ValueError("a posting points outside the documents")
        self.k1 = float(k1)
        self.b = float(b)
        self.unit_ids = unit_ids
        self.doc_lengths = doc_lengths
        self.vocabulary = vocabulary
        self.offsets = offsets
        self.postings = postings
        self.frequencies = frequencies
        n_docs = unit_ids.shape[0]
        document_frequency = np.diff(offsets).astype(np.float64)
        self._idf = np.log1p((n_docs - document_frequency + 0.5) / (document_frequency + 0.5))
        mean_length = float(doc_lengths.mean()) if n_docs else 0.0
        # The length part of the BM25 denominator, once per document.
        relative = doc_lengths / mean_length if mean_length > 0 else np.ones(n_docs)
        self._length_norm = (self.k1 * (1.0 - self.b + self.b * relative)).astype(np.float32)
        # unit id -> document number, by binary search (label_coverage runs per gap on every path)
        self._id_order = np.argsort(unit_ids, kind="stable")
        self._sorted_ids = unit_ids[self._id_order]
        # snowball stemmers keep state while stemming a word, so threads take turns; queries repeat
        # (the same skill labels for every employee of a role), so stems are remembered, boundedly.
        self._stem_lock = threading.Lock()
        self._stemmers = {language: _stemmer(language) for language in QUERY_LANGUAGES}
        self._stems: dict[tuple[str, str], str] = {}

    # -- building ------------------------------------------------------------------------------------

    @classmethod
    def build(cls, docs: Iterable[tuple[int, str, str]]) -> LexicalIndex:
        """Index (unit id, text, language) documents; ids must be distinct.

        Each distinct (language, word) is stemmed once and mapped straight to a term number, so
        the work per word is one dictionary look-up; postings are then grouped with one numpy sort.
        """
        vocabulary: dict[str, int] = {}
        # per stemming language: casefolded token -> term number, or -1 for a stopword
        token_terms: dict[str, dict[str, int]] = {language: {} for language in QUERY_LANGUAGES}
        stemmers = {language: _stemmer(language) for language in QUERY_LANGUAGES}
        unit_ids = array("q")
        doc_lengths = array("i")
        terms = array("i")
        for unit_id, text, language in docs:
            stem_language = _stem_language(language)
            known = token_terms[stem_language]
            stopwords = STOPWORDS[stem_language]
            stem = stemmers[stem_language]
            tokens = normalise_tokens(text)
            for token in tokens:
                if token not in known:  # first sight of this word in this language
                    if token in stopwords:
                        known[token] = -1
                    else:
                        stemmed = stem(token) if token.isalpha() else token
                        known[token] = vocabulary.setdefault(stemmed, len(vocabulary))
            doc_terms = [term for term in map(known.__getitem__, tokens) if term >= 0]
            unit_ids.append(int(unit_id))
            doc_lengths.append(len(doc_terms))
            terms.extend(doc_terms)

        ids = np.frombuffer(unit_ids, dtype=np.int64).copy() if unit_ids else np.zeros(0, np.int64)
        if np.unique(ids).shape[0] != ids.shape[0]:
            raise ValueError("unit ids must be distinct")
        lengths = np.frombuffer(doc_lengths, dtype=np.int32).copy() if doc_lengths else np.zeros(0, np.int32)
        term_array = np.frombuffer(terms, dtype=np.int32) if terms else np.zeros(0, np.int32)
        stride = max(1, ids.shape[0])
        docs_of_terms = np.repeat(np.arange(ids.shape[0], dtype=np.int64), lengths)
        # One key per (term, document) occurrence; sorting groups by term, then document.
        keys, counts = np.unique(term_array.astype(np.int64) * stride + docs_of_terms, return_counts=True)
        key_terms = keys // stride
        offsets = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(key_terms, minlength=len(vocabulary)), out=offsets[1:])
        postings = (keys - key_terms * stride).astype(np.int32)
        return cls(ids, lengths, vocabulary, offsets, postings, counts.astype(np.int32))

    # -- searching -----------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of indexed documents."""
        return int(self.unit_ids.shape[0])

    def query_terms(self, query: str, language: str | None = None) -> list[str]:
        """The distinct stems a query searches for: its language's, or Dutch and English ones together."""
        tokens = normalise_tokens(query)
        languages = QUERY_LANGUAGES if not language_code(language) else (_stem_language(language),)
        found: dict[str, None] = {}  # ordered set
        with self._stem_lock:
            if len(self._stems) > STEM_CACHE_SIZE:
                self._stems.clear()
            for code in languages:
                stopwords = STOPWORDS[code]
                stem = self._stemmers[code]
                for token in tokens:
                    if token in stopwords:
                        continue
                    if not token.isalpha():
                        found[token] = None
                        continue
                    stemmed = self._stems.get((code, token))
                    if stemmed is None:
                        stemmed = self._stems[(code, token)] = stem(token)
                    found[stemmed] = None
        return list(found)

    def search(self, query: str, k: int, language: str | None = None) -> list[tuple[int, float]]:
        """The k best (unit id, BM25 score), best first; ties go to the lower unit id.

        Only documents that contain a query term are returned, so fewer than k may come back.
        """
        if k < 0:
            raise ValueError(f"k must not be negative, got {k}")
        term_numbers = [
            self.vocabulary[term] for term in self.query_terms(query, language) if term in self.vocabulary
        ]
        if k == 0 or not term_numbers or self.size == 0:
            return []
        scores = np.zeros(self.size, dtype=np.float32)
        numerator = self.k1 + 1.0
        for term in term_numbers:
            start, end = int(self.offsets[term]), int(self.offsets[term + 1])
            docs = self.postings[start:end]
            tf = self.frequencies[start:end].astype(np.float32)
            # A term's postings hold each document once, so fancy-index += is safe here.
            scores[docs] += np.float32(self._idf[term]) * tf * numerator / (tf + self._length_norm[docs])
        hits = np.flatnonzero(scores > 0)
        if hits.shape[0] > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hit_ids = self.unit_ids[hits]
        order = np.lexsort((hit_ids, -scores[hits]))
        return [
            (int(unit), float(score))
            for unit, score in zip(hit_ids[order].tolist(), scores[hits][order].tolist(), strict=True)
        ]

    def label_coverage(
        self, labels: Iterable[str], unit_ids: Iterable[int], language: str | None = None
    ) -> dict[int, float]:
        """unit id -> how much of the best-matching label the unit contains, 0..1.

        For one label, stemmed in one language (each of Dutch and English when `language` is not
        given): the idf-weighted share of its distinct terms that occur in the unit, so
        "incident management" found only through "management" scores low however high its BM25
        rank. BM25 ranks; this says whether a hit is really about the label. A label term the
        index has never seen counts with the highest idf possible (nobody has it).
        """
        wanted = np.asarray(sorted(set(unit_ids)), dtype=np.int64)
        coverage = {int(unit): 0.0 for unit in wanted.tolist()}
        if wanted.size == 0 or self.size == 0:
            return coverage
        found = np.minimum(np.searchsorted(self._sorted_ids, wanted), self.size - 1)
        known = self._sorted_ids[found] == wanted
        positions = self._id_order[found[known]]  # document numbers of the wanted units
        units = wanted[known]
        unseen_idf = float(np.log1p((self.size + 0.5) / 0.5))
        languages = QUERY_LANGUAGES if not language_code(language) else (_stem_language(language),)
        for label, code in ((label, code) for label in labels for code in languages):
            terms = self.query_terms(label, code)
            if not terms:
                continue
            total = 0.0
            matched = np.zeros(positions.shape[0], dtype=np.float64)
            for term in terms:
                number = self.vocabulary.get(term)
                if number is None:
                    total += unseen_idf
                    continue
                idf = float(self._idf[number])
                total += idf
                matched += idf * self._contains(number, positions)
            if total <= 0:
                continue
            for unit, share in zip(units.tolist(), (matched / total).tolist(), strict=True):
                coverage[int(unit)] = max(coverage[int(unit)], float(share))
        return coverage

    def _contains(self, term: int, positions: np.ndarray) -> np.ndarray:
        """Which of these document numbers hold the term: a binary search in its postings, which
        `build` leaves sorted by document (a common term's postings run to tens of thousands)."""
        docs = self.postings[int(self.offsets[term]) : int(self.offsets[term + 1])]
        if docs.shape[0] == 0:
            return np.zeros(positions.shape[0], dtype=bool)
        places = np.minimum(np.searchsorted(docs, positions), docs.shape[0] - 1)
        found: np.ndarray = docs[places] == positions
        return found

    # -- serialisation ------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """MAGIC, then a uint32 header length, a JSON header, and the arrays in the header's order."""
        layout = []
        blobs = []
        position = 0
        for name, dtype in _ARRAYS.items():
            data = np.ascontiguousarray(getattr(self, name), dtype=dtype).tobytes()
            layout.append({"name": name, "dtype": dtype, "offset": position, "nbytes": len(data)})
            blobs.append(data)
            position += len(data)
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        header = json.dumps(
            {
                "format": "leerpad-bm25",
                "version": FORMAT_VERSION,
                "k1": self.k1,
                "b": self.b,
                "documents": self.size,
                "terms": terms,
                "arrays": layout,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        return b"".join([MAGIC, _HEADER_LENGTH.pack(len(header)), header, *blobs])

    @classmethod
    def from_bytes(cls, data: bytes) -> LexicalIndex:
        """Read what `to_bytes` wrote; refuses another format or version, or a cut-off payload."""
        if not data.startswith(MAGIC):
            raise ValueError("not a Leerpad BM25 index")
        start = len(MAGIC) + _HEADER_LENGTH.size
        if len(data) < start:
            raise ValueError("BM25 index truncated in its header")
        (header_length,) = _HEADER_LENGTH.unpack_from(data, len(MAGIC))
        try:
            header = json.loads(data[start : start + header_length].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"BM25 index header unreadable: {exc}") from exc
        if header.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"BM25 index format version {header.get('version')!r}, expected {FORMAT_VERSION}"
            )
        body = memoryview(data)[start + header_length :]
        arrays: dict[str, np.ndarray] = {}
        for spec in header["arrays"]:
            name, dtype, offset, nbytes = spec["name"], spec["dtype"], spec["offset"], spec["nbytes"]
            if name not in _ARRAYS or dtype != _ARRAYS[name] or offset + nbytes > len(body):
                raise ValueError(f"BM25 index array {name!r} is malformed or truncated")
            arrays[name] = np.frombuffer(body[offset : offset + nbytes], dtype=dtype).astype(
                np.dtype(dtype).newbyteorder("=")
            )
        if set(arrays) != set(_ARRAYS):
            raise ValueError("BM25 index lacks arrays")
        vocabulary = {term: number for number, term in enumerate(header["terms"])}
        if len(vocabulary) != len(header["terms"]) or arrays["unit_ids"].shape[0] != header["documents"]:
            raise ValueError("BM25 index header disagrees with its arrays")
        return cls(
            arrays["unit_ids"],
            arrays["doc_lengths"],
            vocabulary,
            arrays["offsets"],
            arrays["postings"],
            arrays["frequencies"],
            k1=header["k1"],
            b=header["b"],
        )
