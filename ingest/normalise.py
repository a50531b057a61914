"""Normalisation shared by every source: language, minutes, level, format, micro-units.

Sources hand over whatever their catalog holds ("60-75 minuten", "Beginner Level", "nl-NL") and get back
the few normalised values the recommender ranks and schedules on. Everything here is deterministic and
offline: no model, no download, so the same file always gives the same items and the same content hash.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn
from urllib.parse import urlsplit

from ingest.records import FORMATS, LEVELS, MicroUnit, RecordRejected
from recommender.errors import LeerpadError

WORDS_PER_MINUTE = 200
UNIT_MIN_MINUTES = 5
UNIT_MAX_MINUTES = 15

# --------------------------------------------------------------------------------------------------
# Language
# --------------------------------------------------------------------------------------------------

LANGUAGES = ("nl", "en", "de", "fr", "es", "pt")

_STOPWORDS: dict[str, str] = {
    "nl": """de het een van en is niet voor met je op dat zijn wordt deze bij ook naar hoe wat die in te er
        om aan als maar dan nog door over uit of kan kun kunt hebben heeft heb ik wij jij jou jouw uw
        zij ze hun ons onze mijn geen meer veel waar wanneer waarom welke welk wie zo tot tegen toe zich
        zelf al wel worden werd was waren moet moeten mag zal zullen zou hier daar nu alle ander andere
        eigen onder tussen na sinds omdat dus want elk elke iets niets iemand niemand jullie ga gaat
        maken maak krijg krijgt leer leren jezelf hoe dit dus bent ben onze binnen zonder samen""",
    "en": """the a an of and is not for with you on that are be this by also to how what which in it as at
        from or but have has had was were will would can could should do does did their they them we our
        your my his her its there here when where why who than then into about more most some any all no
        if so up out these those been being learn learning get use using how""",
    "de": """der die das und ist nicht für mit sie auf dass sind wird diese bei auch nach wie was ein eine
        einen einem einer dem den des zu von im am es ich wir ihr oder aber wenn kann können haben hat
        war werden noch nur über unter vom zum zur sich sowie durch""",
    "fr": """le la les un une des du de et est pas pour avec vous sur que qui sont ce cette par aussi comment
        dans en au aux il elle nous ils elles ou mais plus son sa ses leur leurs je tu ne se été être
        avoir votre vos nos notre l d qu c""",
    # Spanish and Portuguese only so that such courses are not taken for French; no n-gram hints
    "es": """el la los las un una unos de del y en es no para con por que se su sus al lo como más pero este
        esta estos sobre entre cuando también muy sin hay te tu""",
    "pt": """o a os as um uma de do da dos das e em no na nos nas é não para com por que se seu sua ao como
        mais mas este esta sobre entre quando também muito sem você""",
}


def _word_weights() -> dict[str, dict[str, float]]:
    """Word -> language -> weight; a word shared by k languages counts 1/k for each, so 'de' says little."""
    owners: dict[str, set[str]] = {}
    for lang, words in _STOPWORDS.items():
        for word in words.split():
            owners.setdefault(word, set()).add(lang)
    return {word: {lang: 1.0 / len(langs) for lang in langs} for word, langs in owners.items()}


_WORD_WEIGHTS = _word_weights()
_WEAK = 0.3  # a character n-gram is a hint, a function word is evidence

# (pattern on a single lower-case word, languages it hints at)
_NGRAM_HINTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), langs)
    for pattern, langs in (
        (r"ij", ("nl",)),
        (r"oe", ("nl",)),
        (r"aa", ("nl",)),
        (r"uu", ("nl",)),
        (r"heid", ("nl",)),
        (r"lijk", ("nl",)),
        (r"[ëï]", ("nl",)),
        (r"..tie$", ("nl",)),
        (r"^(ont|ge|ver|be)..{3,}en$", ("nl", "de")),
        (r"..en$", ("nl", "de")),
        (r"sch", ("nl", "de")),
        (r"th", ("en",)),
        (r"...ing$", ("en",)),
        (r"..ly$", ("en",)),
        (r"ness$", ("en",)),
        (r"tion$", ("en", "fr")),
        (r"[äöüß]", ("de",)),
        (r"ung$", ("de",)),
        (r"keit$", ("de",)),
        (r"tz", ("de",)),
        (r"[éèêàçôû]", ("fr",)),
        (r"eau", ("fr",)),
        (r"ique$", ("fr",)),
    )
)

_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str, default: str = "en") -> str:
    """ISO 639-1 code of `text` (at least nl and en; also de, fr); `default` when unsure.

    Counts function words of each language (a word shared by several languages is split between them) and
    adds character n-grams ('ij', 'heid', 'th', 'ung', ...) as weak hints so that short titles without
    function words still lean the right way. No clear winner gives `default`.
    """
    if not text:
        return default
    scores = dict.fromkeys(LANGUAGES, 0.0)
    for word in _WORD_RE.findall(text.lower()[:20_000]):
        weights = _WORD_WEIGHTS.get(word)
        if weights:
            for lang, weight in weights.items():
                scores[lang] += weight
            continue
        if len(word) < 3:
            continue
        for pattern, langs in _NGRAM_HINTS:
            if pattern.search(word):
                for lang in langs:
                    scores[lang] += _WEAK / len(langs)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, best_score), (_, second_score) = ranked[0], ranked[1]
    if best_score <= 0 or best_score - second_score < 1e-9:
        return default
    return best


_LANGUAGE_NAMES: dict[str, str] = {
    "nl": "nl",
    "nld": "nl",
    "dut": "nl",
    "dutch": "nl",
    "nederlands": "nl",
    "vlaams": "nl",
    "flemish": "nl",
    "en": "en",
    "eng": "en",
    "english": "en",
    "engels": "en",
    "de": "de",
    "deu": "de",
    "ger": "de",
    "german": "de",
    "duits": "de",
    "deutsch": "de",
    "fr": "fr",
    "fra": "fr",
    "fre": "fr",
    "french": "fr",
    "frans": "fr",
    "français": "fr",
    "francais": "fr",
    "es": "es",
    "spanish": "es",
    "spaans": "es",
    "español": "es",
    "it": "it",
    "italian": "it",
    "italiaans": "it",
    "pt": "pt",
    "portuguese": "pt",
    "portugees": "pt",
}
_LANGUAGE_TAG_RE = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]{2,8})*$")


def language_code(value: str | None) -> str | None:
    """The ISO 639-1 code a language column value names, or None when it names none we know."""
    if not value:
        return None
    key = value.strip().lower()
    if key in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[key]
    first = re.split(r"[\s,;/(]+", key, maxsplit=1)[0]  # "Dutch (Netherlands)", "nl; en"
    if first in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[first]
    match = _LANGUAGE_TAG_RE.match(first)
    if match:
        return match.group(1)
    return None


def normalise_language(value: str | None, text: str) -> str:
    """A language column value ('Nederlands', 'Dutch', 'nl-NL', 'English', 'en') to ISO 639-1,
    else detect from text."""
    return language_code(value) or detect_language(text)


# --------------------------------------------------------------------------------------------------
# Minutes
# --------------------------------------------------------------------------------------------------

HOURS_PER_DAY = 8
HOURS_PER_DAGDEEL = 4
STUDY_HOURS_PER_WEEK = 5  # a week or month of self-paced study, when the source gives no hours
WEEKS_PER_MONTH = 4
WEEKS_PER_YEAR = 52
ASSUMED_WEEKS = 4  # an 'hours/week' workload with no number of weeks
LESS_THAN_FACTOR = 0.75  # 'Less Than 2 Hours' is 90 minutes

_NUM = r"\d+(?:\.\d+)?"
_UNITS: dict[str, tuple[str, float]] = {}
for _names, _kind, _factor in (
    ("s sec secs second seconds seconde seconden", "abs", 1 / 60),
    ("m min mins minute minutes minuut minuten mn", "abs", 1.0),
    ("h hr hrs hour hours u uur uren", "abs", 60.0),
    ("dagdeel dagdelen", "abs", HOURS_PER_DAGDEEL * 60.0),
    ("d dag dagen day days", "abs", HOURS_PER_DAY * 60.0),
    ("w wk wks week weeks weken", "cal", 1.0),
    ("mo mnd maand maanden month months", "cal", float(WEEKS_PER_MONTH)),
    ("y yr yrs jaar jaren year years", "cal", float(WEEKS_PER_YEAR)),
):
    for _name in _names.split():
        _UNITS[_name] = (_kind, _factor)

_TERM_RE = re.compile(
    rf"(?P<a>{_NUM})(?:\s*(?P<op>-|–|—|\+|to|tot|tot en met)\s*(?P<b>{_NUM}))?\s*"
    rf"(?P<unit>{'|'.join(sorted(map(re.escape, _UNITS), key=len, reverse=True))})\b"
    r"(?P<rate>\s*(?:/|per|a|an|each|in de|p\.?)\s*(?:week|weeks|wk|w)\b)?"
)
_ISO_RE = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$",
    re.IGNORECASE,
)
_CLOCK_RE = re.compile(r"^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$")
_NUMBER_RE = re.compile(r"^[~≈]?\s*-?\d+(?:\.\d+)?$")
_WORD_NUMBER_RE = re.compile(
    r"\b(?:een|één|one|an|a)\s+(?=(?:uur|hour|dag|day|week|maand|month|dagdeel|jaar|year)\b)"
)
_HALF_DAY_RE = re.compile(r"\b(?:halve dag|half[- ]day|half a day)\b")
_LESS_THAN_RE = re.compile(r"^(?:less than|fewer than|under|minder dan|korter dan|<)\s*")


def _word_number(match: re.Match[str]) -> str:
    """'een uur', 'an hour' -> '1 uur'; but the 'a' of '3 hours a week' is a rate, not a number."""
    before = match.string[: match.start()].split()
    if before and before[-1] in _UNITS:
        return match.group(0)
    return "1 "


def _round(value: float) -> int:
    """Half up, not Python's banker's rounding: '60-75 minuten' is 68, not 68 or 67 by parity."""
    return int(math.floor(value + 0.5))


def _as_minutes(value: float) -> int:
    minutes = _round(value)
    return 1 if minutes == 0 and value > 0 else minutes


def parse_minutes(value: str | int | float | None) -> int | None:
    """Minutes from a duration text: '45 min', '60-75 minuten', '4 uur', '3 uur 45 min', '4-8 hours/week',
    'Less Than 2 Hours', '1-3 Months', 'PT1H30M'. None when the text holds no duration.

    A plain number (or numeric string) is minutes; 'H:MM' is a clock duration. Ranges take their midpoint
    and halves round up ('60-75 minuten' -> 68). Several terms add up ('3 uur 45 min', '4+2 uur').
    Assumptions, because catalogs give calendar time rather than study time:
    a day is 8 hours, a 'dagdeel' (or half day) 4 hours; an hours-per-week workload ('4-8 hours/week') runs
    for the number of weeks the text gives ('4 weeks of study, 4-8 hours/week'), else for 4 weeks; weeks,
    months (4 weeks) and years (52 weeks) with no hours given are study time at 5 hours a week
    ('1-3 Months' -> 8 weeks -> 2400); 'Less Than N Hours' is three quarters of N hours ('Less Than 2 Hours'
    -> 90).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        return _as_minutes(float(value)) if value >= 0 else _round(float(value))
    text = str(value).strip()
    if not text:
        return None
    iso = _ISO_RE.match(text)
    if iso and any(iso.groupdict().values()):
        parts = {k: float(v) for k, v in iso.groupdict().items() if v}
        total = (
            parts.get("w", 0) * STUDY_HOURS_PER_WEEK * 60
            + parts.get("d", 0) * HOURS_PER_DAY * 60
            + parts.get("h", 0) * 60
            + parts.get("m", 0)
            + parts.get("s", 0) / 60
        )
        return _as_minutes(total)
    text = re.sub(r"(?<=\d),(?=\d)", ".", text.lower())
    clock = _CLOCK_RE.match(text)
    if clock:
        return _as_minutes(int(clock[1]) * 60 + int(clock[2]) + int(clock[3] or 0) / 60)
    if _NUMBER_RE.match(text):
        number = float(text.lstrip("~≈ "))
        return _as_minutes(number) if number >= 0 else _round(number)
    text = _HALF_DAY_RE.sub("1 dagdeel", text)
    text = re.sub(r"^dagde(?:el|len)\b", "1 dagdeel", text)
    text = _WORD_NUMBER_RE.sub(_word_number, text)
    less_than = bool(_LESS_THAN_RE.match(text))

    absolute = 0.0
    weekly_rate: float | None = None
    weeks: float | None = None
    found = False
    for term in _TERM_RE.finditer(text):
        found = True
        a = float(term["a"])
        b = float(term["b"]) if term["b"] else None
        if b is None:
            quantity = a
        elif term["op"] == "+":
            quantity = a + b
        else:
            quantity = (a + b) / 2
        kind, factor = _UNITS[term["unit"]]
        if kind == "abs" and term["rate"]:
            weekly_rate = (weekly_rate or 0.0) + quantity * factor
        elif kind == "abs":
            absolute += quantity * factor
        else:
            weeks = (weeks or 0.0) + quantity * factor
    if not found:
        return None
    if weekly_rate is not None:
        total = weekly_rate * (weeks if weeks is not None else ASSUMED_WEEKS)
    elif absolute > 0:
        total = absolute
    else:
        total = (weeks or 0.0) * STUDY_HOURS_PER_WEEK * 60
    if less_than:
        total *= LESS_THAN_FACTOR
    return _as_minutes(total)


