"""Tagging catalog items with the skills they teach: declared, found by label, or found by embedding.

Three signals, combined by `combine_tags`:

- **declared**: skills the source catalog names for the item (Coursera skills, a CSV `skills`
  column), resolved to skill ids with `LabelMatcher.resolve`. Trusted most.
- **label**: a skill label (Dutch or English, from ESCO or the company) found in the item's text by
  `LabelMatcher.match`. Stemmed, so "queries" finds "query" and "presentaties" finds "presentatie".
- **embedding**: cosine similarity between the item's vector and each skill's vector
  (`embedding_tags`); catches items that teach a skill without naming it. Vectors are cached, so
  a skill created later is matched against the whole catalog at once (`items_for_skill`).

Label confidence (`LabelMatcher.match`), per skill the best of its labels' hits:

    base      0.60 for a one-word label, 0.75 for two words, 0.85 for three or more
    +0.10     the label occurs twice or more in the text
    -0.10     the label names 3 or more skills (ambiguous, so it says less about any one of them)
    -0.10     the label's language is not the text's (only when the text's language is given)
    0.50      a one-word label of 5+ characters found inside a Dutch compound word (fixed)
    capped at 0.95, so a declared skill (0.95 or more) always ranks at least as high
    x0.80     a mention (`as_mention`): the label stands only in the body, not the title, and the
              item's meaning does not agree with the skill (0.85 x 0.8 = 0.68, below a step's bar)

No label runs over the end of a sentence, heading or list entry. Each match keeps the text's own
words (`LabelMatch.phrase`), so an explanation quotes what the text says ("retention analysis"),
never the skill's label when the text did not use it.

Labels of at most two characters ("R", "Go", "C#", "AI") match only the exact token in the
original case, since "r" or "go" in prose mean nothing; an all-lowercase short label cannot be
told from prose and is not matched at all, nor is a label made only of stopwords. Overlapping
labels all count: "project management" in a text also tags a skill labelled "management".

Embedding threshold: a sixth of the way from the encoder's floor to a clear match
(`embedding_threshold`; all-MiniLM-L6-v2: 0.40 + 0.30 / 6 = 0.45), so every model's cosine scale
gives the threshold the same meaning (recommender.embedding.CALIBRATIONS).

Embedding confidence: similarity s at or above the threshold t maps linearly onto 0.4..0.9,
`clip((s - t) / (1 - t) * 0.5 + 0.4, 0, 0.9)`: just above the threshold is a weak 0.4, an identical
vector 0.9, below any label match of two or more words.

Everything here is pure (numpy and snowballstemmer), so it runs the same in ingest, in the API and
in benchmarks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import snowballstemmer

from recommender.embedding import MINILM, calibration

TAG_DECLARED, TAG_LABEL, TAG_EMBEDDING = "declared", "label", "embedding"
_ORIGIN_RANK = {TAG_DECLARED: 0, TAG_LABEL: 1, TAG_EMBEDDING: 2}

DECLARED_CONFIDENCE = 0.95
LABEL_BASE = {1: 0.60, 2: 0.75}  # three words or more: LABEL_BASE_LONG
LABEL_BASE_LONG = 0.85
LABEL_REPEAT_BONUS = 0.10
LABEL_AMBIGUOUS_SKILLS = 3
LABEL_AMBIGUOUS_PENALTY = 0.10
LABEL_OTHER_LANGUAGE_PENALTY = 0.10
LABEL_CAP = 0.95
LABEL_FLOOR = 0.05
COMPOUND_CONFIDENCE = 0.50
COMPOUND_MIN_LABEL = 5  # characters of a label that may be part of a compound
COMPOUND_MIN_REST = 3  # characters the rest of the compound must have ("planningen" is no compound)
SHORT_LABEL = 2  # labels this short ("R", "Go", "C#") match only as the exact, case-sensitive token
EMBEDDING_LOW, EMBEDDING_SPAN, EMBEDDING_CAP = 0.4, 0.5, 0.9
EMBEDDING_SHARE = 1 / 6  # where on the encoder's floor-to-full scale an embedding tag starts
# A label in an item's body, not its title, counts in full only when the meaning agrees: the cosine
# of item and skill at least a third of the way from the encoder's floor to a clear match
# (all-MiniLM-L6-v2: 0.40 + 0.30 / 3 = 0.5). Else it is a mention, worth MENTION_SHARE of a match:
# 0.85 x 0.8 = 0.68 stays below a path step's bar (0.72). Retrieval uses the same rule.
AGREEING_SHARE = 1 / 3
MENTION_SHARE = 0.8
# An item that declares more skills than this lists its catalog's categories, not what it teaches
# (a Coursera page on spacecraft dynamics declaring 34 skills, SQL and data visualization among them):
# its declared skills whose meaning disagrees are judged as a label match in the text that is a
# mention (0.85 x 0.8 = 0.68), below a path step's bar: the spacecraft course was once a step for SQL.
DECLARED_MANY = 10
DECLARED_MENTION = LABEL_BASE_LONG * MENTION_SHARE
_STEM_CACHE_LIMIT = 500_000
_HEAVY_ROWS = 256  # rows per argpartition call, to bound the index array it allocates
_CANDIDATE_BUDGET_PER_ROW = 8  # above this many candidates per row (x top_k), go row by row

# ISO 639-1 code -> snowball algorithm; a language without one is matched unstemmed.
_SNOWBALL = {
    "en": "english",
    "nl": "dutch",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "sv": "swedish",
    "da": "danish",
    "no": "norwegian",
    "nb": "norwegian",
    "fi": "finnish",
    "pl": "polish",
    "cs": "czech",
    "ro": "romanian",
    "hu": "hungarian",
}
_UNSTEMMED = ""


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words that never make a label on their own (a label made only of them is ignored).
STOPWORDS = {
    "en": _words(
        "a about after all also an and any are as at be been but by can do for from has have how i if "
        "in into is it its more my no not of on or our out over so than that the their them then there "
        "these they this to up us was we what when which who will with you your"
    ),
    "nl": _words(
        "aan al alle als bij dan dat de deze die dit door een en er geen hebben heeft het hij hoe ik in "
        "is je jij kan kunnen maar met meer na naar niet nog of om onder ons ook op over te tot uit van "
        "voor want was wat we welke wij wordt worden ze zich zijn zo zoals"
    ),
}
_ALL_STOPWORDS = frozenset().union(*STOPWORDS.values())

# A token: letters/digits, with '.', '+', '#' kept inside ("node.js", "asp.net") and '+', '#' kept
# at the end ("c++", "c#"); everything else (also a sentence's final '.') separates tokens.
_TOKEN = re.compile(r"[^\W_]+(?:[.+#][^\W_]+)*[+#]*")
# "collega's", "foto's", "the team's": the clitic s carries no meaning for matching.
_CLITIC_S = re.compile(r"(?<=[^\W_])['’`]s\b")
# Between two tokens, one of these ends a sentence, a heading or a list entry: no label spans it
# ("... managing expectations. Managers ..." names no "expectations management").
_BREAK = re.compile(r"[.!?;:|•\n]")


@dataclass(frozen=True)
class SkillLabel:
    """One name of a skill in one language; a skill has many (ESCO preferred and alternative labels)."""

    skill_id: int
    label: str
    language: str  # "en", "nl", ...


@dataclass(frozen=True)
class Tag:
    """A skill an item teaches, how sure we are, and which signal said so (kept for explanations)."""

    skill_id: int
    confidence: float  # 0..1
    origin: str  # declared | label | embedding
    phrase: str = ""  # a label tag: the words of the text that named the skill, as the text writes them


@dataclass(frozen=True)
class LabelMatch:
    """A skill found in a text: how sure, and the text's own words that named it. The words are what
    an explanation quotes: "retention analysis" named product analytics, not "product analytics"."""

    confidence: float
    phrase: str


def language_code(code: str | None) -> str:
    """'nl-BE', 'NL', 'nl_NL' -> 'nl'; an empty code stays empty."""
    return (code or "").strip().lower().replace("_", "-").split("-")[0]


def _token_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text as matched (NFKC, clitic s removed) and where each of its tokens stands in it."""
    written = _CLITIC_S.sub("", unicodedata.normalize("NFKC", text))
    return written, [(m.start(), m.end()) for m in _TOKEN.finditer(written)]


