"""Why a step is in a path, and why a gap has none: short sentences in the learner's language, built
only from facts the system holds.

Pure (stdlib only). Every clause stands on a field: the gap (skill, required and current level,
importance), the evidence that the unit teaches the skill (declared by its source, confirmed by L&D,
its label found in the text, or an embedding similarity with its value), the unit's level when the
catalog states one, its minutes and part, a rating or date only when the source gave them, and the
step that follows for the same skill. Nothing is said that no field backs: no "recently updated"
without the source's own date, no "at your level" when the level is unknown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

DECLARED = "declared"  # the source lists the skill for this item
CONFIRMED = "confirmed"  # L&D confirmed the tag
LABEL = "label"  # a label of the skill (Dutch or English) stands in the text
EMBEDDING = "embedding"  # the tagger matched the item to the skill by meaning
SIMILARITY = "similarity"  # dense retrieval: the unit's vector is close to the skill's
TEXT = "text"  # an ad-hoc skill label with no taxonomy skill, matched in the text by hybrid retrieval
EVIDENCE_KINDS = (DECLARED, CONFIRMED, LABEL, EMBEDDING, SIMILARITY, TEXT)

HIGH_RATING = 4.3
FRESH_DAYS = 365

# (Dutch noun, takes "het"), English noun
_FORMAT_WORDS: dict[str, tuple[str, bool, str]] = {
    "video": ("video", False, "video"),
    "course": ("cursus", False, "course"),
    "article": ("artikel", True, "article"),
    "page": ("pagina", False, "page"),
    "microlearning": ("microlearning", False, "microlearning"),
    "classroom": ("training", False, "training session"),
    "event": ("bijeenkomst", False, "session"),
    "podcast": ("podcast", False, "podcast"),
}
_DEFAULT_FORMAT = ("les", False, "lesson")
LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "nl": ("Nederlands", "Dutch"),
    "en": ("Engels", "English"),
    "de": ("Duits", "German"),
    "fr": ("Frans", "French"),
    "es": ("Spaans", "Spanish"),
}
_LEVEL_NAMES = {
    "beginner": ("beginners", "beginners"),
    "intermediate": ("gemiddeld niveau", "intermediate level"),
    "advanced": ("gevorderden", "advanced learners"),
}
_MONTHS_NL = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


@dataclass(frozen=True)
class GapFacts:
    label: str
    required: int
    current: float
    importance: float


@dataclass(frozen=True)
class StepFacts:
    """What is known of one step: the unit, its part, and why it was retrieved for its main skill."""

    title: str
    minutes: int
    format: str
    level: str | None
    level_fit: bool
    evidence: str
    evidence_detail: str
    part: int = 1
    parts: int = 1  # 0: the source gave no duration, so the number of sessions is unknown
    unit_minutes: int = 0
    remaining_minutes: int = 0
    language: str = "en"
    fallback_language: bool = False
    wanted_language: str = "nl"
    # the path also holds units on this skill in the learner's language: the fallback adds to them
    wanted_in_path: bool = False
    # the learner has done what there is on this skill in their language: the fallback goes on from it
    wanted_done: bool = False
    rating: float | None = None
    source_updated_at: datetime | None = None
    now: datetime | None = None
    next_title: str | None = None
    others: tuple[str, ...] = ()
    in_item: bool = False  # a module or section of a larger item
    # an earlier step of the path is in the same item for the same skill: this one goes on from it,
    # and its why says only that (the gap, the evidence and the level were said at the first)
    continues: bool = False


def _join(words: Sequence[str], dutch: bool) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + (" en " if dutch else " and ") + words[-1]


def _importance(value: float, dutch: bool) -> str:
    if value >= 0.8:
        return "zeer belangrijk" if dutch else "very important"
    if value >= 0.5:
        return "belangrijk" if dutch else "important"
    return "nuttig" if dutch else "useful"


def _gap_sentence(gap: GapFacts, role_name: str | None, show_levels: bool, dutch: bool) -> str:
    weight = _importance(gap.importance, dutch)
    if dutch:
        asker = f"Je rol als {role_name} vraagt" if role_name else "Gevraagd is"
        head = f"{asker} {gap.label} op niveau {gap.required} ({weight})"
        if not show_levels:
            return head + "."
        return f"{head}; {_where_nl(gap.current, gap.required)}."
    asker = f"Your role as {role_name} needs" if role_name else "Asked for:"
    head = f"{asker} {gap.label} at level {gap.required} ({weight})"
    if not show_levels:
        return head + "."
    if gap.current < 0.5:
        return f"{head}; you have not shown it yet."
    if round(gap.current) >= gap.required:
        return f"{head}; you are just below it ({_just_below(gap.current)})."
    return f"{head}; you are at about {round(gap.current)} now."


def _where_nl(current: float, required: int) -> str:
    if current < 0.5:
        return "je hebt dit nog niet laten zien"
    if round(current) >= required:
        return f"je zit er net onder ({_just_below(current).replace('.', ',')})"
    return f"je zit nu rond {round(current)}"


def _just_below(current: float) -> str:
    """A level just under the one asked, to one decimal rounded down: "about 3" under a level 3
    would hide the gap the step is there for, and 2.95 must not read as 3.0."""
    return f"{math.floor(current * 10) / 10:.1f}"


def _named_sentence(phrase: str, label: str, dutch: bool) -> str:
    """A label match, quoting only what the text says: its own words, and the skill they count for when
    those words are not the skill's label ("retention analysis" for product analytics). Without the
    words (a tag made before they were kept) it claims no quote."""
    if not phrase:
        return (
            f"De tekst noemt {label} of een andere naam ervoor."
            if dutch
            else (f"The text names {label} or another name for it.")
        )
    if phrase.casefold() == label.casefold():
        return f'De tekst noemt "{phrase}".' if dutch else f'The text names "{phrase}".'
    return (
        f'De tekst noemt "{phrase}" (telt als {label}).'
        if dutch
        else (f'The text names "{phrase}" (counted as {label}).')
    )


def _evidence_sentence(step: StepFacts, label: str, noun: tuple[str, bool, str], dutch: bool) -> str:
    noun_nl, het, noun_en = noun
    this_nl = ("dit " if het else "deze ") + noun_nl
    detail = step.evidence_detail
    if dutch:
        by_kind = {
            DECLARED: f"De aanbieder noemt {label} als onderwerp van {this_nl}.",
            CONFIRMED: f"L&D heeft bevestigd dat {this_nl} over {label} gaat.",
            LABEL: _named_sentence(detail, label, dutch=True),
            EMBEDDING: f"De inhoud lijkt op {label} (gelijkenis {detail})."
            if detail
            else f"De inhoud lijkt op {label}.",
            SIMILARITY: f"De inhoud lijkt op {label} (gelijkenis {detail})."
            if detail
            else f"De inhoud lijkt op {label}.",
            TEXT: f'Gevonden op de tekst "{detail or label}" (geen vaardigheid uit jullie taxonomie).',
        }
    else:
        by_kind = {
            DECLARED: f"The provider lists {label} as a topic of this {noun_en}.",
            CONFIRMED: f"L&D confirmed that this {noun_en} teaches {label}.",
            LABEL: _named_sentence(detail, label, dutch=False),
            EMBEDDING: f"Its content is close to {label} (similarity {detail})."
            if detail
            else f"Its content is close to {label}.",
            SIMILARITY: f"Its content is close to {label} (similarity {detail})."
            if detail
            else f"Its content is close to {label}.",
            TEXT: f'Found by the text "{detail or label}" (not a skill of your taxonomy).',
        }
    return by_kind.get(step.evidence, by_kind[SIMILARITY])


def _what_sentence(step: StepFacts, noun: tuple[str, bool, str], dutch: bool) -> str:
    noun_nl, het, noun_en = noun
    level = (step.level or "").strip().lower()
    names = _LEVEL_NAMES.get(level)
    if dutch:
        subject = ("Dit " if het else "Deze ") + noun_nl
        if step.parts == 0:  # the source gave no duration
            what = (
                f'Deel {step.part} van {subject.lower()} "{step.title}" ({step.minutes} min; de aanbieder '
                "geeft geen duur, dus hoeveel er daarna overblijft is onbekend)"
            )
        elif step.parts > 1:
            what = (
                f'Deel {step.part} van {step.parts} van {subject.lower()} "{step.title}" '
                f"({step.minutes} van {step.unit_minutes} min)"
            )
        else:
            what = f'{subject} "{step.title}" ({step.minutes} min)'
            if step.in_item:
                what = f'Dit onderdeel van {"het" if het else "de"} {noun_nl} "{step.title}" ({step.minutes} min)'
        if names and step.level_fit:
            what += f" is voor {names[0]}, jouw volgende stap"
        elif names:
            what += f" is voor {names[0]}"
        extras = []
        if step.rating is not None and step.rating >= HIGH_RATING:
            extras.append(f"beoordeeld met {step.rating:.1f}".replace(".", ",") + " van 5")
        fresh = _fresh(step)
        if fresh is not None:
            extras.append(f"bijgewerkt in {_MONTHS_NL[fresh.month - 1]} {fresh.year}")
        sentence = what + ("; " + _join(extras, True) if extras else "") + "."
        if step.remaining_minutes:
            sentence += f" Er blijft {step.remaining_minutes} min van over voor na dit pad."
        return sentence
    subject = "This " + noun_en
    if step.parts == 0:  # the source gave no duration
        what = (
            f'Part {step.part} of the {noun_en} "{step.title}" ({step.minutes} min; the provider gives no '
            "duration, so how much remains after it is unknown)"
        )
    elif step.parts > 1:
        what = (
            f'Part {step.part} of {step.parts} of the {noun_en} "{step.title}" '
            f"({step.minutes} of {step.unit_minutes} min)"
        )
    else:
        what = f'{subject} "{step.title}" ({step.minutes} min)'
        if step.in_item:
            what = f'This part of the {noun_en} "{step.title}" ({step.minutes} min)'
    if names and step.level_fit:
        what += f" is for {names[1]}, your next step"
    elif names:
        what += f" is for {names[1]}"
    extras = []
    if step.rating is not None and step.rating >= HIGH_RATING:
        extras.append(f"rated {step.rating:.1f} out of 5")
    fresh = _fresh(step)
    if fresh is not None:
        extras.append(f"updated in {fresh.strftime('%B %Y')}")
    sentence = what + ("; " + _join(extras, False) if extras else "") + "."
    if step.remaining_minutes:
        sentence += f" {step.remaining_minutes} min of it remain after this path."
    return sentence


def _fresh(step: StepFacts) -> datetime | None:
    """The source's own date when it is within FRESH_DAYS of now; never the import date."""
    when, now = step.source_updated_at, step.now
    if when is None or now is None:
        return None
    if (when.tzinfo is None) != (now.tzinfo is None):
        when = when.replace(tzinfo=now.tzinfo)
    return when if 0 <= (now - when).days <= FRESH_DAYS else None