def reading_minutes(text: str) -> int:
    """Reading time of `text` in whole minutes (at least 1)."""
    return max(1, math.ceil(len(text.split()) / WORDS_PER_MINUTE))


# --------------------------------------------------------------------------------------------------
# Level and format
# --------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------
# Sections and micro-units
# --------------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------------
# Values the tabular sources (csv, goodhabitz, coursera) share
# --------------------------------------------------------------------------------------------------

MAX_ID_LENGTH = 200


def slug(text: str, max_length: int = MAX_ID_LENGTH) -> str:
    """A stable ASCII id from free text; overlong ones keep a hash of the whole so they stay unique."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(value) > max_length:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        value = f"{value[: max_length - 13].rstrip('-')}-{digest}"
    return value


def url_slug(url: str) -> str:
    """A stable id from a url: host and path without scheme, 'www.', query or fragment."""
    bare = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.IGNORECASE)
    bare = re.sub(r"^www\.", "", bare, flags=re.IGNORECASE)
    bare = re.split(r"[?#]", bare, maxsplit=1)[0].rstrip("/")
    return slug(bare)


WEB_SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2048


def web_url_problem(url: str) -> str | None:
    """Why `url` is not an absolute http(s) link that clients may render, or None when it is one.

    Clients (the LMS, the report pages) render an item's url as a link: a `javascript:` or `data:` url
    from a third-party catalog file would run in their pages. Control characters are refused too:
    browsers drop tabs and line breaks, so `java\tscript:` is `javascript:` to them, and bidi
    controls make a link read as another. (A space is harmless: browsers send it as %20.)"""
    if len(url) > MAX_URL_LENGTH:
        return f"is longer than {MAX_URL_LENGTH} characters"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in url):
        return "contains a control character"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        return f"is not a url ({exc})"
    if parts.scheme.lower() not in WEB_SCHEMES:
        scheme = f"scheme {parts.scheme + ':'!r}" if parts.scheme else "no scheme"
        return f"has {scheme}: only http and https urls are accepted"
    if not host:
        return "has no host"
    return None


# C0 and C1 controls and bidi controls: a terminal obeys ESC [31m in a title the CLI prints, and a
# bidi override makes a title or skill read as other text in a report. Multi-line text keeps its tabs
# and line breaks; one-line text gets a space for them.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("[\t\n\r]")


def without_controls(text: str, one_line: bool = False) -> str:
    """`text` without control characters; returned as it is when it holds none (its hash stays)."""
    if not _CONTROLS.search(text) and not (one_line and _LINE_BREAKS.search(text)):
        return text
    if one_line:
        return " ".join(_CONTROLS.sub(" ", _LINE_BREAKS.sub(" ", text)).split())
    return _CONTROLS.sub("", text)


def parse_rating(value: str | None, field: str = "rating") -> float | None:
    """A 0..5 rating ('4.7', '4,7'); empty is None; anything else rejects the row naming the field."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        rating = float(text.replace(",", "."))
    except ValueError:
        raise RecordRejected(f"bad {field} {text!r}: expected a number from 0 to 5", field) from None
    if not math.isfinite(rating) or not 0 <= rating <= 5:
        raise RecordRejected(f"bad {field} {text!r}: expected a number from 0 to 5", field)
    return rating