def _surface_tokens(text: str) -> list[str]:
    """Tokens in their original case (after NFKC), for the case-sensitive short labels."""
    written, spans = _token_spans(text)
    return [written[start:end] for start, end in spans]


def normalise_tokens(text: str) -> list[str]:
    """NFKC, casefold, tokenise: the one normalisation applied to texts and labels alike."""
    return [token.casefold() for token in _surface_tokens(text)]


def _label_base(words: int) -> float:
    return LABEL_BASE.get(words, LABEL_BASE_LONG)


@dataclass
class _LanguageIndex:
    """Labels of one language, keyed by their stemmed token tuples."""

    stemmer: Callable[[str], str] | None
    labels: dict[tuple[str, ...], tuple[int, ...]] = field(default_factory=dict)  # matchable labels
    prefixes: set[tuple[str, ...]] = field(default_factory=set)  # proper prefixes of those keys
    firsts: set[str] = field(default_factory=set)  # first stemmed token of any matchable label
    exact: dict[tuple[str, ...], set[int]] = field(default_factory=dict)  # every label, for resolve
    cache: dict[str, str] = field(default_factory=dict)

    def stem(self, token: str) -> str:
        """Stem one casefolded token, cached (snowball costs ~25 us a word in pure Python)."""
        stemmed = self.cache.get(token)
        if stemmed is None:
            # Only plain words are stemmed: "node.js" or "c++" must stay what they are.
            stemmed = self.stemmer(token) if self.stemmer is not None and token.isalpha() else token
            if len(self.cache) >= _STEM_CACHE_LIMIT:
                self.cache.clear()
            self.cache[token] = stemmed
        return stemmed

    def key(self, tokens: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.stem(token) for token in tokens)