def explain_step(
    step: StepFacts, gap: GapFacts, role_name: str | None, dutch: bool, show_levels: bool = True
) -> str:
    """The gap, the evidence, what the unit is, what else it helps with, the language, what follows."""
    noun = _FORMAT_WORDS.get(step.format.strip().lower(), _DEFAULT_FORMAT)
    if step.continues:
        parts = [_continued_sentence(step, gap, role_name, noun, dutch)]
    else:
        parts = [
            _gap_sentence(gap, role_name, show_levels, dutch),
            _evidence_sentence(step, gap.label, noun, dutch),
            _what_sentence(step, noun, dutch),
        ]
    if step.others:
        parts.append(
            ("Het helpt ook bij " if dutch else "It also helps with ") + _join(step.others, dutch) + "."
        )
    if step.fallback_language:
        parts.append(_fallback_sentence(step, gap.label, dutch))
    if step.next_title:
        parts.append(f'Daarna: "{step.next_title}".' if dutch else f'Next: "{step.next_title}".')
    return " ".join(parts)


def _continued_sentence(
    step: StepFacts, gap: GapFacts, role_name: str | None, noun: tuple[str, bool, str], dutch: bool
) -> str:
    """The next module of a course the path already started on the same skill: what the role asks
    and where the step is, without repeating the evidence and level said at the course's first step
    (six steps of one course read as six copies of one paragraph)."""
    noun_nl, het, noun_en = noun
    if dutch:
        asker = f"Je rol als {role_name} vraagt" if role_name else "Gevraagd is"
        same = ("hetzelfde " if het else "dezelfde ") + noun_nl
        return f'{asker} {gap.label} op niveau {gap.required}; dit gaat verder in {same}: "{step.title}" ({step.minutes} min).'
    asker = f"Your role as {role_name} needs" if role_name else "Asked for:"
    return f'{asker} {gap.label} at level {gap.required}; this goes on in the same {noun_en}: "{step.title}" ({step.minutes} min).'


