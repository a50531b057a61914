"""A source's format or type text ("Video-cursus", "Klassikale training") to one of FORMATS."""

from __future__ import annotations

from ingest.records import FORMATS

_FORMAT_EXACT: dict[str, str] = {}
for _format, _words in (
    ("video", "video videos film clip"),
    (
        "course",
        "course courses cursus cursussen e-learning elearning e-learnings online mooc specialization "
        "specialisation specialisatie certificate programme program opleiding module leerpad project",
    ),
    (
        "article",
        "article artikel artikelen blog blogpost text tekst reading document whitepaper guide handleiding",
    ),
    ("page", "page pagina wiki webpage webpagina"),
    ("microlearning", "microlearning micro-learning microlearnings"),
    (
        "classroom",
        "training trainingen klassikaal classroom workshop workshops masterclass in-person face-to-face "
        "incompany in-company ilt bootcamp",
    ),
    (
        "event",
        "webinar webinars event events evenement congres congress conference conferentie bijeenkomst meetup "
        "seminar symposium meeting netwerkbijeenkomst",
    ),
    ("podcast", "podcast podcasts audio luisterboek audiobook"),
    ("other", "other overig overige anders"),
):
    for _word in _words.split():
        _FORMAT_EXACT[_word] = _format
for _phrase, _format in (
    ("online course", "course"),
    ("online cursus", "course"),
    ("professional certificate", "course"),
    ("learning path", "course"),
    ("guided project", "course"),
    ("micro learning", "microlearning"),
    ("learning snack", "microlearning"),
    ("live training", "classroom"),
    ("summer school", "event"),
):
    _FORMAT_EXACT[_phrase] = _format

# Substrings tried in order when the whole value is no known word ('Video-cursus', 'Klassikale training').
_FORMAT_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("podcast", "podcast"),
    ("micro", "microlearning"),
    ("webinar", "event"),
    ("video", "video"),
    ("e-learning", "course"),
    ("elearning", "course"),
    ("klassika", "classroom"),
    ("classroom", "classroom"),
    ("workshop", "classroom"),
    ("masterclass", "classroom"),
    ("training", "classroom"),
    ("congres", "event"),
    ("conferen", "event"),
    ("bijeenkomst", "event"),
    ("event", "event"),
    ("artikel", "article"),
    ("article", "article"),
    ("blog", "article"),
    ("cursus", "course"),
    ("course", "course"),
)


def normalise_format(value: str | None, default: str = "course") -> str:
    """A source's format/type text to one of FORMATS.

    Empty and unrecognised texts give `default`: each source knows what its catalog mostly holds.
    """
    if not value:
        return default
    text = " ".join(value.strip().lower().replace("_", " ").split())
    if text in FORMATS:
        return text
    if text in _FORMAT_EXACT:
        return _FORMAT_EXACT[text]
    for keyword, fmt in _FORMAT_KEYWORDS:
        if keyword in text:
            return fmt
    return default