def make_stemmer(language: str) -> Callable[[str], str] | None:
    algorithm = _SNOWBALL.get(language)
    return snowballstemmer.stemmer(algorithm).stemWord if algorithm else None


class LabelMatcher:
    """Finds skill labels in free text, in Dutch and English.

    Labels and texts are normalised the same way and stemmed per language, and labels are indexed
    by their stemmed token tuples, so matching a text is a handful of dictionary look-ups per token
    (no regular expression per label): it scales to the whole ESCO taxonomy with labels in several
    languages. Labels longer than `max_ngram` words are kept for `resolve` but never matched.
    """

    def __init__(self, labels: Iterable[SkillLabel], max_ngram: int = 6) -> None:
        if max_ngram < 1:
            raise ValueError("max_ngram must be at least 1")
        self.max_ngram = max_ngram
        self._indexes: dict[str, _LanguageIndex] = {}
        self._short: dict[str, set[int]] = {}  # exact surface token -> skills ("R", "Go", "C#")
        self._compound: dict[str, set[int]] = {}  # casefolded one-word label -> skills
        self._compound_stem: dict[str, set[int]] = {}  # Dutch stem of a Dutch one-word label -> skills
        self._compound_cache: dict[str, frozenset[int]] = {}
        labels_by_key: dict[tuple[str, tuple[str, ...]], set[int]] = {}
        for item in labels:
            self._add(item, labels_by_key)
        for (language, key), skills in labels_by_key.items():
            index = self._indexes[language]
            index.labels[key] = tuple(sorted(skills))
            index.firsts.add(key[0])
            index.prefixes.update(key[:n] for n in range(1, len(key)))

    def _index(self, language: str) -> _LanguageIndex:
        index = self._indexes.get(language)
        if index is None:
            index = self._indexes[language] = _LanguageIndex(make_stemmer(language))
        return index

    def _add(self, item: SkillLabel, labels_by_key: dict[tuple[str, tuple[str, ...]], set[int]]) -> None:
        surface = _surface_tokens(item.label)
        tokens = [token.casefold() for token in surface]
        if not tokens:
            return
        language = language_code(item.language)
        if language not in _SNOWBALL:
            language = _UNSTEMMED
        index = self._index(language)
        key = index.key(tokens)
        index.exact.setdefault(key, set()).add(item.skill_id)

        stopwords = STOPWORDS.get(language, _ALL_STOPWORDS)
        if len(" ".join(tokens)) <= SHORT_LABEL:
            # "R" or "Go" as ordinary words would match everything: only the exact token counts,
            # and an all-lowercase short label ("of") cannot be told from prose at all.
            if surface[0] != tokens[0] or not surface[0].isalpha():
                self._short.setdefault(surface[0], set()).add(item.skill_id)
            return
        if all(token in stopwords for token in tokens) or len(tokens) > self.max_ngram:
            return
        labels_by_key.setdefault((language, key), set()).add(item.skill_id)
        if len(tokens) == 1 and tokens[0].isalpha() and len(tokens[0]) >= COMPOUND_MIN_LABEL:
            self._compound.setdefault(tokens[0], set()).add(item.skill_id)
            if language == "nl":
                self._compound_stem.setdefault(key[0], set()).add(item.skill_id)

    @property
    def languages(self) -> list[str]:
        """Languages that have labels (an empty string stands for unstemmed labels)."""
        return sorted(self._indexes)

    def match(self, text: str, language: str | None = None) -> dict[int, float]:
        """Skills whose labels occur in `text`, with a confidence (see `find`)."""
        return {skill: found.confidence for skill, found in self.find(text, language).items()}

    def find(self, text: str, language: str | None = None) -> dict[int, LabelMatch]:
        """Skills whose labels occur in `text`, with a confidence (see the module docstring) and the
        words of the text that named each (of its most confident match).

        With `language` None (or empty) the text is stemmed in every language that has labels and all of
        them count in full; with a language, labels in other languages still count (Dutch course
        texts are full of English terms) but 0.10 lower.
        """
        written, spans = _token_spans(text)
        if not spans:
            return {}
        surface = [written[start:end] for start, end in spans]
        tokens = [token.casefold() for token in surface]
        breaks = frozenset(
            i for i in range(1, len(spans)) if _BREAK.search(written, spans[i - 1][1], spans[i][0])
        )
        text_language = language_code(language) or None
        scores: dict[int, LabelMatch] = {}

        def offer(skills: Iterable[int], confidence: float, phrase: str) -> None:
            confidence = min(LABEL_CAP, max(LABEL_FLOOR, confidence))
            for skill in skills:
                if skill not in scores or confidence > scores[skill].confidence:
                    scores[skill] = LabelMatch(confidence, phrase)

        short_counts: dict[str, int] = {}
        for token in surface:
            if token in self._short:
                short_counts[token] = short_counts.get(token, 0) + 1
        for token, count in short_counts.items():
            short_skills = self._short[token]
            offer(short_skills, self._confidence(1, count, len(short_skills), False), token)

        penalise_others = text_language is not None and text_language in self._indexes
        for index_language, index in self._indexes.items():
            other = penalise_others and index_language != text_language
            for key, (count, start) in self._find(index, tokens, breaks).items():
                skills = index.labels[key]
                phrase = written[spans[start][0] : spans[start + len(key) - 1][1]]
                offer(skills, self._confidence(len(key), count, len(skills), other), phrase)

        if text_language in (None, "nl") and self._compound:
            as_written = dict(zip(tokens, surface, strict=True))
            for word, compound_skills in self._compounds(tokens):
                offer(compound_skills, COMPOUND_CONFIDENCE, as_written.get(word, word))
        return dict(sorted(scores.items(), key=lambda pair: (-pair[1].confidence, pair[0])))

    @staticmethod
    def _confidence(words: int, count: int, skills: int, other_language: bool) -> float:
        confidence = _label_base(words)
        if count >= 2:
            confidence += LABEL_REPEAT_BONUS
        if skills >= LABEL_AMBIGUOUS_SKILLS:
            confidence -= LABEL_AMBIGUOUS_PENALTY
        if other_language:
            confidence -= LABEL_OTHER_LANGUAGE_PENALTY
        return confidence

    def _find(
        self, index: _LanguageIndex, tokens: list[str], breaks: frozenset[int] = frozenset()
    ) -> dict[tuple[str, ...], tuple[int, int]]:
        """Label keys occurring in the stemmed token sequence: how often each occurs, and where first.
        No key runs over a break (a token in `breaks` starts a new sentence, heading or list entry).

        An n-gram is only extended while it is the prefix of some label, so most tokens cost
        one set look-up.
        """
        stems = [index.stem(token) for token in tokens]
        firsts, prefixes, labels = index.firsts, index.prefixes, index.labels
        found: dict[tuple[str, ...], tuple[int, int]] = {}
        total = len(stems)
        for start, first in enumerate(stems):
            if first not in firsts:
                continue
            key: tuple[str, ...] = (first,)
            end = start + 1
            while True:
                if key in labels:
                    count, at = found.get(key, (0, start))
                    found[key] = (count + 1, at)
                if end >= total or end - start >= self.max_ngram or key not in prefixes or end in breaks:
                    break
                key = (*key, stems[end])
                end += 1
        return found

    def _compounds(self, tokens: list[str]) -> list[tuple[str, frozenset[int]]]:
        """Skills whose one-word label is the first or last part of a longer (Dutch) word.

        "feedbackgesprek" holds "feedback", "teamleiderschap" holds "leiderschap". The last part is
        also compared stem to stem, so "teamleiderschappen" holds "leiderschap" too.
        """
        found = []
        for token in set(tokens):
            if len(token) < COMPOUND_MIN_LABEL + COMPOUND_MIN_REST or not token.isalpha():
                continue
            skills = self._compound_cache.get(token)
            if skills is None:
                skills = self._compound_parts(token)
                if len(self._compound_cache) >= _STEM_CACHE_LIMIT:
                    self._compound_cache.clear()
                self._compound_cache[token] = skills
            if skills:
                found.append((token, skills))
        return found

    def _compound_parts(self, token: str) -> frozenset[int]:
        skills: set[int] = set()
        longest = len(token) - COMPOUND_MIN_REST
        for size in range(COMPOUND_MIN_LABEL, longest + 1):
            skills.update(self._compound.get(token[:size], ()))
            skills.update(self._compound.get(token[-size:], ()))
        dutch = self._indexes.get("nl")
        if dutch is not None and self._compound_stem:
            stem = dutch.stem(token)
            for size in range(COMPOUND_MIN_LABEL, len(stem) - COMPOUND_MIN_REST + 1):
                skills.update(self._compound_stem.get(stem[-size:], ()))
        return frozenset(skills)

    def resolve(self, label: str) -> list[int]:
        """Skills with exactly this label (after normalisation and stemming) in any language.

        For declared skills of an item and the skill labels of a role profile; unlike `match` it
        is case-insensitive for short labels and knows stopword labels too.
        """
        tokens = normalise_tokens(label)
        if not tokens:
            return []
        skills: set[int] = set()
        for index in self._indexes.values():
            skills.update(index.exact.get(index.key(tokens), ()))
        return sorted(skills)