def _fallback_sentence(step: StepFacts, label: str, dutch: bool) -> str:
    """Why a step is in another language than the learner's: nothing in theirs at their level, or
    more than what there is in theirs (the path already holds it, or the learner has done it)."""
    wanted = LANGUAGE_NAMES.get(step.wanted_language, (step.wanted_language, step.wanted_language))
    actual = LANGUAGE_NAMES.get(step.language, (step.language, step.language))
    if step.wanted_in_path and dutch:
        return f"Wat er over {label} in het {wanted[0]} op jouw niveau is, staat al in dit pad; dit vult het aan in het {actual[0]}."
    if step.wanted_in_path:
        return f"What there is on {label} in {wanted[1]} at your level is already in this path; this adds to it in {actual[1]}."
    if step.wanted_done and dutch:
        return f"Wat er over {label} in het {wanted[0]} op jouw niveau is, heb je al gedaan; dit gaat verder in het {actual[0]}."
    if step.wanted_done:
        return f"You have done what there is on {label} in {wanted[1]} at your level; this goes on in {actual[1]}."
    if dutch:
        return (
            f"Over {label} is er in het {wanted[0]} niets op jouw niveau, daarom is dit in het {actual[0]}."
        )
    return f"There is nothing on {label} in {wanted[1]} at your level, so this one is in {actual[1]}."