def parse_timestamp(value: str, field: str = "updated_at") -> datetime:
    """An ISO date or date-time; a naive one is taken as UTC so that stored times compare."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RecordRejected(
            f"bad {field} {text!r}: expected an ISO date or date-time such as 2024-05-31 or "
            "2024-05-31T14:00:00Z",
            field,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def split_list(value: str | None, separators: str) -> tuple[str, ...]:
    """Non-empty, stripped, de-duplicated (case-insensitively, first spelling kept) list items."""
    if not value:
        return ()
    out: dict[str, str] = {}
    for part in re.split(f"[{re.escape(separators)}]", value):
        item = " ".join(part.split())
        if item and item.casefold() not in out:
            out[item.casefold()] = item
    return tuple(out.values())


def description_units(title: str, description: str, minutes: int) -> tuple[MicroUnit, ...]:
    """One unit for a short description; micro-units at headings and paragraphs for a long one."""
    if reading_minutes(description) > UNIT_MAX_MINUTES:
        units = split_units(title, sections_from_text(description))
        if units:
            return units
    return (MicroUnit(position=0, title=title, text=description or title, minutes=minutes),)


# --------------------------------------------------------------------------------------------------
# Course structure: modules and lessons (coursera, goodhabitz, csv)
# --------------------------------------------------------------------------------------------------
#
# A source may say how an item is built: modules, each optionally made of lessons. The item is then
# split along that structure instead of being one unit of its whole duration. The rules, the same for
# every source (each source's docstring says where it finds the list):
#
# - Minutes: the finest level that gives minutes wins. Lessons' minutes make their module's minutes,
#   modules' minutes make the item's minutes (item minutes = sum of its modules, whatever its own
#   duration said; the stated duration is kept as extra["stated_minutes"] when it differs).
#   Entries without minutes share what their parent's duration leaves over the entries that have
#   minutes; when there is nothing to share (no duration, or the others use it all) the list is
#   malformed.
# - Units: one unit per module of 5 to 15 minutes; a module longer than 15 minutes is split into its
#   lessons when it lists them, else stays one unit with its honest minutes; units under 5 minutes are
#   merged into a neighbour while the merged unit stays within 15 minutes (the merged unit takes the
#   first title, and the later titles become lines of its text). Unit title = module or lesson title,
#   unit text = its description, else its title.
# - A malformed list (an entry without a title, a duration that cannot be read, more than MAX_MODULES
#   entries, ...) never rejects the item: the item keeps its whole-course form and the source records the
#   field and the reason in extra["modules_error"] and in the log.
# - Titles and texts are plain text: control and bidirectional-override characters are dropped,
#   whitespace in titles is collapsed, and lengths are capped. Nothing is interpreted as HTML or Markdown;
#   whatever renders them escapes them like any other catalog text.

MAX_MODULES = 200
MAX_LESSONS = 100
MAX_MODULE_MINUTES = 10_000
MAX_MODULE_TITLE = 300
MAX_MODULE_TEXT = 20_000

_UNSAFE_CHARS_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def plain_title(value: str, max_length: int = MAX_MODULE_TITLE) -> str:
    """One line of plain text: control characters dropped, whitespace collapsed, length capped."""
    text = " ".join(_UNSAFE_CHARS_RE.sub(" ", value).split())
    return text if len(text) <= max_length else text[: max_length - 1].rstrip() + "…"


def plain_text(value: str, max_length: int = MAX_MODULE_TEXT) -> str:
    """Plain text that keeps its line breaks: control characters dropped, length capped."""
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _UNSAFE_CHARS_RE.sub("", text.replace("\t", " "))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text if len(text) <= max_length else text[: max_length - 1].rstrip() + "…"


@dataclass(frozen=True)
class Module:
    """A module or lesson as a source lists it; `minutes` None when the source gives none."""

    title: str
    minutes: int | None = None
    text: str = ""
    lessons: tuple[Module, ...] = ()


class ModuleListError(LeerpadError):
    """A module list that cannot be used; the reason names the entry."""


def _entry_minutes(value: object, where: str) -> int | None:
    """Minutes of a module entry: a number, or a duration text ('12 min', '1 uur', 'PT15M')."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ModuleListError(f"{where}: minutes must be a number or a duration text, got {value!r}")
    minutes = parse_minutes(value)
    if minutes is None or not 1 <= minutes <= MAX_MODULE_MINUTES:
        raise ModuleListError(
            f"{where}: cannot read the duration {str(value)[:40]!r} "
            f"(expected 1 to {MAX_MODULE_MINUTES} minutes, such as '12 min')"
        )
    return minutes


