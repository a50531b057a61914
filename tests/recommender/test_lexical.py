"""BM25 index: scores checked by hand, Dutch and English stemming, serialisation."""

from __future__ import annotations

import math
import random

import pytest

from recommender.lexical import FORMAT_VERSION, K1, MAGIC, B, LexicalIndex

# Words that both snowball stemmers leave as they are, so the hand computation needs no stemming.
CORPUS = [
    (11, "python python data", "en"),  # length 3
    (12, "data java", "en"),  # length 2
    (13, "java sql sql sql", "en"),  # length 4
]


def test_bm25_matches_a_hand_computed_score() -> None:
    index = LexicalIndex.build(CORPUS)
    # N = 3, avgdl = (3 + 2 + 4) / 3 = 3; k1 = 1.2, b = 0.75.
    idf_python = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))  # df 1: ln(8/3)
    idf_data = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))  # df 2: ln(1.6)
    # doc 11: |d| = avgdl, so the length factor is k1 * 1 = 1.2; tf(python) = 2, tf(data) = 1
    doc11 = idf_python * 2 * 2.2 / (2 + 1.2) + idf_data * 1 * 2.2 / (1 + 1.2)
    # doc 12: |d| = 2, length factor 1.2 * (0.25 + 0.75 * 2 / 3) = 0.9; tf(data) = 1
    doc12 = idf_data * 1 * 2.2 / (1 + 0.9)
    hits = index.search("python data", k=10, language="en")
    assert [unit for unit, _ in hits] == [11, 12]  # doc 13 has neither word and is not returned
    assert hits[0][1] == pytest.approx(doc11, rel=1e-5)
    assert hits[1][1] == pytest.approx(doc12, rel=1e-5)
    assert (K1, B) == (1.2, 0.75)
    # Without a language the query is stemmed both ways; these words stem alike, so nothing changes.
    assert index.search("python data", k=10) == hits


def test_k_limits_and_orders_results() -> None:
    index = LexicalIndex.build(CORPUS)
    assert index.size == 3
    assert [unit for unit, _ in index.search("java data", k=1)] == [12]
    assert index.search("java", k=0) == []
    assert index.search("kotlin", k=5) == []
    assert index.search("", k=5) == []
    with pytest.raises(ValueError):
        index.search("java", k=-1)


def test_stopwords_are_not_indexed_or_searched() -> None:
    index = LexicalIndex.build(
        [(1, "de kunst van het vergaderen", "nl"), (2, "the art of the meeting", "en")]
    )
    assert index.search("het", k=5, language="nl") == []
    assert index.search("the", k=5, language="en") == []
    assert "kunst" in index.query_terms("de kunst", language="nl")
    assert "de" not in index.query_terms("de kunst", language="nl")


def test_dutch_plural_finds_dutch_singular() -> None:
    index = LexicalIndex.build(
        [
            (1, "Effectief een vergadering voorzitten", "nl"),
            (2, "Presenteren voor een groot publiek", "nl"),
            (3, "Running effective meetings", "en"),
        ]
    )
    assert [unit for unit, _ in index.search("vergaderingen", k=5, language="nl")] == [1]
    assert [unit for unit, _ in index.search("vergaderingen", k=5)] == [1]  # both stemmers
    assert [unit for unit, _ in index.search("meeting", k=5, language="en")] == [3]
    # The Dutch stemmer takes both "presentaties" and "presenteren" to "presenteer".
    assert [unit for unit, _ in index.search("presentaties", k=5, language="nl")] == [2]


def test_query_language_chooses_the_stemmer() -> None:
    index = LexicalIndex.build([(1, "Vergadering leiden", "nl")])
    # English stemming leaves "vergaderingen" unchanged, so an English query misses the Dutch stem.
    assert index.query_terms("vergaderingen", language="en") == ["vergaderingen"]
    assert index.search("vergaderingen", k=5, language="en") == []
    assert index.query_terms("vergaderingen", language="nl-BE") == ["vergader"]
    assert set(index.query_terms("vergaderingen")) == {"vergader", "vergaderingen"}