# Why a gap has no step, or not enough: one sentence per reason code of recommender.paths.
_UNCOVERED_NL = {
    "no_content": "Er is geen inhoud die {label} aantoonbaar behandelt; L&D kan die kopen of maken.",
    "no_language": "Er is inhoud over {label}, maar alleen in talen die je niet hebt gekozen.",
    "not_enough_content": "Alle inhoud over {label} die bij je niveau en talen past, zit al in dit pad; het is niet genoeg om de kloof te dichten.",
    "all_done": "Je hebt alle inhoud over {label} die bij je niveau en talen past al gedaan; L&D kan meer toevoegen.",
    "no_time": "Er is meer inhoud over {label}, maar die past niet meer in de weken van dit pad.",
    "too_long": "Wat er nog over {label} is, zijn trainingen of bijeenkomsten die langer duren dan je tijd per week.",
}
_UNCOVERED_EN = {
    "no_content": "No content shows that it teaches {label}; L&D can buy or write some.",
    "no_language": "There is content on {label}, but only in languages you did not choose.",
    "not_enough_content": "All content on {label} that suits your level and languages is already in this path; it is not enough to close the gap.",
    "all_done": "You have done all the content on {label} that suits your level and languages; L&D can add more.",
    "no_time": "There is more content on {label}, but it no longer fits the weeks of this path.",
    "too_long": "What is left on {label} are sessions held at a set time, longer than your time per week.",
}


# "no_language" for a learner who already did the content in their languages: the gap is not
# without content for them, they are past it (an English product manager who finished the English
# roadmap course, with only a Dutch one left).
_DONE_NO_LANGUAGE_NL = (
    "Wat er over {label} in jouw talen is, heb je al gedaan; de rest is in talen die je niet hebt gekozen."
)
_DONE_NO_LANGUAGE_EN = (
    "You have done what there is on {label} in your languages; the rest is in languages you did not choose."
)


def explain_uncovered(reason: str, label: str, closed: float, dutch: bool, done: bool = False) -> str:
    """Why a gap is not closed by the path, and how far the path gets with it. `done`: the learner
    finished the content on it in their own languages."""
    table = _UNCOVERED_NL if dutch else _UNCOVERED_EN
    if reason == "no_language" and done:
        template = _DONE_NO_LANGUAGE_NL if dutch else _DONE_NO_LANGUAGE_EN
    else:
        template = table.get(reason, table["no_content"])
    text = template.format(label=label)
    if closed > 0:
        amount = f"{closed:.1f}".replace(".", ",") if dutch else f"{closed:.1f}"
        text += (
            f" De stappen hierboven dichten er ongeveer {amount} niveau van."
            if dutch
            else f" The steps above close about {amount} level of it."
        )
    return text