_ENTRY_DURATION_RE = re.compile(r"^(?P<title>.*?)\s*\((?P<duration>[^()]*)\)\s*$", re.S)
_DURATION_HINT_RE = re.compile(r"\d|\b(?:min|mins|minutes?|minuten|minuut|uur|uren|hours?|hrs?|u)\b", re.I)
_BULLET_RE = re.compile(r"^\s*(?:[-*•·]+|\d{1,3}[.)])\s+")
MODULE_SEPARATORS = ";|\n"


def parse_module_list(value: str) -> tuple[Module, ...]:
    """Modules from a cell such as 'Intro (5 min); Je eerste draaitabel (12 min) | Grafieken (10 min)'.

    Entries are separated by ';', '|' or line breaks; each is a title with an optional trailing
    '(duration)' that parse_minutes reads ('12 min', '1 uur', '1:15'). A trailing parenthesis with no
    digit and no time word belongs to the title ('Git (basis)'). A cell that starts with '[' is read as
    the JSON form (see modules_from_json). Raises ModuleListError naming the bad entry.
    """
    text = value.strip()
    if not text:
        return ()
    if text.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModuleListError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
        return modules_from_json(data)
    entries = [e for e in re.split(f"[{re.escape(MODULE_SEPARATORS)}]", text) if e.strip()]
    if len(entries) > MAX_MODULES:
        raise ModuleListError(f"{len(entries)} entries; at most {MAX_MODULES} are read")
    modules: list[Module] = []
    for number, entry in enumerate(entries, start=1):
        raw = _BULLET_RE.sub("", entry.strip())
        where = f"entry {number} {plain_title(raw, 60)!r}"
        title, minutes = raw, None
        match = _ENTRY_DURATION_RE.match(raw)
        if match:
            duration = match.group("duration")
            parsed = parse_minutes(duration)
            if parsed is not None:
                title, minutes = match.group("title"), _entry_minutes(parsed, where)
            elif _DURATION_HINT_RE.search(duration):
                raise ModuleListError(f"{where}: cannot read the duration {duration.strip()!r}")
        title = plain_title(title)
        if not title:
            raise ModuleListError(f"{where}: no title")
        modules.append(Module(title=title, minutes=minutes))
    return tuple(modules)


