"""Just-in-time search: the micro-units that best answer a free-text question, by the same hybrid
retrieval as paths (dense search on the FAISS snapshot and BM25 with Dutch and English stemming,
fused on an absolute scale by `recommender.fusion.absolute_fusion`, measured against both parts
in tests/model/test_retrieval_quality.py) and the same language rule (the learner's languages
first; another language only when none of theirs answers, and then the hit says so). Short units
come before long ones of about the same relevance (`length_factor`): the answer to "how do I ..." is
a module of minutes, not a day's classroom training that mentions the same words.

Why hybrid: a question that names a page's own words ("datalek melden") should find that page even
where the encoder hesitates, and a paraphrase needs the dense half. How much each half weighs
depends on the encoder (recommender.embedding.SEARCH_LEXICAL_WEIGHTS): English-only MiniLM leans on
the words for Dutch, multilingual e5 much less.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from models import repositories as repo
from recommender.catalog_columns import UnitRow
from recommender.fusion import absolute_fusion
from recommender.tagging import language_code
from service.core.runtime import Runtime
from service.paths.request_catalog import request_catalog

DENSE_K = 60
LEXICAL_K = 60
UNITS_PER_ITEM = 2  # a search answer should offer several items, not five parts of one page
# A hit in the learner's own language answers the question from this fused score (0..1) up: half the
# way to a clear match. Below it, a hit in a fallback language that scores higher comes first.
ANSWERS = 0.5
# A hit scoring under this share of the best hit is noise beside it (on the demo: 0.26 for a sales
# course under "verlof aanvragen", whose answer scored 0.72), and is not shown.
CLOSE_TO_BEST = 0.4
# A question is answered by a unit someone can take now: a hit's score is its fused relevance times a
# factor that is 1 up to SHORT_ANSWER minutes and falls with the log of the length to 1 - LONG_DISCOUNT
# at a working day and beyond. On the demo "SQL joins uitleg" put a 540-minute classroom bootcamp
# (0.855) above the 9-13 minute modules on joins (0.81-0.83); it now comes after them (0.73).
SHORT_ANSWER = 30
WORKING_DAY = 480
LONG_DISCOUNT = 0.15
UNKNOWN_LENGTH_FACTOR = 1.0 - LONG_DISCOUNT / 2  # a course whose source gave no duration


@dataclass(frozen=True)
class Ranked:
    """A hit before it is decoded: its row in the catalog columns."""

    row: int
    score: float
    language_fallback: bool


@dataclass(frozen=True)
class Found:
    unit: UnitRow
    score: float  # fused, 0..1, times length_factor
    language_fallback: bool
    text: str = ""  # the unit's text, read for the hits answered only


def search_units(
    runtime: Runtime,
    session: Session,
    tenant_slug: str,
    tenant_id: int,
    query: str,
    limit: int,
    languages: Sequence[str] = (),
    only_language: str | None = None,
    max_minutes: int | None = None,
) -> list[Found]:
    """The best units for `query`, at most UNITS_PER_ITEM per item. With `languages`, units in them
    come first and others only fill what they leave empty (marked `language_fallback`);
    `only_language` keeps that language alone."""
    snapshot = runtime.dense_snapshot(tenant_slug)  # None when built with another model
    dense: list[tuple[int, float]] = []
    if snapshot is not None:
        vector = runtime.encoder().encode([query], kind="query")
        dense = [(hit.unit_id, hit.score) for hit in snapshot.search(vector, DENSE_K)[0]]
    lexical = runtime.lexical(tenant_slug)
    words = lexical.search(query, LEXICAL_K) if lexical is not None else []
    # the question's cosine on the encoder's own scale, BM25 weighed as the encoder needs it
    scale = runtime.search_calibration()
    fused = absolute_fusion(
        dense, words, floor=scale.floor, full=scale.full, lexical_weight=runtime.search_lexical_weight()
    )
    fused = close_to_best(fused)
    columns = request_catalog(runtime, session, tenant_id).columns
    rows = columns.rows_of([unit_id for unit_id, _ in fused]).tolist()
    wanted = {language_code(x) or x for x in languages}
    weighed = sorted(
        (
            (row, score * length_factor(int(columns.minutes[row]), bool(columns.minutes_known[row])))
            for row, (_, score) in zip(rows, fused, strict=True)
            if row >= 0  # else not in the catalog this snapshot publishes
        ),
        key=lambda pair: -pair[1],  # stable: equal scores keep the fused order
    )
    found: list[Ranked] = []
    per_item: dict[int, int] = {}
    for row, score in weighed:
        stored_language = columns.languages[int(columns.language[row])]
        item_language = language_code(stored_language) or stored_language
        if only_language and item_language != (language_code(only_language) or only_language):
            continue
        if max_minutes and int(columns.minutes[row]) > max_minutes:
            continue
        item_id = int(columns.item_id[row])
        if per_item.get(item_id, 0) >= UNITS_PER_ITEM:
            continue
        per_item[item_id] = per_item.get(item_id, 0) + 1
        fallback = bool(wanted) and item_language not in wanted
        found.append(Ranked(row, score, fallback))
    # only the hits answered are decoded from the columns and get their text
    answered = [
        Found(columns.unit(hit.row), hit.score, hit.language_fallback)
        for hit in languages_first(found)[:limit]
    ]
    texts = repo.unit_texts(session, tenant_id, [hit.unit.unit_id for hit in answered])
    return [replace(hit, text=texts.get(hit.unit.unit_id, "")) for hit in answered]


def length_factor(minutes: int, known: bool = True) -> float:
    """1 for a unit of up to SHORT_ANSWER minutes, 1 - LONG_DISCOUNT from a working day up, between
    them by the log of the length (an hour and two hours differ as much as four and eight)."""
    if not known:
        return UNKNOWN_LENGTH_FACTOR
    if minutes <= SHORT_ANSWER:
        return 1.0
    share = min(1.0, math.log(minutes / SHORT_ANSWER) / math.log(WORKING_DAY / SHORT_ANSWER))
    return 1.0 - LONG_DISCOUNT * share


def close_to_best(
    fused: Sequence[tuple[int, float]], share: float = CLOSE_TO_BEST
) -> list[tuple[int, float]]:
    """The hits scoring at least `share` of the best one: "verlof aanvragen" answers with the leave
    policy, not with a sales course that happens to come fifth."""
    best = max((score for _, score in fused), default=0.0)
    return [(unit_id, score) for unit_id, score in fused if score >= share * best]


class Scored(Protocol):
    """A hit as `languages_first` orders it."""

    @property
    def score(self) -> float: ...

    @property
    def language_fallback(self) -> bool: ...


Hit = TypeVar("Hit", bound=Scored)


def languages_first(found: Sequence[Hit]) -> list[Hit]:
    """Hits in the learner's languages that answer the question (fused score at least ANSWERS) first,
    then every other hit by score: a Dutch unit that merely shares a word with "python pandas
    dataframe" does not push the English pandas lesson below it, and that lesson says it is a
    fallback. Within each part, the fused order holds."""
    answers = [f for f in found if not f.language_fallback and f.score >= ANSWERS]
    rest = sorted((f for f in found if f.language_fallback or f.score < ANSWERS), key=lambda f: -f.score)
    return answers + rest
