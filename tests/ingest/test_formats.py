"""Format texts to FORMATS (ingest/normalise/formats.py)."""

from __future__ import annotations

import pytest

from ingest.normalise.formats import normalise_format
from ingest.records import FORMATS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Video", "video"),
        ("E-learning", "course"),
        ("Artikel", "article"),
        ("Webinar", "event"),
        ("Training", "classroom"),
        ("Klassikaal", "classroom"),
        ("Klassikale training", "classroom"),
        ("Podcast", "podcast"),
        ("Microlearning", "microlearning"),
        ("Congres", "event"),
        ("article", "article"),
    ],
)
def test_normalise_format(value: str, expected: str) -> None:
    assert normalise_format(value) == expected
    assert expected in FORMATS


def test_normalise_format_default() -> None:
    assert normalise_format(None) == "course"
    assert normalise_format("", default="page") == "page"
    assert normalise_format("something odd", default="other") == "other"
