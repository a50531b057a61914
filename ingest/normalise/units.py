"""Long text into micro-units: sections at headings, then units of UNIT_MIN_MINUTES to UNIT_MAX_MINUTES
of reading at paragraph and sentence ends."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.normalise.minutes import WORDS_PER_MINUTE, reading_minutes
from ingest.records import MicroUnit

UNIT_MIN_MINUTES = 5
UNIT_MAX_MINUTES = 15


@dataclass(frozen=True)
class Section:
    """A heading and the text under it, as a wiki page or long description is split."""

    title: str
    depth: int  # 1 for '#', 2 for '##', ...
    text: str


_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES_RE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def sections_from_text(text: str) -> list[Section]:
    """Sections of a Markdown-like text, split at ATX headings ('#', '##', ...); text before the
    first heading is a section with an empty title.

    '#' lines inside fenced code blocks are code, not headings. The lead section (depth 0) is only
    returned when it holds text; a heading with nothing under it gives a section with empty text.
    """
    sections: list[Section] = []
    title = ""
    depth = 0
    lines: list[str] = []
    fence: str | None = None

    def close() -> None:
        body = "\n".join(lines).strip("\n")
        if title or body.strip():
            sections.append(Section(title, depth, body.rstrip()))

    for line in text.splitlines():
        fence_match = _FENCE_RE.match(line)
        if fence is not None:
            marker = fence_match.group(1) if fence_match else ""
            if marker[:1] == fence[0] and len(marker) >= len(fence):
                fence = None
            lines.append(line)
            continue
        if fence_match:
            fence = fence_match.group(1)
            lines.append(line)
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            close()
            title = _CLOSING_HASHES_RE.sub("", heading.group(2) or "").strip()
            depth = len(heading.group(1))
            lines = []
            continue
        lines.append(line)
    close()
    return sections


_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_SLUG_DROP_RE = re.compile(r"[^\w\- ]", re.UNICODE)


def slugify_heading(title: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = _MD_LINK_RE.sub(r"\1", title).strip().lower()
    return _SLUG_DROP_RE.sub("", text).replace(" ", "-")


_MAX_WORDS = UNIT_MAX_MINUTES * WORDS_PER_MINUTE
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+")
_PARAGRAPH_RE = re.compile(r"\n[ \t]*\n+")


@dataclass
class _Piece:
    title: str
    anchor: str | None
    texts: list[str]
    words: int


def _word_count(text: str) -> int:
    return len(text.split())


def _pack(chunks: Iterable[str], joiner: str, max_words: int) -> list[str]:
    """Join chunks in order into groups of at most `max_words` (a chunk larger than that stays alone),
    as equal in size as the chunks allow: each group aims at what is left divided by the groups still
    needed, so no tiny tail is left over."""
    items = [(c, _word_count(c)) for c in chunks if c.strip()]
    remaining = sum(n for _, n in items)
    if remaining == 0:
        return []
    target = remaining / math.ceil(remaining / max_words)
    groups: list[str] = []
    current: list[str] = []
    size = 0
    for chunk, n in items:
        if current and (size + n > max_words or size + n / 2 > target):
            groups.append(joiner.join(current))
            remaining -= size
            target = remaining / math.ceil(remaining / max_words)
            current, size = [], 0
        current.append(chunk)
        size += n
    if current:
        groups.append(joiner.join(current))
    return groups


def _split_long(text: str) -> list[str]:
    """Parts of at most 15 minutes: at paragraphs, an overlong paragraph at sentences, then at words."""
    pieces: list[str] = []
    for paragraph in _PARAGRAPH_RE.split(text.strip()):
        if _word_count(paragraph) <= _MAX_WORDS:
            pieces.append(paragraph)
            continue
        sentences: list[str] = []
        for sentence in _SENTENCE_END_RE.split(paragraph):
            words = sentence.split()
            if len(words) <= _MAX_WORDS:
                sentences.append(sentence)
            else:
                sentences.extend(_pack(words, " ", _MAX_WORDS))
        pieces.extend(_pack(sentences, " ", _MAX_WORDS))
    return _pack(pieces, "\n\n", _MAX_WORDS)


def _minutes_of(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def split_units(item_title: str, sections: list[Section]) -> tuple[MicroUnit, ...]:
    """Micro-units of 5 to 15 minutes from a page's sections: split at headings, merge small neighbours,
    split overlong sections at paragraph boundaries. A short page gives one unit of its reading time.

    Merged units take the title and anchor of their first section; parts of a split section are titled
    '<title> (part 2)', ... and share its anchor. An untitled lead section takes the item title and has no
    anchor. Unit text is the sections' text only (headings are titles), so no word is lost or repeated.
    """
    used = [s for s in sections if s.text.strip()]
    if not used:
        return ()
    slug_counts: dict[str, int] = {}

    def anchor_for(title: str) -> str | None:
        if not title:
            return None
        slug = slugify_heading(title)
        seen = slug_counts.get(slug, 0)
        slug_counts[slug] = seen + 1
        return slug if seen == 0 else f"{slug}-{seen}"

    anchors = [anchor_for(s.title) for s in sections if s.title]
    anchor_of = {}
    index = 0
    for s in sections:
        if s.title:
            anchor_of[id(s)] = anchors[index]
            index += 1

    total_words = sum(_word_count(s.text) for s in used)
    if _minutes_of(total_words) < UNIT_MIN_MINUTES:
        first = used[0]
        text = "\n\n".join(s.text.strip() for s in used)
        return (
            MicroUnit(
                position=0,
                title=first.title or item_title,
                text=text,
                minutes=_minutes_of(total_words),
                anchor=anchor_of.get(id(first)),
            ),
        )

    pieces: list[_Piece] = []
    for s in used:
        title = s.title or item_title
        anchor = anchor_of.get(id(s))
        words = _word_count(s.text)
        if words <= _MAX_WORDS:
            pieces.append(_Piece(title, anchor, [s.text.strip()], words))
            continue
        for number, part in enumerate(_split_long(s.text), start=1):
            part_title = title if number == 1 else f"{title} (part {number})"
            pieces.append(_Piece(part_title, anchor, [part], _word_count(part)))

    merged: list[_Piece] = []
    for piece in pieces:
        if merged:
            previous = merged[-1]
            fits = previous.words + piece.words <= _MAX_WORDS
            small = _minutes_of(piece.words) < UNIT_MIN_MINUTES
            previous_small = _minutes_of(previous.words) < UNIT_MIN_MINUTES
            if fits and (small or previous_small):
                previous.texts.extend(piece.texts)
                previous.words += piece.words
                continue
        merged.append(_Piece(piece.title, piece.anchor, list(piece.texts), piece.words))

    return tuple(
        MicroUnit(
            position=position,
            title=piece.title,
            text="\n\n".join(piece.texts),
            minutes=_minutes_of(piece.words),
            anchor=piece.anchor,
        )
        for position, piece in enumerate(merged)
    )


def description_units(title: str, description: str, minutes: int) -> tuple[MicroUnit, ...]:
    """One unit for a short description; micro-units at headings and paragraphs for a long one."""
    if reading_minutes(description) > UNIT_MAX_MINUTES:
        units = split_units(title, sections_from_text(description))
        if units:
            return units
    return (MicroUnit(position=0, title=title, text=description or title, minutes=minutes),)