_JSON_TITLE_KEYS = ("name", "title")
_JSON_TEXT_KEYS = ("description", "summary", "text")
_JSON_MINUTE_KEYS = ("minutes", "workload", "duration", "timeCommitment")
_JSON_LESSON_KEYS = ("lessons", "items")


def _json_module(entry: object, where: str, depth: int) -> Module:
    if isinstance(entry, str):
        return Module(title=plain_title(entry)) if plain_title(entry) else _no_title(where)
    if not isinstance(entry, dict):
        raise ModuleListError(f"{where}: expected an object with a name, got {type(entry).__name__}")
    title_value = next((entry[k] for k in _JSON_TITLE_KEYS if entry.get(k) is not None), None)
    if not isinstance(title_value, str) or not plain_title(title_value):
        return _no_title(where)
    text_value = next((entry[k] for k in _JSON_TEXT_KEYS if entry.get(k) is not None), "")
    if not isinstance(text_value, str):
        raise ModuleListError(f"{where}: description must be text, got {type(text_value).__name__}")
    minutes_value = next((entry[k] for k in _JSON_MINUTE_KEYS if entry.get(k) is not None), None)
    minutes = _entry_minutes(minutes_value, where)
    lessons: tuple[Module, ...] = ()
    lesson_value = next((entry[k] for k in _JSON_LESSON_KEYS if entry.get(k) is not None), None)
    if lesson_value is not None and depth == 0:
        if not isinstance(lesson_value, list):
            raise ModuleListError(f"{where}: lessons must be a list, got {type(lesson_value).__name__}")
        if len(lesson_value) > MAX_LESSONS:
            raise ModuleListError(f"{where}: {len(lesson_value)} lessons; at most {MAX_LESSONS} are read")
        lessons = tuple(
            _json_module(lesson, f"{where} lesson {n}", depth + 1) for n, lesson in enumerate(lesson_value, 1)
        )
    return Module(
        title=plain_title(title_value), minutes=minutes, text=plain_text(text_value), lessons=lessons
    )


