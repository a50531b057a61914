"""The array ranking a path request runs (recommender.candidate_table) gives what the object ranking
(recommender.ranking) states as the rules: the same entries, order, scores, features, language
verdicts and shortlist, on random catalogs with every kind of unit fact."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from recommender.candidate_table import CandidateTable, rank_table, shortlist
from recommender.catalog_columns import CatalogColumns, UnitRow, step_title
from recommender.gaps import Gap
from recommender.ranking import (
    Candidate,
    Learner,
    diversify,
    score_candidates,
    skills_done_in_language,
    skills_excluded_by_language,
)
from recommender.ranking_model import RuleModel, rescore, score_feature_matrix

NOW = datetime(2026, 12, 1, tzinfo=UTC)
WORDS = ("sql", "joins", "feedback", "geven", "python", "basis", "excel", "draaitabellen", "gesprek")


def _title(item_title: str, unit_title: str) -> str:
    return step_title(item_title, unit_title)


def _catalog(seed: int) -> tuple[list[UnitRow], list[Candidate]]:
    pick = random.Random(seed)
    units: list[UnitRow] = []
    unit_id = 0
    for item_id in range(1, 40):
        item_title = " ".join(pick.sample(WORDS, 2)).title()
        language = pick.choice(("nl", "en", "nl-BE", "de", "EN"))
        level = pick.choice((None, "beginner", "Intermediate", "advanced", "mixed"))
        fmt = pick.choice(("video", "article", "Course", "classroom"))
        rating = pick.choice((None, 3.2, 4.5, 4.9))
        updated = pick.choice((None, NOW - timedelta(days=pick.randint(0, 2000))))
        for position in range(pick.randint(1, 3)):
            unit_id += 1
            units.append(
                UnitRow(
                    unit_id=unit_id * 3,
                    item_id=item_id,
                    unit_title=item_title if position == 0 else f"Deel {position}",
                    minutes=pick.randint(3, 90),
                    position=position,
                    anchor=None,
                    item_title=item_title,
                    url=f"https://lms.example/{item_id}",
                    language=language,
                    format=fmt,
                    level=level,
                    rating=rating,
                    updated_at=updated,
                    source="test",
                    external_id=f"x{item_id}",
                    minutes_known=pick.random() > 0.1,
                )
            )
    candidates = []
    for unit in units:
        for skill in pick.sample((1, 2, 3, 4), pick.randint(1, 2)):
            candidates.append(
                Candidate(
                    unit_id=unit.unit_id,
                    item_id=unit.item_id,
                    skill_id=skill,
                    relevance=round(pick.uniform(0.5, 1.0), 3),
                    minutes=max(1, unit.minutes),
                    language=unit.language,
                    format=unit.format,
                    level=unit.level,
                    rating=unit.rating,
                    updated_at=unit.updated_at,
                    position=unit.position,
                    title=_title(unit.item_title, unit.unit_title),
                    evidence="label",
                    evidence_detail=str(skill),
                    minutes_known=unit.minutes_known,
                    in_item=unit.unit_title != unit.item_title,
                )
            )
    return units, candidates


GAPS = {
    1: Gap(1, 4, 1.0, 3.0, 1.0, 0.9, 0.8, 2, True),
    2: Gap(2, 3, 2.5, 0.5, 0.5, 0.4, 0.6, 1, True),
    3: Gap(3, 4, 0.0, 4.0, 0.75, 0.8, 0.5, 1, True),
    4: Gap(4, 2, 2.0, 0.0, 1.0, 0.0, 1.0, 3, True),  # closed: its candidates are left out
}

LEARNERS = [
    Learner(languages=("nl",)),
    Learner(languages=("en", "nl"), formats=("video", "article")),
    Learner(
        languages=("nl",),
        completed=frozenset({3, 7}),
        dismissed=frozenset({5}),
        completed_units=frozenset({6}),
    ),
    Learner(languages=("de",), fallback_languages=("en",)),
]


def _table(units: list[UnitRow], candidates: list[Candidate]) -> tuple[CatalogColumns, CandidateTable]:
    columns = CatalogColumns.build(units)
    table = CandidateTable(
        rows=columns.rows_of([c.unit_id for c in candidates]),
        skills=np.array([c.skill_id for c in candidates], dtype=np.int64),
        relevance=np.array([c.relevance for c in candidates]),
        evidence=[c.evidence for c in candidates],
        detail=[c.evidence_detail for c in candidates],
    )
    return columns, table


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("learner", LEARNERS, ids=["nl", "en-formats", "history", "fallback"])
def test_rank_table_gives_what_score_candidates_gives(seed: int, learner: Learner) -> None:
    units, candidates = _catalog(seed)
    columns, table = _table(units, candidates)
    expected = score_candidates(candidates, GAPS, learner, NOW)
    ranked = rank_table(table, columns, GAPS, learner, NOW)

    got = [
        (int(columns.unit_id[table.rows[e]]), int(table.skills[e]), float(s))
        for e, s in zip(ranked.entries.tolist(), ranked.score.tolist(), strict=True)
    ]
    assert got == [(s.candidate.unit_id, s.candidate.skill_id, s.score) for s in expected]
    for row, scored in zip(ranked.features.tolist(), expected, strict=True):
        assert row == pytest.approx(list(scored.features.values()), abs=1e-12)
    assert ranked.excluded_by_language == skills_excluded_by_language(candidates, GAPS, learner)
    assert ranked.done_in_language == skills_done_in_language(candidates, GAPS, learner)

    picked = shortlist(ranked, [1, 2, 3], 4, columns, learner, NOW)
    wanted = [
        entry
        for skill in (1, 2, 3)
        for entry in diversify([s for s in expected if s.candidate.skill_id == skill], k=4)
    ]
    assert [(p.candidate, p.score, p.reasons) for p in picked] == [
        (w.candidate, w.score, w.reasons) for w in wanted
    ]


def test_a_learned_model_ranks_the_table_as_it_ranks_the_objects() -> None:
    units, candidates = _catalog(11)
    columns, table = _table(units, candidates)
    learner = LEARNERS[1]
    model = RuleModel(weights={"relevance": 0.9, "language": 0.05, "freshness": 0.3})
    expected = rescore(score_candidates(candidates, GAPS, learner, NOW), model)
    ranked = rank_table(table, columns, GAPS, learner, NOW, model=lambda m: score_feature_matrix(model, m))
    got = [
        (int(columns.unit_id[table.rows[e]]), int(table.skills[e]), float(s))
        for e, s in zip(ranked.entries.tolist(), ranked.score.tolist(), strict=True)
    ]
    assert got == [(s.candidate.unit_id, s.candidate.skill_id, s.score) for s in expected]


def test_columns_survive_their_file_and_refuse_a_cut_one(tmp_path: object) -> None:
    units, _ = _catalog(3)
    columns = CatalogColumns.build(units)
    blob = columns.to_bytes()
    again = CatalogColumns.from_buffer(np.frombuffer(blob, dtype=np.uint8))
    assert [again.unit(r) for r in range(again.size)] == sorted(units, key=lambda u: u.unit_id)
    assert again.rows_of([units[0].unit_id, 1, 10**9]).tolist()[1:] == [-1, -1]
    with pytest.raises(ValueError):
        CatalogColumns.from_buffer(np.frombuffer(blob[: len(blob) // 2], dtype=np.uint8))
    with pytest.raises(ValueError):
        CatalogColumns.from_buffer(np.frombuffer(b"not columns at all", dtype=np.uint8))