def _as_matrix(vectors: np.ndarray, name: str) -> np.ndarray:
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {matrix.shape}")
    return matrix


def _check(threshold: float, top_k: int) -> None:
    if not -1.0 <= threshold < 1.0:
        raise ValueError(f"threshold must lie in [-1, 1), got {threshold}")
    if top_k < 0:
        raise ValueError(f"top_k must not be negative, got {top_k}")


def is_mention(in_title: bool, cosine: float | None, agreeing: float) -> bool:
    """A skill an item names only in its body (label or declared list), and whose meaning does not
    agree (`cosine` below `agreeing`): a page on hybrid working that names one-on-ones once is no
    lesson on them. Without a cosine (no vectors yet) it is not judged a mention."""
    return not in_title and cosine is not None and cosine < agreeing


def lists_categories(declared_count: int) -> bool:
    """An item declaring this many skills lists its catalog's categories (`DECLARED_MANY`): its
    declared skills are judged like label matches."""
    return declared_count > DECLARED_MANY


def as_mention(confidence: float, in_title: bool, cosine: float | None, agreeing: float) -> float:
    """A label match's confidence, lowered to a mention's (`is_mention`)."""
    return confidence * MENTION_SHARE if is_mention(in_title, cosine, agreeing) else confidence


def embedding_threshold(model: str) -> float:
    """The cosine from which a skill tags an item by meaning, for the encoder `model`."""
    return calibration(model).at(EMBEDDING_SHARE)