def _no_title(where: str) -> NoReturn:
    raise ModuleListError(f"{where}: no name")


def modules_from_json(value: object) -> tuple[Module, ...]:
    """Modules from JSON: a list of {"name" (or "title"), "description", "minutes" (a number) or "workload"
    (a duration text such as "12 minutes"), "lessons": [the same shape, no deeper]}; a bare string is a
    module title. Raises ModuleListError naming the bad entry."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ModuleListError(f"expected a list of modules, got {type(value).__name__}")
    if len(value) > MAX_MODULES:
        raise ModuleListError(f"{len(value)} modules; at most {MAX_MODULES} are read")
    return tuple(_json_module(entry, f"module {n}", 0) for n, entry in enumerate(value, start=1))


_DESCRIPTION_MODULE_RE = re.compile(
    r"^\s*(?:[-*•]\s*)?(?P<label>module|week|les|lesson|lessen|hoofdstuk|chapter|deel|part|onderdeel|unit|"
    r"sessie|session|dag|day|stap|step)\s+(?P<number>\d{1,3})\s*(?:[:.)–—-]\s*)(?P<rest>\S.*)$",
    re.IGNORECASE,
)
_INLINE_DURATION_RE = re.compile(r"\s*\((?P<duration>[^()]*\d[^()]*)\)")
_TITLE_TEXT_SPLIT_RE = re.compile(r"\s+[–—-]\s+|:\s+")


def modules_from_description(description: str) -> tuple[Module, ...]:
    """Modules a description lists itself, one per line: 'Module 1: Title (15 min)', 'Week 2: Title - what
    you do', 'Les 3 – Title'. Labels: module, week, les/lesson, hoofdstuk/chapter, deel/part, onderdeel,
    unit, sessie/session, dag/day, stap/step, each with a number. At least two such lines, numbered in
    order, make a list; anything else gives (). A '(duration)' in the line gives its minutes; the text
    after ' - ', ' – ' or ': ' in the rest of the line is the module's text."""
    found: list[tuple[int, Module]] = []
    for line in description.splitlines():
        match = _DESCRIPTION_MODULE_RE.match(line)
        if not match:
            continue
        rest = match.group("rest")
        minutes = None
        duration = _INLINE_DURATION_RE.search(rest)
        if duration:
            parsed = parse_minutes(duration.group("duration"))
            if parsed is not None and 1 <= parsed <= MAX_MODULE_MINUTES:
                minutes = parsed
                rest = rest[: duration.start()] + rest[duration.end() :]
        parts = _TITLE_TEXT_SPLIT_RE.split(rest.strip(), maxsplit=1)
        title = plain_title(parts[0].rstrip(" .:"))
        text = plain_text(parts[1]) if len(parts) > 1 else ""
        if title:
            found.append((int(match.group("number")), Module(title=title, minutes=minutes, text=text)))
    numbers = [number for number, _ in found]
    if len(found) < 2 or len(found) > MAX_MODULES or numbers != sorted(numbers):
        return ()
    return tuple(module for _, module in found)


