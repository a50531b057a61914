"""Unit tests of the ranking: features, the score formula, filters, reasons and MMR diversity."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pytest

from recommender.ranking import (
    FEATURES,
    GOOD_MATCH,
    LEVEL_FIT_BY_DISTANCE,
    UNKNOWN_LEVEL_FIT,
    WEIGHTS,
    Learner,
    ScoredCandidate,
    above_role,
    below_band,
    diversify,
    language_code,
    level_fit,
    score_candidates,
    skills_done_in_language,
    skills_excluded_by_language,
)
from tests.support.path_factories import DUTCH, NOW, cand, gap, scored

GAPS = {1: gap(1, required=4, current=2.0), 2: gap(2, required=3, current=0.0, importance=0.3)}


def by_unit(result: list[ScoredCandidate]) -> dict[int, ScoredCandidate]:
    return {s.candidate.unit_id: s for s in result}


# --- level fit ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target", "fits"),
    [
        (0.0, 5, "beginner"),
        (1.7, 5, "beginner"),
        (2.0, 5, "intermediate"),
        (3.9, 5, "intermediate"),
        (4.0, 5, "advanced"),
        (4.6, 5, "advanced"),
        (3.5, 3, "intermediate"),  # at or past the target: the last step below it (2 -> 3) counts
    ],
)
def test_level_fit_is_one_on_the_band_of_the_next_step(current: float, target: int, fits: str) -> None:
    assert level_fit(fits, current, target) == 1.0
    others = {"beginner", "intermediate", "advanced"} - {fits}
    assert all(level_fit(level, current, target) < 1.0 for level in others)


def test_level_fit_penalises_too_hard_more_than_too_easy_and_further_more() -> None:
    assert level_fit("beginner", 2.0, 4) == LEVEL_FIT_BY_DISTANCE[-1] == 0.5
    assert level_fit("advanced", 2.0, 4) == LEVEL_FIT_BY_DISTANCE[1] == 0.4
    assert level_fit("advanced", 0.0, 5) == LEVEL_FIT_BY_DISTANCE[2] < level_fit("intermediate", 0.0, 5)
    assert level_fit("beginner", 4.2, 5) == LEVEL_FIT_BY_DISTANCE[-2] < level_fit("intermediate", 4.2, 5)


def test_level_fit_target_caps_the_step() -> None:
    # at 0 aiming for 1, the step is 0 -> 1: beginner
    assert level_fit("beginner", 0.0, 1) == 1.0
    # at 1.5 aiming for 2: still beginner content (the step 1 -> 2)
    assert level_fit("beginner", 1.5, 2) == 1.0


@pytest.mark.parametrize("level", [None, "mixed", "", "Gevorderd"])
def test_level_fit_unknown_levels_get_the_neutral_value(level: str | None) -> None:
    assert level_fit(level, 2.0, 4) == UNKNOWN_LEVEL_FIT


def test_level_fit_accepts_case_and_spaces() -> None:
    assert level_fit(" Intermediate ", 2.0, 4) == 1.0


# --- the score ------------------------------------------------------------------------------------


def test_default_weights_cover_every_feature_and_sum_to_one() -> None:
    assert set(WEIGHTS) == set(FEATURES)
    assert math.isclose(sum(WEIGHTS.values()), 1.0)
    assert all(w > 0 for w in WEIGHTS.values())


def test_score_is_the_weighted_mean_of_the_features() -> None:
    result = score_candidates([cand(1), cand(2, 2, level="advanced", rating=None)], GAPS, DUTCH, NOW)
    assert len(result) == 2
    for item in result:
        assert set(item.features) == set(FEATURES)
        assert all(0.0 <= v <= 1.0 for v in item.features.values())
        expected = sum(WEIGHTS[f] * item.features[f] for f in FEATURES)
        assert item.score == pytest.approx(expected, abs=1e-6)


def test_custom_weights_are_merged_and_normalised() -> None:
    only_relevance = {name: 0.0 for name in FEATURES} | {"relevance": 3.0}
    result = score_candidates([cand(1, relevance=0.42)], GAPS, DUTCH, NOW, weights=only_relevance)
    assert result[0].score == pytest.approx(0.42)
    partial = score_candidates([cand(1)], GAPS, DUTCH, NOW, weights={"freshness": 0.05})
    assert partial[0].score == score_candidates([cand(1)], GAPS, DUTCH, NOW)[0].score


@pytest.mark.parametrize(
    "weights",
    [{"popularity": 1.0}, {"relevance": -0.1}, {"relevance": float("nan")}, dict.fromkeys(FEATURES, 0.0)],
)
def test_bad_weights_are_refused(weights: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        score_candidates([cand(1)], GAPS, DUTCH, NOW, weights=weights)


def test_features_priority_quality_freshness_and_format() -> None:
    learner = Learner(languages=("nl",), formats=("video", "article"))
    result = by_unit(
        score_candidates(
            [
                cand(1, 1, rating=5.0, updated_days_ago=0, format="video"),
                cand(2, 2, rating=None, updated_days_ago=None, format="article"),
                cand(3, 1, rating=2.5, updated_days_ago=730, format="podcast"),
                cand(4, 1, updated_days_ago=-10),  # dated in the future: as fresh as today
            ],
            GAPS,
            learner,
            NOW,
        )
    )
    f1, f2, f3, f4 = (result[i].features for i in (1, 2, 3, 4))
    assert f1["priority"] == 1.0 and f2["priority"] == pytest.approx(GAPS[2].priority / GAPS[1].priority)
    assert (f1["quality"], f2["quality"], f3["quality"]) == (1.0, 0.6, 0.5)
    assert (f1["freshness"], f2["freshness"], f4["freshness"]) == (1.0, 0.5, 1.0)
    assert f3["freshness"] == pytest.approx(0.5)
    assert (f1["format"], f2["format"], f3["format"]) == (1.0, pytest.approx(0.9), 0.3)
    no_preference = score_candidates([cand(1, format="podcast")], GAPS, DUTCH, NOW)[0]
    assert no_preference.features["format"] == 0.5


def test_naive_dates_do_not_break_scoring() -> None:
    naive = cand(1)
    naive = type(naive)(**{**naive.__dict__, "updated_at": datetime(2025, 1, 1)})
    assert score_candidates([naive], GAPS, DUTCH, NOW)[0].features["freshness"] > 0.9


def test_reasons_say_only_what_is_clearly_true() -> None:
    learner = Learner(languages=("nl", "en"), formats=("video",))
    strong = score_candidates(
        [cand(1, relevance=0.9, rating=4.6, updated_days_ago=10, level="intermediate")], GAPS, learner, NOW
    )[0]
    assert set(strong.reasons) == {
        "language:nl",
        "strong_match",
        "level_fit",
        "top_gap",
        "format:video",
        "high_rating",
        "fresh",
    }
    weak = score_candidates(
        [
            cand(
                2,
                2,
                relevance=0.3,
                rating=3.0,
                updated_days_ago=900,
                level="advanced",
                format="article",
                language="en",
            )
        ],
        GAPS,
        learner,
        NOW,
    )[0]
    assert weak.reasons == ("language:en",)


def test_output_is_sorted_and_deterministic() -> None:
    candidates = [cand(i, 1 + i % 2, relevance=0.5) for i in range(10, 0, -1)]
    first = score_candidates(candidates, GAPS, DUTCH, NOW)
    again = score_candidates(list(reversed(candidates)), GAPS, DUTCH, NOW)
    assert [s.candidate.unit_id for s in first] == [s.candidate.unit_id for s in again]
    keys = [(-s.score, -s.features["relevance"], s.candidate.unit_id) for s in first]
    assert keys == sorted(keys)


# --- filters --------------------------------------------------------------------------------------


def test_completed_and_dismissed_items_are_removed() -> None:
    learner = Learner(languages=("nl",), completed=frozenset({10}), dismissed=frozenset({20}))
    candidates = [cand(1, item_id=10), cand(2, item_id=20), cand(3, item_id=30), cand(4, 2, item_id=20)]
    assert [s.candidate.unit_id for s in score_candidates(candidates, GAPS, learner, NOW)] == [3]


def test_completed_units_are_removed_but_not_the_rest_of_their_item() -> None:
    learner = Learner(languages=("nl",), completed_units=frozenset({1}))
    candidates = [cand(1, item_id=10), cand(2, item_id=10), cand(3, 2, item_id=10)]
    assert sorted(s.candidate.unit_id for s in score_candidates(candidates, GAPS, learner, NOW)) == [2, 3]


def test_candidates_for_closed_or_unknown_gaps_are_dropped() -> None:
    gaps = {1: GAPS[1], 3: gap(3, required=2, current=2.0)}
    result = score_candidates([cand(1, 1), cand(2, 3), cand(3, 99)], gaps, DUTCH, NOW)
    assert [s.candidate.unit_id for s in result] == [1]


def test_one_unit_retrieved_twice_for_a_gap_is_kept_once_with_its_best_relevance() -> None:
    result = score_candidates([cand(1, relevance=0.3), cand(1, relevance=0.9)], GAPS, DUTCH, NOW)
    assert len(result) == 1 and result[0].features["relevance"] == 0.9


def test_one_unit_for_two_gaps_is_scored_for_each() -> None:
    result = score_candidates([cand(1, 1), cand(1, 2)], GAPS, DUTCH, NOW)
    assert sorted(s.candidate.skill_id for s in result) == [1, 2]


def test_relevance_outside_zero_to_one_is_clipped() -> None:
    result = by_unit(score_candidates([cand(1, relevance=1.7), cand(2, relevance=-0.2)], GAPS, DUTCH, NOW))
    assert result[1].features["relevance"] == 1.0
    assert result[2].features["relevance"] == 0.0


# --- languages ------------------------------------------------------------------------------------


def test_language_codes_are_normalised() -> None:
    assert [language_code(x) for x in ("nl-NL", "NL", " en_GB ", "", None)] == ["nl", "nl", "en", "", ""]


def test_preferred_languages_score_in_order_and_others_are_excluded() -> None:
    learner = Learner(languages=("nl", "en"))
    result = by_unit(
        score_candidates(
            [cand(1, language="nl"), cand(2, language="en-GB"), cand(3, language="de")], GAPS, learner, NOW
        )
    )
    assert sorted(result) == [1, 2]
    assert result[1].features["language"] == 1.0
    assert result[2].features["language"] == pytest.approx(0.7)
    assert "language:en" in result[2].reasons


def test_fallback_language_only_when_the_skill_has_nothing_good_in_the_learners_languages() -> None:
    candidates = [
        cand(1, 1, language="nl"),
        cand(2, 1, language="en"),
        cand(3, 2, language="en"),
        cand(4, 2, language="de"),
    ]
    result = by_unit(score_candidates(candidates, GAPS, DUTCH, NOW))
    assert sorted(result) == [1, 3]  # English only for skill 2, which has no Dutch unit; never German
    assert result[3].features["language"] == 0.3
    assert "language_fallback:en" in result[3].reasons
    assert skills_excluded_by_language(candidates, GAPS, DUTCH) == frozenset()


def test_a_weak_dutch_match_does_not_shut_out_a_good_english_unit() -> None:
    weak_dutch = [
        cand(1, 1, language="nl", relevance=GOOD_MATCH - 0.1),
        cand(2, 1, language="en", relevance=0.95),
    ]
    assert sorted(by_unit(score_candidates(weak_dutch, GAPS, DUTCH, NOW))) == [1, 2]
    good_dutch = [cand(1, 1, language="nl", relevance=GOOD_MATCH), cand(2, 1, language="en", relevance=0.95)]
    assert sorted(by_unit(score_candidates(good_dutch, GAPS, DUTCH, NOW))) == [1]


def test_dutch_content_below_the_learners_level_does_not_shut_out_english_at_it() -> None:
    # skill 1: the learner is at 2 of 4, so intermediate is the next band; beginner is below it
    dutch_basics = [
        cand(1, 1, language="nl", level="beginner", relevance=0.95),
        cand(2, 1, language="en", level="intermediate", relevance=0.9),
    ]
    result = by_unit(score_candidates(dutch_basics, GAPS, DUTCH, NOW))
    assert sorted(result) == [1, 2]
    assert "language_fallback:en" in result[2].reasons
    at_level = [cand(1, 1, language="nl", level="intermediate"), cand(2, 1, language="en")]
    assert sorted(by_unit(score_candidates(at_level, GAPS, DUTCH, NOW))) == [1]


@pytest.mark.parametrize(
    ("level", "current", "target", "below"),
    [
        ("beginner", 2.0, 4, True),
        ("beginner", 1.9, 4, False),
        ("intermediate", 4.0, 5, True),
        ("intermediate", 3.0, 5, False),
        ("advanced", 4.5, 5, False),
        (None, 4.5, 5, False),
        ("mixed", 4.5, 5, False),
    ],
)
def test_below_band_only_for_a_stated_level_under_the_next_step(
    level: str | None, current: float, target: int, below: bool
) -> None:
    assert below_band(level, current, target) is below


@pytest.mark.parametrize(
    ("level", "target", "above"),
    [
        ("advanced", 3, True),
        ("advanced", 2, True),
        ("advanced", 4, False),
        ("advanced", 5, False),
        ("intermediate", 3, False),
        ("intermediate", 2, False),
        ("intermediate", 1, True),
        ("beginner", 1, False),
        (None, 1, False),
        ("mixed", 1, False),
    ],
)
def test_above_role_only_past_the_band_the_roles_level_needs(
    level: str | None, target: int, above: bool
) -> None:
    assert above_role(level, target) is above


def test_an_english_speaker_is_not_sent_dutch_and_the_skill_is_reported() -> None:
    english = Learner(languages=("en",))
    candidates = [cand(1, 1, language="nl"), cand(2, 2, language="en")]
    assert [s.candidate.unit_id for s in score_candidates(candidates, GAPS, english, NOW)] == [2]
    assert skills_excluded_by_language(candidates, GAPS, english) == frozenset({1})


def test_skills_done_in_the_learners_language_are_those_with_a_good_unit_completed() -> None:
    candidates = [
        cand(1, 1, language="nl"),  # completed, good: skill 1's Dutch content is done
        cand(2, 1, language="en"),
        cand(3, 2, language="nl", relevance=0.1),  # completed, but no good match for skill 2
        cand(4, 2, language="en"),
    ]
    learner = Learner(languages=("nl",), completed=frozenset({1, 3}))
    assert skills_done_in_language(candidates, GAPS, learner) == frozenset({1})
    assert skills_done_in_language(candidates, GAPS, DUTCH) == frozenset()
    only_the_unit = Learner(languages=("nl",), completed_units=frozenset({1}))
    assert skills_done_in_language(candidates, GAPS, only_the_unit) == frozenset({1})
    assert [s.candidate.unit_id for s in score_candidates(candidates, GAPS, learner, NOW)] == [2, 4]


def test_a_completed_unit_the_learner_has_outgrown_still_counts_as_done() -> None:
    """Skill 1's only content is a beginner unit; the learner did it and is now at 2 of 4, past its
    band: the gap is "all_done" (they did what there is), not "no_content" (nothing exists)."""
    candidates = [cand(1, 1, language="nl", level="beginner")]
    learner = Learner(languages=("nl",), completed_units=frozenset({1}))
    assert score_candidates(candidates, GAPS, learner, NOW) == []
    assert skills_done_in_language(candidates, GAPS, learner) == frozenset({1})


def test_fallback_is_decided_after_dismissals() -> None:
    learner = Learner(languages=("nl",), dismissed=frozenset({1}))
    candidates = [cand(1, 1, language="nl"), cand(2, 1, language="en")]
    assert [s.candidate.unit_id for s in score_candidates(candidates, GAPS, learner, NOW)] == [2]


def test_no_fallback_when_fallback_languages_are_empty() -> None:
    strict = Learner(languages=("nl",), fallback_languages=())
    candidates = [cand(1, 1, language="en")]
    assert score_candidates(candidates, GAPS, strict, NOW) == []
    assert skills_excluded_by_language(candidates, GAPS, strict) == frozenset({1})


# --- diversity ------------------------------------------------------------------------------------


def unit_vector(rng: np.random.Generator, base: np.ndarray | None = None, noise: float = 0.0) -> np.ndarray:
    v = rng.normal(size=32) if base is None else base + noise * rng.normal(size=32)
    return v / np.linalg.norm(v)


def test_mmr_skips_near_identical_units() -> None:
    rng = np.random.default_rng(3)
    base = unit_vector(rng)
    copies = [
        scored(cand(i, vector=unit_vector(rng, base, 0.01)), score=0.9 - i * 0.001) for i in range(1, 6)
    ]
    others = [scored(cand(10 + i, vector=unit_vector(rng)), score=0.5) for i in range(3)]
    picked = diversify(copies + others, k=5)
    ids = [s.candidate.unit_id for s in picked]
    assert ids[0] == 1
    assert sum(1 for i in ids if i < 10) == 1 and len(ids) == 4  # one copy and the three others


def test_mmr_without_vectors_uses_titles() -> None:
    same = [scored(cand(i, title="SQL joins uitgelegd"), score=0.9) for i in range(1, 5)]
    different = [scored(cand(10, title="Window functions in PostgreSQL"), score=0.4)]
    ids = [s.candidate.unit_id for s in diversify(same + different, k=3)]
    assert ids == [1, 10]


def test_mmr_limits_parts_per_item() -> None:
    parts = [
        scored(cand(i, item_id=7, position=i, title=f"Deel {i} over iets anders {i}"), score=0.9)
        for i in range(1, 7)
    ]
    assert len(diversify(parts, k=6, max_per_item=3)) == 3


def test_mmr_lambda_one_is_plain_score_order_and_k_counts_units() -> None:
    rng = np.random.default_rng(5)
    entries = [scored(cand(i, vector=unit_vector(rng)), score=1.0 - i / 10) for i in range(1, 6)]
    entries.append(scored(cand(2, 2, vector=entries[1].candidate.vector), score=0.3))  # unit 2 for gap 2 too
    picked = diversify(entries, k=3, lambda_=1.0, duplicate_threshold=1.01)
    assert [(s.candidate.unit_id, s.candidate.skill_id) for s in picked] == [(1, 1), (2, 1), (2, 2), (3, 1)]


def test_mmr_trades_relevance_for_novelty() -> None:
    rng = np.random.default_rng(9)
    base = unit_vector(rng)
    similar = unit_vector(rng, base, 0.3)  # similar, not a copy
    assert 0.5 < float(base @ similar) < 0.95
    entries = [
        scored(cand(1, vector=base), score=0.9),
        scored(cand(2, vector=similar), score=0.85),
        scored(cand(3, vector=unit_vector(rng)), score=0.7),
    ]
    assert [s.candidate.unit_id for s in diversify(entries, k=2)] == [1, 3]


def test_diversify_edge_cases() -> None:
    assert diversify([], k=3) == []
    assert diversify([scored(cand(1))], k=0) == []
    with pytest.raises(ValueError):
        diversify([scored(cand(1))], k=1, lambda_=1.5)


def test_score_candidates_then_diversify_keeps_the_types() -> None:
    result = diversify(score_candidates([cand(1), cand(2, 2)], GAPS, DUTCH, NOW + timedelta(days=1)), k=5)
    assert {s.candidate.unit_id for s in result} == {1, 2}


def test_mmr_takes_an_items_first_modules_of_equal_score() -> None:
    """MMR tells equal modules apart only by title words: the longest title shares the fewest words
    with the bootcamp picked first, so it used to start the course at its last module."""
    bootcamp = scored(cand(90, item_id=9, title="SQL bootcamp voor niet-analisten"), score=0.9)
    titles = ["Van vraag naar query", "Filteren op datum", "Joins zonder dubbele rijen", "Groeperen per week"]
    modules = [
        scored(cand(50 + p, item_id=7, position=p, title=f"Werken met SQL: {t}"), score=0.78)
        for p, t in enumerate(titles)
    ]
    modules.append(
        scored(
            cand(
                57,
                item_id=7,
                position=6,
                title="Datagedreven werken met SQL: uitkomsten uitleggen aan collega's",
            ),
            score=0.78,
        )
    )
    picked = [s.candidate for s in diversify([bootcamp, *modules], k=4)]
    assert sorted(c.position for c in picked if c.item_id == 7) == [0, 1, 2]


def test_mmr_keeps_a_better_later_module() -> None:
    first = scored(cand(1, item_id=7, position=0, title="Deel een"), score=0.6)
    better = scored(cand(2, item_id=7, position=1, title="Deel twee"), score=0.9)
    assert [s.candidate.unit_id for s in diversify([better, first], k=1)] == [2]