def test_other_languages_are_stemmed_as_english_and_symbols_kept() -> None:
    index = LexicalIndex.build([(1, "Apprendre Node.js et C++ meetings", "fr"), (2, "meeting notes", "")])
    assert {unit for unit, _ in index.search("meeting", k=5, language="en")} == {1, 2}
    assert [unit for unit, _ in index.search("node.js", k=5)] == [1]
    assert [unit for unit, _ in index.search("C++", k=5)] == [1]


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="distinct"):
        LexicalIndex.build([(1, "a text", "en"), (1, "another text", "en")])


def test_empty_index() -> None:
    index = LexicalIndex.build([])
    assert index.size == 0
    assert index.search("anything", k=3) == []
    assert LexicalIndex.from_bytes(index.to_bytes()).size == 0


def test_serialisation_round_trip_gives_identical_results() -> None:
    docs = CORPUS + [
        (21, "Feedback geven aan collega's in vergaderingen", "nl"),
        (22, "Giving feedback to colleagues", "en"),
        (23, "Timemanagement en planningen maken: één overzicht", "nl"),
    ]
    index = LexicalIndex.build(docs)
    blob = index.to_bytes()
    assert blob.startswith(MAGIC)
    copy = LexicalIndex.from_bytes(blob)
    assert copy.size == index.size
    assert copy.vocabulary == index.vocabulary
    for query in ("feedback vergadering", "python data", "planning overzicht", "sql java colleagues"):
        for language in (None, "nl", "en"):
            assert copy.search(query, 10, language) == index.search(query, 10, language)
    assert copy.to_bytes() == blob


def test_from_bytes_refuses_foreign_or_damaged_data() -> None:
    blob = LexicalIndex.build(CORPUS).to_bytes()
    with pytest.raises(ValueError, match="not a Leerpad"):
        LexicalIndex.from_bytes(b"PK\x03\x04" + blob)
    with pytest.raises(ValueError):
        LexicalIndex.from_bytes(blob[: len(blob) - 5])
    newer = blob.replace(f'"version":{FORMAT_VERSION}'.encode(), f'"version":{FORMAT_VERSION + 1}'.encode())
    with pytest.raises(ValueError, match="version"):
        LexicalIndex.from_bytes(newer)


def test_label_coverage_says_how_much_of_a_label_a_unit_holds() -> None:
    index = LexicalIndex.build(
        [
            (1, "Incident management for on-call engineers", "en"),
            (2, "Change management in large organisations", "en"),
            (3, "Incidentbeheer: zo handel je een storing af", "nl"),
            (4, "Koffie zetten", "nl"),
        ]
    )
    coverage = index.label_coverage(["incident management", "incidentbeheer"], [1, 2, 3, 4, 99])
    assert coverage[1] == pytest.approx(1.0)
    assert coverage[3] == pytest.approx(1.0)  # the Dutch label, stemmed in Dutch
    assert 0.0 < coverage[2] < 0.5  # only "management", the commoner word
    assert coverage[4] == 0.0
    assert coverage[99] == 0.0  # not indexed
    assert index.label_coverage(["incident management"], []) == {}


def test_label_coverage_of_common_terms_matches_a_plain_set_count() -> None:
    """On a catalog where some words are in most documents (long postings), the coverage found by
    binary search in the postings equals the idf-weighted share counted with plain Python sets."""
    rng = random.Random(11)
    common, rare = ["data", "management", "team"], [f"woord{n}" for n in range(40)]
    texts = {
        unit: " ".join(rng.sample(common, rng.randint(0, 3)) + rng.sample(rare, 3)) for unit in range(1, 3001)
    }
    index = LexicalIndex.build([(unit, text, "en") for unit, text in texts.items()])
    label = "data management woord7 nooitgezien"
    wanted = rng.sample(sorted(texts), 400) + [999_999]  # and one id the index does not hold
    coverage = index.label_coverage([label], wanted, language="en")
    terms = index.query_terms(label, "en")
    unseen = math.log1p((index.size + 0.5) / 0.5)
    idf = {t: float(index._idf[index.vocabulary[t]]) if t in index.vocabulary else unseen for t in terms}
    for unit in wanted:
        held = set(index.query_terms(texts.get(unit, ""), "en"))
        expected = sum(idf[t] for t in terms if t in held) / sum(idf.values())
        assert coverage[unit] == pytest.approx(expected), unit
    assert coverage[999_999] == 0.0 and max(coverage.values()) > 0.25  # some hold "woord7" too