def _share(entries: tuple[Module, ...], total: int | None, where: str) -> tuple[Module, ...]:
    """Give entries without minutes an equal share of what `total` leaves after the others."""
    missing = [i for i, e in enumerate(entries) if e.minutes is None]
    if not missing:
        return entries
    known = sum(e.minutes or 0 for e in entries)
    left = (total or 0) - known
    if total is None or left < len(missing):
        raise ModuleListError(
            f"{len(missing)} {where} give no minutes and "
            + (
                "there is no duration to share"
                if total is None
                else f"the {total} minutes leave none to share"
            )
        )
    base, extra = divmod(left, len(missing))
    out = list(entries)
    for rank, index in enumerate(missing):
        out[index] = Module(
            entries[index].title,
            base + (1 if rank < extra else 0),
            entries[index].text,
            entries[index].lessons,
        )
    return tuple(out)


def resolve_module_minutes(modules: tuple[Module, ...], total: int | None) -> tuple[Module, ...]:
    """Every module and lesson with its minutes (see the rules above); `total` is the item's own duration,
    None when the source gave none. Raises ModuleListError when minutes cannot be settled."""
    settled: list[Module] = []
    for module in modules:
        if module.lessons and all(lesson.minutes is not None for lesson in module.lessons):
            lesson_sum = sum(lesson.minutes or 0 for lesson in module.lessons)
            module = Module(module.title, lesson_sum, module.text, module.lessons)
        settled.append(module)
    shared = _share(tuple(settled), total, "modules")
    return tuple(
        Module(m.title, m.minutes, m.text, _share(m.lessons, m.minutes, f"lessons of {m.title!r}"))
        if m.lessons
        else m
        for m in shared
    )


