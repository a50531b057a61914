"""Sections and micro-units of long text (ingest/normalise/units.py)."""

from __future__ import annotations

from ingest.normalise.minutes import WORDS_PER_MINUTE
from ingest.normalise.units import (
    UNIT_MAX_MINUTES,
    UNIT_MIN_MINUTES,
    Section,
    sections_from_text,
    slugify_heading,
    split_units,
)
from tests.support.words import words


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
