"""A source's level text ("Beginner Level", "gevorderd", "2") to one of LEVELS, and the level a
description states."""

from __future__ import annotations

import re

from ingest.records import LEVELS

_LEVEL_WORDS: dict[str, str | None] = {}
for _level, _words in (
    (
        "beginner",
        "beginner beginners beginning beginnend beginnende beginneling introductory intro introduction "
        "inleiding inleidend basis basic basics basiskennis starter starters start instap instapniveau entry "
        "entry-level foundation foundations foundational fundamentals elementary novice 1",
    ),
    (
        "intermediate",
        "intermediate gemiddeld gemiddelde midden middel middelbaar medium mid halfgevorderd halfgevorderden "
        "conversant 2",
    ),
    (
        "advanced",
        "advanced expert experts gevorderd gevorderden gevorderde geavanceerd specialist deskundig 3",
    ),
    (
        "",
        "mixed gemengd all alle any iedereen everyone n.v.t. nvt n/a none geen varies verschillend divers",
    ),
):
    for _word in _words.split():
        _LEVEL_WORDS[_word] = _level or None

_LEVEL_NOISE = re.compile(r"\b(?:levels?|niveaus?|level:|niveau:|for|voor|voor de|course|cursus)\b")


def parse_level(value: str | None) -> str | None:
    """Like `normalise_level`, but raises ValueError for a text that names no level we know.

    Sources whose format promises a level (the generic csv) reject such a row; the others keep the text.
    """
    if value is None:
        return None
    text = value.strip().lower()
    if not text:
        return None
    if text in _LEVEL_WORDS:
        return _LEVEL_WORDS[text]
    cleaned = " ".join(_LEVEL_NOISE.sub(" ", text).replace("&", " ").split())
    if cleaned in _LEVEL_WORDS:
        return _LEVEL_WORDS[cleaned]
    if cleaned in ("", "all", "alle"):
        return None
    # 'Beginner to Intermediate', 'Basis/Gevorderd': a span of levels is no single level
    found = {_LEVEL_WORDS[w] for w in re.split(r"[\s/,+-]+|\bto\b|\btot\b", cleaned) if w in _LEVEL_WORDS}
    if len(found) == 1:
        return found.pop()
    if len(found) > 1:
        return None
    raise ValueError(f"unknown level {value!r}; expected one of {', '.join(LEVELS)} (or mixed)")


def normalise_level(value: str | None) -> str | None:
    """'Beginner', 'Beginner Level', 'Beginnend', 'Gevorderd', 'Mixed', 'Expert', ... to one of LEVELS
    or None.

    Dutch 'gevorderd' is advanced and 'halfgevorderd' intermediate. Mixed levels, spans and unknown
    texts give None (see `parse_level` to tell unknown from mixed).
    """
    try:
        return parse_level(value)
    except ValueError:
        return None


_LEVEL_LINE_RE = re.compile(
    r"^[ \t]*(?:level|niveau|difficulty(?: level)?|moeilijkheidsgraad)[ \t]*:[ \t]*(?P<value>[^\n.;]{1,40})",
    re.IGNORECASE | re.MULTILINE,
)
_LEVEL_PHRASE_RE = re.compile(r"\b(?P<value>beginner|intermediate|advanced|mixed)[ -]level\b", re.IGNORECASE)


def level_from_text(text: str) -> str | None:
    """The level a description states: a line 'Level: Beginner' / 'Niveau: gevorderd' (Coursera's course
    pages print 'Beginner level'; its courses.v1 API has no level field), or the phrase 'Intermediate
    level'. A mixed level, two different levels or none gives None."""
    match = _LEVEL_LINE_RE.search(text)
    if match:
        return normalise_level(match.group("value"))
    found = {normalise_level(m.group("value")) for m in _LEVEL_PHRASE_RE.finditer(text)}
    return found.pop() if len(found) == 1 else None
