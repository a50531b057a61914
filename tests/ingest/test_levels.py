"""Level texts to LEVELS (ingest/normalise/levels.py)."""

from __future__ import annotations

import pytest

from ingest.normalise.levels import normalise_level, parse_level


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Beginner", "beginner"),
        ("beginner level", "beginner"),
        ("Beginner Level", "beginner"),
        ("Introductory", "beginner"),
        ("Beginnend", "beginner"),
        ("Basis", "beginner"),
        ("Starter", "beginner"),
        ("Intermediate", "intermediate"),
        ("Gemiddeld", "intermediate"),
        ("Halfgevorderd", "intermediate"),
        ("Gevorderd", "advanced"),
        ("ADVANCED", "advanced"),
        ("Expert", "advanced"),
        ("Mixed", None),
        ("All Levels", None),
        ("Alle niveaus", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_level(value: str | None, expected: str | None) -> None:
    assert normalise_level(value) == expected


def test_unknown_level_is_none_but_parse_level_tells_it_apart() -> None:
    assert normalise_level("purple") is None
    with pytest.raises(ValueError, match="purple"):
        parse_level("purple")
    assert parse_level("Mixed") is None