@dataclass
class _Part:
    title: str
    texts: list[str]
    minutes: int

    def as_following(self) -> list[str]:
        """Its text inside a unit it is merged into: its title leads, since the unit keeps another."""
        first = self.title if self.texts[0] == self.title else f"{self.title}\n{self.texts[0]}"
        return [first, *self.texts[1:]]


def module_units(modules: tuple[Module, ...]) -> tuple[MicroUnit, ...]:
    """Micro-units along settled modules (every minutes filled in, see resolve_module_minutes)."""
    parts: list[_Part] = []
    for module in modules:
        minutes = module.minutes or 0
        if minutes > UNIT_MAX_MINUTES and module.lessons:
            parts.extend(_Part(ls.title, [ls.text or ls.title], ls.minutes or 0) for ls in module.lessons)
        else:
            parts.append(_Part(module.title, [module.text or module.title], minutes))
    merged: list[_Part] = []
    for part in parts:
        if merged:
            previous = merged[-1]
            fits = previous.minutes + part.minutes <= UNIT_MAX_MINUTES
            if fits and (part.minutes < UNIT_MIN_MINUTES or previous.minutes < UNIT_MIN_MINUTES):
                previous.texts.extend(part.as_following())
                previous.minutes += part.minutes
                continue
        merged.append(_Part(part.title, list(part.texts), part.minutes))
    # A short part left between overlong modules joins one of them: that unit is over 15 minutes anyway.
    index = 0
    while len(merged) > 1 and index < len(merged):
        part = merged[index]
        if part.minutes >= UNIT_MIN_MINUTES:
            index += 1
            continue
        if index > 0 and merged[index - 1].minutes > UNIT_MAX_MINUTES:
            merged[index - 1].texts.extend(part.as_following())
            merged[index - 1].minutes += part.minutes
            del merged[index]
        elif index + 1 < len(merged) and merged[index + 1].minutes > UNIT_MAX_MINUTES:
            following = merged.pop(index + 1)
            part.texts.extend(following.as_following())
            part.minutes += following.minutes
        else:
            index += 1
    return tuple(
        MicroUnit(position=position, title=part.title, text="\n\n".join(part.texts), minutes=part.minutes)
        for position, part in enumerate(merged)
    )


@dataclass(frozen=True)
class Structure:
    """How an item was split: its units, its minutes, where the structure came from, what went wrong."""

    units: tuple[MicroUnit, ...]
    minutes: int
    origin: str  # "modules" (a module list), "description" (lines of the description) or "whole"
    error: str | None = None

    def annotate(self, extra: dict[str, object], field: str, stated_minutes: int) -> None:
        """Record in an item's extra what the structure changed: origin, stated minutes, a field error."""
        if self.origin != "whole":
            extra["units_from"] = self.origin
            estimated = extra.pop("minutes_estimated", False)
            if self.minutes != stated_minutes and not estimated:
                extra["stated_minutes"] = stated_minutes
        if self.error:
            extra["modules_error"] = f"field {field!r}: {self.error}"


def course_structure(
    title: str,
    unit_text: str,
    minutes: int,
    *,
    modules: str | list[object] | None = None,
    description: str = "",
    minutes_known: bool = True,
) -> Structure:
    """Units of a course: along its module list when the source gives one (`modules`: the cell text or
    the JSON list), else along the modules its description lists, else one unit of the whole course (or
    micro-units of a long text, see description_units). A malformed module list gives the whole-course
    units and the reason in `error`; the description is not tried then, since the source said otherwise.
    """
    whole = description_units(title, unit_text, minutes)
    total = minutes if minutes_known else None
    has_list = modules is not None and (not isinstance(modules, str) or modules.strip())
    if has_list:
        try:
            parsed = parse_module_list(modules) if isinstance(modules, str) else modules_from_json(modules)
            settled = resolve_module_minutes(parsed, total)
        except ModuleListError as exc:
            return Structure(whole, minutes, "whole", str(exc))
        if settled:
            units = module_units(settled)
            return Structure(units, sum(u.minutes for u in units), "modules")
    listed = modules_from_description(description)
    if listed:
        try:
            settled = resolve_module_minutes(listed, total)
        except ModuleListError:
            return Structure(whole, minutes, "whole")
        units = module_units(settled)
        return Structure(units, sum(u.minutes for u in units), "description")
    return Structure(whole, minutes, "whole")


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
