"""Filler text for tests that count words."""

from __future__ import annotations


def words(n: int, start: int = 0) -> str:
    """n distinct words, so tests can check that none is lost or repeated."""
    return " ".join(f"w{i}" for i in range(start, start + n))
