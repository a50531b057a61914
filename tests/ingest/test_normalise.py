"""Normalisation: language, minutes, level, format, sections and micro-units."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from ingest.normalise import (
    UNIT_MAX_MINUTES,
    UNIT_MIN_MINUTES,
    WORDS_PER_MINUTE,
    Section,
    detect_language,
    normalise_format,
    normalise_language,
    normalise_level,
    parse_level,
    parse_minutes,
    reading_minutes,
    sections_from_text,
    slugify_heading,
    split_units,
)
from ingest.records import FORMATS

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
NL_OFFERS = DATA / "nl_ai_training_offers" / "ai_courses_cleaned.csv"


def words(n: int, start: int = 0) -> str:
    """n distinct words, so tests can check that none is lost or repeated."""
    return " ".join(f"w{i}" for i in range(start, start + n))


# -- language ------------------------------------------------------------------------------------


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


# -- minutes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("45 min", 45),
        ("45 minutes", 45),
        ("45min", 45),
        ("60-75 minuten", 68),  # midpoint 67.5, halves round up
        ("4 uur", 240),
        ("3 uur 45 min", 225),
        ("1,5 uur", 90),
        ("1.5 hours", 90),
        ("2 hrs", 120),
        ("4+2 uur", 360),
        ("~18 uur", 1080),
        ("4-8 hours/week", 6 * 60 * 4),  # 4 weeks assumed
        ("4 weeks of study, 4-8 hours/week", 6 * 60 * 4),
        ("6 weeks of study, 2 hours/week", 2 * 60 * 6),
        ("3 hours a week for 6 weeks", 3 * 60 * 6),
        ("Less Than 2 Hours", 90),
        ("1-3 Months", 2 * 4 * 5 * 60),  # 2 months of 4 weeks at 5 hours
        ("1 - 4 Weeks", 750),  # 2.5 weeks at 5 hours
        ("4 weken", 4 * 5 * 60),
        ("dagdeel", 240),
        ("halve dag", 240),
        ("2 dagdelen", 480),
        ("1 dag", 480),
        ("2 dagen", 960),
        ("een uur", 60),
        ("PT1H30M", 90),
        ("PT45M", 45),
        ("0:45", 45),
        ("1:30", 90),
        (90, 90),
        (12.4, 12),
        ("90", 90),
        (" 30 ", 30),
    ],
)
def test_parse_minutes(value: str | int | float, expected: int) -> None:
    assert parse_minutes(value) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "verschillend", "n.v.t.", "In overleg", "flexibel"])
def test_parse_minutes_without_a_duration(value: str | None) -> None:
    assert parse_minutes(value) is None


def test_parse_minutes_keeps_impossible_values_visible_for_the_caller() -> None:
    # callers range-check; a negative or zero value must not silently become something plausible
    assert parse_minutes("-5") == -5
    assert parse_minutes(0) == 0


def test_reading_minutes() -> None:
    assert reading_minutes("") == 1
    assert reading_minutes("one two three") == 1
    assert reading_minutes(words(WORDS_PER_MINUTE)) == 1
    assert reading_minutes(words(WORDS_PER_MINUTE + 1)) == 2
    assert reading_minutes(words(10 * WORDS_PER_MINUTE)) == 10


# -- level and format ----------------------------------------------------------------------------


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


# -- sections ------------------------------------------------------------------------------------


def test_sections_from_text_splits_at_headings() -> None:
    text = "Lead text here.\n\n# Intro\nFirst.\n\n## Details ##\nSecond\nline.\n### Empty\n#no-heading\n"
    sections = sections_from_text(text)
    assert [(s.title, s.depth) for s in sections] == [("", 0), ("Intro", 1), ("Details", 2), ("Empty", 3)]
    assert sections[0].text == "Lead text here."
    assert sections[2].text == "Second\nline."
    assert sections[3].text == "#no-heading"  # '#' without a space is no ATX heading


def test_sections_ignore_hashes_in_fenced_code() -> None:
    text = "# Setup\nRun this:\n```bash\n# install\npip install x\n```\n~~~\n# still code\n~~~\n# Next\nDone."
    sections = sections_from_text(text)
    assert [s.title for s in sections] == ["Setup", "Next"]
    assert "# install" in sections[0].text
    assert "# still code" in sections[0].text


def test_sections_of_text_without_headings() -> None:
    assert sections_from_text("") == []
    assert sections_from_text("Just a paragraph.") == [Section("", 0, "Just a paragraph.")]


def test_heading_slug_is_github_style() -> None:
    assert slugify_heading("Hoe werkt het? (Uitleg)") == "hoe-werkt-het-uitleg"
    assert slugify_heading("Set up `git` & SSH") == "set-up-git--ssh"
    assert slugify_heading("See [the docs](https://x.y)") == "see-the-docs"
    assert slugify_heading("Één stap") == "één-stap"


# -- micro-units ---------------------------------------------------------------------------------


def all_words(units: tuple) -> list[str]:
    return [w for u in units for w in u.text.split()]


def section_words(sections: list[Section]) -> list[str]:
    return [w for s in sections for w in s.text.split()]


def test_short_page_gives_one_unit_of_its_reading_time() -> None:
    sections = [Section("", 0, words(100)), Section("Part", 2, words(150, 100))]
    units = split_units("Page", sections)
    assert len(units) == 1
    assert units[0].minutes == 2
    assert units[0].title == "Page"
    assert units[0].anchor is None
    assert sorted(all_words(units)) == sorted(section_words(sections))


def test_one_unit_per_section_of_the_right_size() -> None:
    wpm = WORDS_PER_MINUTE
    sections = [
        Section("Getting started", 1, words(8 * wpm)),
        Section("Daily work", 2, words(10 * wpm, 10_000)),
        Section("Wrap up", 2, words(6 * wpm, 20_000)),
    ]
    units = split_units("Handbook", sections)
    assert [u.title for u in units] == ["Getting started", "Daily work", "Wrap up"]
    assert [u.minutes for u in units] == [8, 10, 6]
    assert [u.anchor for u in units] == ["getting-started", "daily-work", "wrap-up"]
    assert [u.position for u in units] == [0, 1, 2]


def test_small_sections_are_merged_with_the_title_of_the_first() -> None:
    wpm = WORDS_PER_MINUTE
    sections = [
        Section("Intro", 1, words(2 * wpm)),
        Section("Why", 2, words(2 * wpm, 1000)),
        Section("How", 2, words(2 * wpm, 2000)),
        Section("Reference", 2, words(12 * wpm, 3000)),
        Section("Note", 2, words(1 * wpm, 9000)),
    ]
    units = split_units("Page", sections)
    assert [u.title for u in units] == ["Intro", "Reference"]
    assert units[0].minutes == 6
    assert units[1].minutes == 13  # the small trailing note joins the previous unit
    assert all(UNIT_MIN_MINUTES <= u.minutes <= UNIT_MAX_MINUTES for u in units)
    assert sorted(all_words(units)) == sorted(section_words(sections))


def test_long_section_is_split_at_paragraphs_into_parts() -> None:
    wpm = WORDS_PER_MINUTE
    paragraphs = [words(4 * wpm, i * 10_000) for i in range(10)]  # 40 minutes in 4-minute paragraphs
    sections = [Section("Big topic", 2, "\n\n".join(paragraphs))]
    units = split_units("Page", sections)
    assert len(units) >= 3
    assert units[0].title == "Big topic"
    assert units[1].title == "Big topic (part 2)"
    assert units[2].title == "Big topic (part 3)"
    assert all(u.anchor == "big-topic" for u in units)
    assert all(UNIT_MIN_MINUTES <= u.minutes <= UNIT_MAX_MINUTES for u in units)
    assert sorted(all_words(units)) == sorted(section_words(sections))
    # paragraphs are kept whole
    for unit in units:
        for paragraph in unit.text.split("\n\n"):
            assert paragraph in paragraphs


def test_one_huge_paragraph_is_split_at_sentences_or_words() -> None:
    sentence_text = " ".join(f"{words(20, i * 20)}." for i in range(300))  # 6000 words, 30 minutes
    no_sentences = words(7000, 100_000)
    sections = [Section("Sentences", 2, sentence_text), Section("Wall", 2, no_sentences)]
    units = split_units("Page", sections)
    assert all(u.minutes <= UNIT_MAX_MINUTES for u in units)
    assert all(u.minutes >= UNIT_MIN_MINUTES for u in units)
    assert sorted(all_words(units)) == sorted(section_words(sections))
    sentence_units = [u for u in units if u.title.startswith("Sentences")]
    assert all(u.text.endswith(".") for u in sentence_units)


def test_empty_sections_are_skipped_and_lead_section_has_no_anchor() -> None:
    wpm = WORDS_PER_MINUTE
    sections = [
        Section("", 0, words(6 * wpm)),
        Section("Empty", 2, "   "),
        Section("Body", 2, words(6 * wpm, 5000)),
    ]
    units = split_units("My page", sections)
    assert [(u.title, u.anchor) for u in units] == [("My page", None), ("Body", "body")]


def test_duplicate_headings_get_numbered_anchors() -> None:
    wpm = WORDS_PER_MINUTE
    sections = [Section("Example", 2, words(6 * wpm)), Section("Example", 2, words(6 * wpm, 5000))]
    assert [u.anchor for u in split_units("P", sections)] == ["example", "example-1"]


def test_no_sections_gives_no_units() -> None:
    assert split_units("P", []) == ()
    assert split_units("P", [Section("Empty", 1, "")]) == ()


def test_markdown_round_trip_keeps_every_word() -> None:
    wpm = WORDS_PER_MINUTE
    text = "\n\n".join(
        [
            words(3 * wpm),
            "# One",
            words(9 * wpm, 5000),
            "## Two",
            words(20 * wpm, 10_000),
            "## Three",
            "x y z",
        ]
    )
    sections = sections_from_text(text)
    units = split_units("Doc", sections)
    assert sorted(all_words(units)) == sorted(section_words(sections))
    assert all(u.minutes <= UNIT_MAX_MINUTES for u in units)
    assert [u.position for u in units] == list(range(len(units)))