EMBEDDING_THRESHOLD = embedding_threshold(MINILM)  # 0.45, the default model's


def _embedding_confidence(similarity: np.ndarray, threshold: float) -> np.ndarray:
    scaled = (similarity.astype(np.float64) - threshold) / (1.0 - threshold) * EMBEDDING_SPAN + EMBEDDING_LOW
    return np.clip(scaled, 0.0, EMBEDDING_CAP)


def _top_above(sims: np.ndarray, threshold: float, top_k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of each row's top_k entries at or above threshold.

    Sorted by row, then value descending, then column. At a useful threshold nearly every row has
    at most top_k entries above it, and those are read straight off the mask (`flatnonzero`: one
    pass, far cheaper than a 2-D `nonzero`); only rows with more go through np.argpartition, a few
    hundred rows at a time. Costs one comparison pass over `sims` beyond the matrix product.
    """
    height, width = sims.shape
    mask = sims >= threshold
    total = int(np.count_nonzero(mask))
    if total <= _CANDIDATE_BUDGET_PER_ROW * top_k * height:
        flat = np.flatnonzero(mask)
        rows = flat // width
        counts = np.bincount(rows, minlength=height)
        heavy = np.flatnonzero(counts > top_k)
        if heavy.size:
            light = counts[rows] <= top_k
            flat, rows = flat[light], rows[light]
    else:
        # A low threshold: most rows are heavy, and listing all their candidates would cost memory.
        heavy = np.flatnonzero(np.count_nonzero(mask, axis=1) > top_k)
        mask[heavy] = False
        flat = np.flatnonzero(mask)
        rows = flat // width
    cols = flat - rows * width
    values = sims.reshape(-1)[flat]
    if heavy.size:
        parts_rows, parts_cols, parts_values = [rows], [cols], [values]
        for start in range(0, heavy.size, _HEAVY_ROWS):
            chunk = heavy[start : start + _HEAVY_ROWS]
            block = sims[chunk]
            best = np.argpartition(block, width - top_k, axis=1)[:, width - top_k :]
            parts_rows.append(np.repeat(chunk, top_k))
            parts_cols.append(best.ravel())
            parts_values.append(np.take_along_axis(block, best, axis=1).ravel())
        rows = np.concatenate(parts_rows)
        cols = np.concatenate(parts_cols)
        values = np.concatenate(parts_values)
    order = np.lexsort((cols, -values, rows))
    return rows[order], cols[order], values[order]


def embedding_tags(
    item_vectors: np.ndarray,
    skill_vectors: np.ndarray,
    skill_ids: np.ndarray,
    *,
    threshold: float = EMBEDDING_THRESHOLD,
    top_k: int = 5,
    batch: int = 2048,
) -> list[list[tuple[int, float]]]:
    """For each item, up to top_k (skill_id, confidence) with similarity >= threshold, best first.

    Vectors are unit length, so the inner product is the cosine. Items go through in batches of
    `batch`, so memory is one (batch x skills) block, never (items x skills). Ties at the top_k cut
    are broken arbitrarily.
    """
    _check(threshold, top_k)
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    items = _as_matrix(item_vectors, "item_vectors")
    skills = _as_matrix(skill_vectors, "skill_vectors")
    ids = np.asarray(skill_ids).reshape(-1)
    if items.shape[1] != skills.shape[1]:
        raise ValueError(f"dimensions differ: items {items.shape[1]}, skills {skills.shape[1]}")
    if ids.shape[0] != skills.shape[0]:
        raise ValueError(f"{ids.shape[0]} skill ids for {skills.shape[0]} skill vectors")
    result: list[list[tuple[int, float]]] = [[] for _ in range(items.shape[0])]
    if top_k == 0 or skills.shape[0] == 0 or items.shape[0] == 0:
        return result
    skills_t = skills.T
    buffer = np.empty((min(batch, items.shape[0]), skills.shape[0]), dtype=np.float32)
    for start in range(0, items.shape[0], batch):
        block = items[start : start + batch]
        sims = buffer[: block.shape[0]]
        np.matmul(block, skills_t, out=sims)
        rows, cols, values = _top_above(sims, threshold, top_k)
        confidences = _embedding_confidence(values, threshold)
        for row, skill, confidence in zip(
            rows.tolist(), ids[cols].tolist(), confidences.tolist(), strict=True
        ):
            result[start + row].append((int(skill), confidence))
    return result


def items_for_skill(
    skill_vector: np.ndarray,
    item_vectors: np.ndarray,
    item_ids: np.ndarray,
    *,
    threshold: float = EMBEDDING_THRESHOLD,
    top_k: int = 200,
) -> list[tuple[int, float]]:
    """Items (item_id, confidence) a newly created skill tags, best first, from cached item vectors.

    The same similarity and confidence as `embedding_tags`, seen from the skill's side, so a skill
    created later is matched against the whole catalog at once without re-encoding anything.
    """
    _check(threshold, top_k)
    items = _as_matrix(item_vectors, "item_vectors")
    vector = np.ascontiguousarray(skill_vector, dtype=np.float32).reshape(-1)
    ids = np.asarray(item_ids).reshape(-1)
    if vector.shape[0] != items.shape[1]:
        raise ValueError(f"dimensions differ: skill {vector.shape[0]}, items {items.shape[1]}")
    if ids.shape[0] != items.shape[0]:
        raise ValueError(f"{ids.shape[0]} item ids for {items.shape[0]} item vectors")
    if top_k == 0 or items.shape[0] == 0:
        return []
    sims = (items @ vector).reshape(1, -1)
    _, cols, values = _top_above(sims, threshold, top_k)
    confidences = _embedding_confidence(values, threshold)
    return [
        (int(item), confidence)
        for item, confidence in zip(ids[cols].tolist(), confidences.tolist(), strict=True)
    ]


def combine_tags(
    declared: Mapping[int, float],
    labelled: Mapping[int, float],
    embedded: Mapping[int, float],
    *,
    max_tags: int = 12,
    phrases: Mapping[int, str] | None = None,
    declared_mentions: Collection[int] = (),
) -> list[Tag]:
    """One tag per skill, best first: declared wins, then label matches, then embedding.

    A declared skill gets at least DECLARED_CONFIDENCE and is never dropped, even beyond max_tags;
    the remaining places go to the most confident label and embedding tags. Confidences are
    clipped to 0..1. `phrases` are the text's words that named each label-matched skill;
    `declared_mentions` are declared skills that count as mentions (`lists_categories`): still kept,
    at DECLARED_MENTION.
    """

    def clip(value: float) -> float:
        return min(1.0, max(0.0, float(value)))

    tags: dict[int, Tag] = {}
    for skill, confidence in declared.items():
        sure = max(clip(confidence), DECLARED_CONFIDENCE)
        tags[int(skill)] = Tag(
            int(skill),
            DECLARED_MENTION if skill in declared_mentions else sure,
            TAG_DECLARED,
        )
    for origin, found in ((TAG_LABEL, labelled), (TAG_EMBEDDING, embedded)):
        for skill, confidence in found.items():
            if int(skill) not in tags:
                phrase = (phrases or {}).get(int(skill), "") if origin == TAG_LABEL else ""
                tags[int(skill)] = Tag(int(skill), clip(confidence), origin, phrase)

    def order(tag: Tag) -> tuple[float, int, int]:
        return (-tag.confidence, _ORIGIN_RANK[tag.origin], tag.skill_id)

    kept = [tag for tag in tags.values() if tag.origin == TAG_DECLARED]
    others = sorted((tag for tag in tags.values() if tag.origin != TAG_DECLARED), key=order)
    kept.extend(others[: max(0, max_tags - len(kept))])
    return sorted(kept, key=order)
