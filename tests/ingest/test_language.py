"""Language detection and language tags (ingest/normalise/language.py)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from ingest.normalise.language import detect_language, normalise_language

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


NL_OFFERS = DATA / "nl_ai_training_offers" / "ai_courses_cleaned.csv"


@pytest.mark.parametrize(
    "text",
    [
        "Artificiële Intelligentie in de Zorg",
        "Bijeenkomst Succesvolle AI: hoe maak je dat meetbaar",
        "Feedback geven en ontvangen",
        "Kunstmatige Intelligentie (AI) in de Zorg",
        "LabICT voor Beheerders",
        "In deze module leer je hoe je een goed gesprek voert met je leidinggevende.",
    ],
)
def test_dutch_titles_and_sentences_are_nl(text: str) -> None:
    assert detect_language(text) == "nl"


@pytest.mark.parametrize(
    "text",
    [
        "This course teaches you how to write clear emails to your customers.",
        "How AI Can Support Healthcare",
        "Get ready for a rewarding career in Information Technology",
    ],
)
def test_english_is_en(text: str) -> None:
    assert detect_language(text, default="nl") == "en"


def test_german_and_french() -> None:
    assert detect_language("Die Schulung ist für alle Mitarbeiter und wird online angeboten.") == "de"
    assert detect_language("Le cours est pour les équipes qui veulent apprendre avec nous.") == "fr"


@pytest.mark.parametrize("text", ["", "   ", "Netwerk AI", "12345", "DL in RT"])
def test_undecidable_text_gives_the_default(text: str) -> None:
    assert detect_language(text, default="nl") == "nl"
    assert detect_language(text, default="en") == "en"


def test_detection_is_deterministic() -> None:
    text = "Feedback geven en ontvangen"
    assert {detect_language(text) for _ in range(5)} == {"nl"}


def test_real_dutch_offer_titles_lean_dutch() -> None:
    with NL_OFFERS.open(encoding="utf-8") as handle:
        titles = [row["Titel"] for row in csv.DictReader(handle)]
    assert len(titles) == 27
    langs = Counter(detect_language(t, default="nl") for t in titles)
    assert langs["nl"] >= 15
    assert set(langs) <= {"nl", "en"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Nederlands", "nl"),
        ("Dutch", "nl"),
        ("nl-NL", "nl"),
        ("NL", "nl"),
        ("English", "en"),
        ("en", "en"),
        ("en-GB", "en"),
        ("Engels", "en"),
        ("Duits", "de"),
        ("Français", "fr"),
        ("zh-CN", "zh"),
    ],
)
def test_language_column_values(value: str, expected: str) -> None:
    assert normalise_language(value, "irrelevant text in English for the fallback") == expected


def test_unknown_or_empty_language_value_falls_back_to_detection() -> None:
    assert normalise_language(None, "Hoe maak je een planning voor het team") == "nl"
    assert normalise_language("", "How to plan the work of a team") == "en"
    assert normalise_language("Klingon!", "Hoe maak je een planning voor het team") == "nl"
