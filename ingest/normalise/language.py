"""Which language a text is in, and language tags ("nl-NL", "Dutch") to ISO 639-1 codes."""

from __future__ import annotations

import re

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
