"""Unit tests of the path builder: selection, budget, order, weeks, coverage and the why texts."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from recommender.explanations import explain_uncovered
from recommender.gaps import Gap
from recommender.paths import (
    NO_CONTENT,
    NO_LANGUAGE,
    NO_TIME,
    NOT_ENOUGH_CONTENT,
    TOO_LONG,
    Budget,
    LearningDay,
    LearningPath,
    build_path,
)
from recommender.ranking import ScoredCandidate
from tests.support.path_factories import NOW, cand, gap, scored

LABELS = {1: "SQL", 2: "Datavisualisatie", 3: "Python", 4: "Statistiek"}


DEFAULT_BUDGET = Budget(60, 6)


def build(
    entries: list[ScoredCandidate], gaps: list[Gap], budget: Budget = DEFAULT_BUDGET, **kwargs: Any
) -> LearningPath:
    kwargs.setdefault("language", "nl")
    kwargs.setdefault("skill_labels", LABELS)
    return build_path(entries, gaps, budget, **kwargs)


def ids(path: LearningPath) -> list[int]:
    return [step.unit_id for step in path.steps]


# --- budget ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [(-1, 2), (60, -1), (60.5, 2), (True, 2)])
def test_budget_refuses_nonsense(bad: tuple[Any, Any]) -> None:
    with pytest.raises(ValueError):
        Budget(*bad)


def test_minutes_per_gap_level_must_be_positive() -> None:
    with pytest.raises(ValueError):
        build([], [gap(1)], minutes_per_gap_level=0)


def test_empty_inputs() -> None:
    path = build([], [])
    assert path == LearningPath(
        steps=(), covered=(), uncovered=(), total_minutes=0, covered_priority_share=1.0
    )
    zero = build([scored(cand(1))], [gap(1)], budget=Budget(0, 0))
    assert zero.steps == () and zero.uncovered[0].reason == TOO_LONG and zero.covered_priority_share == 0.0


def test_weeks_are_filled_in_order_and_a_step_never_splits() -> None:
    entries = [scored(cand(i, minutes=m, title=f"t{i}")) for i, m in enumerate([40, 30, 20, 50], start=1)]
    path = build(entries, [gap(1, required=5, current=0.0)], budget=Budget(60, 4))
    per_week: dict[int, int] = {}
    for step in path.steps:
        per_week[step.week] = per_week.get(step.week, 0) + step.minutes
    assert all(minutes <= 60 for minutes in per_week.values())
    assert [s.week for s in path.steps] == sorted(s.week for s in path.steps)
    assert path.total_minutes == 140 == sum(per_week.values())


def test_the_plan_must_pack_into_the_weeks_not_only_the_total() -> None:
    # 3 x 40 minutes = 120 fits a total of 2 x 60, but not two weeks of 60: only two are taken
    entries = [scored(cand(i, minutes=40)) for i in (1, 2, 3)]
    path = build(entries, [gap(1, required=5, current=0.0)], budget=Budget(60, 2))
    assert len(path.steps) == 2 and [s.week for s in path.steps] == [1, 2]
    assert path.uncovered[0].reason == NO_TIME and path.uncovered[0].closed > 0


def test_a_unit_longer_than_a_week_becomes_sessions_of_at_most_a_week() -> None:
    entries = [scored(cand(1, minutes=20, level="beginner")), scored(cand(2, minutes=150, level="advanced"))]
    path = build(entries, [gap(1, required=5, current=0.0)], budget=Budget(60, 4))
    # 150 minutes at 60 a week: three sessions of 50, in order, in consecutive weeks after week 1's 20
    sessions = [(s.week, s.minutes, s.part, s.parts) for s in path.steps if s.unit_id == 2]
    assert sessions == [(2, 50, 1, 3), (3, 50, 2, 3), (4, 50, 3, 3)]
    assert all(step.minutes <= 60 and step.week == step.last_week for step in path.steps)
    assert not any(step.partial for step in path.steps)
    assert "Deel 1 van 3" in path.steps[1].why and "50 van 150 min" in path.steps[1].why


def test_no_step_is_longer_than_a_week_and_no_week_holds_more() -> None:
    entries = [
        scored(cand(u, minutes=m, item_id=u)) for u, m in [(1, 7), (2, 45), (3, 200), (4, 12), (5, 90)]
    ]
    budget = Budget(40, 5)
    path = build(entries, [gap(1, required=5, current=0.0)], budget=budget)
    assert path.steps and all(step.minutes <= 40 for step in path.steps)
    per_week: dict[int, int] = {}
    for step in path.steps:
        per_week[step.week] = per_week.get(step.week, 0) + step.minutes
    assert max(per_week.values()) <= 40 and path.total_minutes <= budget.total


def test_only_content_longer_than_the_budget_gives_its_first_part_marked_partial() -> None:
    # the one unit on the gap is a 250-minute course; the budget is 60 a week for 2 weeks
    path = build([scored(cand(1, minutes=250))], [gap(1)], budget=Budget(60, 2))
    assert [(s.unit_id, s.part, s.minutes) for s in path.steps] == [(1, 1, 50), (1, 2, 50)]
    assert all(step.partial and step.remaining_minutes == 150 for step in path.steps)
    assert "150 min" in path.steps[-1].why
    assert path.uncovered and path.uncovered[0].reason == NO_TIME and path.uncovered[0].closed > 0


def test_an_oversized_unit_starts_only_once_what_fits_the_budget_is_taken() -> None:
    entries = [scored(cand(1, minutes=250)), scored(cand(2, minutes=10, item_id=2))]
    # the 10-minute unit closes about 0.13 of 2 levels: the course's first sessions follow it
    path = build(entries, [gap(1)], budget=Budget(60, 2))
    assert sorted(ids(path)) == [1, 1, 2] and path.total_minutes <= 120
    assert [s.partial for s in path.steps if s.unit_id == 1] == [True, True]
    # a gap the short unit closes on its own gets no course
    small = build(entries, [gap(1, required=3, current=2.9)], budget=Budget(60, 2))
    assert ids(small) == [2]


def test_a_few_minutes_of_fitting_content_do_not_keep_the_budget_empty() -> None:
    # what the Sourcegraph handbook and Coursera gave: a 3-minute page on leadership, and courses of
    # unknown length; 240 minutes to spend. The page used to keep the courses out (17 minutes planned)
    entries = [scored(cand(1, minutes=3)), scored(cand(2, minutes=500, item_id=2))]
    path = build(entries, [gap(1, required=3, current=1.0)], budget=Budget(120, 2))
    assert ids(path)[0] in (1, 2) and 1 in ids(path) and 2 in ids(path)
    assert path.total_minutes > 200


def test_micro_units_come_before_a_long_unit_on_the_same_gap() -> None:
    # the 45-minute course scores higher, but a 10-minute unit on the same gap is taken first
    entries = [
        scored(cand(1, minutes=45, relevance=1.0), score=0.95),
        scored(cand(2, minutes=10, item_id=2, relevance=0.75), score=0.6),
    ]
    path = build(entries, [gap(1, required=1, current=0.8)], budget=Budget(50, 1))
    assert ids(path) == [2]  # 10 minutes first; 45 more no longer fit the week of 50


def test_a_unit_that_fits_the_budget_is_taken_whole_or_not_at_all() -> None:
    path = build([scored(cand(1, minutes=100))], [gap(1, required=5, current=0.0)], budget=Budget(60, 3))
    assert [(s.part, s.minutes) for s in path.steps] == [(1, 50), (2, 50)]
    assert not any(step.partial for step in path.steps)


def test_classroom_sittings_are_never_cut_and_longer_than_a_week_are_too_long() -> None:
    entries = [scored(cand(1, minutes=90, format="classroom"))]
    path = build(entries, [gap(1)], budget=Budget(60, 4))
    assert path.steps == () and path.uncovered[0].reason == TOO_LONG


# --- selection ------------------------------------------------------------------------------------


def test_closing_stops_when_the_gap_is_closed() -> None:
    # a gap of 0.5 level: one 30-minute unit with relevance 1 closes it (30 / 60 * 1.0)
    entries = [scored(cand(i, minutes=30, relevance=1.0), score=0.9 - i / 100) for i in (1, 2, 3)]
    path = build(entries, [gap(1, required=3, current=2.5)])
    assert ids(path) == [1]
    assert path.steps[0].addresses == ((1, 0.5),) and path.covered == (1,)
    assert path.covered_priority_share == 1.0


def test_a_unit_for_two_gaps_addresses_both() -> None:
    entries = [scored(cand(1, 1, minutes=10)), scored(cand(1, 2, minutes=10))]
    path = build(entries, [gap(1), gap(2)])
    assert len(path.steps) == 1 and {s for s, _ in path.steps[0].addresses} == {1, 2}
    assert "Het helpt ook bij" in path.steps[0].why


def test_inconsistent_unit_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="unit 1"):
        build([scored(cand(1, 1, minutes=10)), scored(cand(1, 2, minutes=20))], [gap(1), gap(2)])


def test_closed_gaps_and_unrelated_candidates_are_ignored() -> None:
    path = build([scored(cand(1, 1)), scored(cand(2, 9))], [gap(1), gap(5, required=2, current=2.0)])
    assert ids(path) == [1] and [u.skill_id for u in path.uncovered] == [1]


def test_gap_with_all_its_content_chosen_but_still_open_is_not_enough_content() -> None:
    path = build([scored(cand(1, minutes=5, relevance=0.5))], [gap(1, required=5, current=0.0)])
    assert path.covered == () and path.covered_priority_share < 0.05
    assert path.uncovered[0].reason == NOT_ENOUGH_CONTENT and path.uncovered[0].closed > 0


def test_a_gap_that_is_closed_is_covered() -> None:
    path = build([scored(cand(1, minutes=60, relevance=1.0))], [gap(1, required=3, current=2.5)])
    assert path.covered == (1,) and path.uncovered == () and path.covered_priority_share == 1.0


def test_higher_scored_unit_wins_at_equal_cost() -> None:
    entries = [scored(cand(1, minutes=30), score=0.4), scored(cand(2, minutes=30), score=0.9)]
    path = build(entries, [gap(1, required=3, current=2.5)], budget=Budget(30, 1))
    assert ids(path) == [2]


# --- uncovered reasons ----------------------------------------------------------------------------


def test_uncovered_reasons() -> None:
    gaps = [gap(1), gap(2), gap(3), gap(4)]
    entries = [scored(cand(1, 1, minutes=50)), scored(cand(2, 3, minutes=50))]
    path = build(entries, gaps, budget=Budget(50, 1), excluded_by_language={2})
    reasons = {u.skill_id: u.reason for u in path.uncovered}
    chosen = path.steps[0].addresses[0][0]
    assert reasons == {2: NO_LANGUAGE, 4: NO_CONTENT, chosen: NOT_ENOUGH_CONTENT, 4 - chosen: NO_TIME}
    assert path.covered == ()


def test_zero_relevance_units_are_no_content() -> None:
    path = build([scored(cand(1, relevance=0.0))], [gap(1)])
    assert path.steps == () and path.uncovered[0].reason == NO_CONTENT


# --- order ----------------------------------------------------------------------------------------


def test_foundations_first_then_unknown_levels_by_position() -> None:
    entries = [
        scored(cand(1, level=None, position=2, minutes=5)),
        scored(cand(2, level="advanced", minutes=5)),
        scored(cand(3, level="beginner", minutes=5)),
        scored(cand(4, level=None, position=0, minutes=5)),
        scored(cand(5, level="intermediate", minutes=5)),
    ]
    path = build(entries, [gap(1, required=5, current=0.0)])
    assert ids(path) == [3, 5, 2, 4, 1]


def test_parts_of_an_item_stay_in_their_order() -> None:
    entries = [
        scored(cand(3, item_id=9, position=2, level="beginner", minutes=5), score=0.95),
        scored(cand(1, item_id=9, position=0, level="beginner", minutes=5), score=0.5),
        scored(cand(2, item_id=9, position=1, level="advanced", minutes=5), score=0.6),  # author's order wins
    ]
    path = build(entries, [gap(1, required=5, current=0.0)])
    assert ids(path) == [1, 2, 3]


def test_prerequisites_come_first_and_cycles_do_not_hang() -> None:
    entries = [
        scored(cand(i, s, level="beginner", minutes=5), score=0.9 if s == 3 else 0.5)
        for i, s in [(1, 1), (2, 2), (3, 3)]
    ]
    gaps = [gap(1), gap(2), gap(3)]
    # 3 needs 2, 2 needs 1: the order is 1, 2, 3 whatever the scores
    assert ids(build(entries, gaps, prerequisites={3: [2], 2: [1]})) == [1, 2, 3]
    # a chain through a skill that is no gap still orders: 3 needs 7, 7 needs 2
    assert ids(build(entries, gaps, prerequisites={3: [7], 7: [2]})).index(2) < ids(
        build(entries, gaps, prerequisites={3: [7], 7: [2]})
    ).index(3)
    cyclic = build(entries, gaps, prerequisites={1: [2], 2: [1], 3: [3]})
    assert ids(cyclic) == ids(build(entries, gaps, prerequisites={2: [1], 1: [2], 3: [3]}))
    assert sorted(ids(cyclic)) == [1, 2, 3]


def test_weeks_never_go_down_along_the_path() -> None:
    entries = [scored(cand(i, minutes=m)) for i, m in enumerate([25, 50, 10, 35, 15], start=1)]
    path = build(entries, [gap(1, required=5, current=0.0)], budget=Budget(60, 5))
    weeks = [s.week for s in path.steps]
    assert weeks == sorted(weeks) and weeks[0] == 1


def test_a_path_shorter_than_the_budget_is_spread_over_its_weeks() -> None:
    """e-019 on the demo: 89 minutes at 60 a week filled weeks 1 and 2 and left four empty."""
    entries = [
        scored(cand(u, item_id=7, position=u, minutes=m))
        for u, m in enumerate((13, 11, 8, 10, 12, 14, 11), 1)
    ]
    path = build(entries, [gap(1, required=5, current=0.0)], Budget(60, 6))
    assert path.total_minutes == 79
    weeks = [step.week for step in path.steps]
    assert weeks == sorted(weeks) and set(weeks) == {1, 2, 3, 4, 5, 6}
    per_week = [sum(step.minutes for step in path.steps if step.week == w) for w in range(1, 7)]
    assert max(per_week) <= 25  # about the even share (79 / 6), never the full 60


# --- why ------------------------------------------------------------------------------------------


def test_why_in_dutch_names_the_gap_the_evidence_the_level_and_what_follows() -> None:
    entries = [
        scored(
            cand(1, minutes=12, format="video", level="intermediate", title="Joins", evidence="declared"),
            reasons=("language:nl", "level_fit"),
        ),
        scored(cand(2, minutes=9, item_id=2, level="advanced", title="Window functions"), score=0.6),
    ]
    path = build(entries, [gap(1, required=4, current=2.2)], role_name="data-analist")
    assert path.steps[0].why == (
        "Je rol als data-analist vraagt SQL op niveau 4 (zeer belangrijk); je zit nu rond 2. "
        "De aanbieder noemt SQL als onderwerp van deze video. "
        'Deze video "Joins" (12 min) is voor gemiddeld niveau, jouw volgende stap. '
        'Daarna: "Window functions".'
    )


def test_the_next_module_of_a_started_course_says_only_that_it_goes_on() -> None:
    """Six modules of one course used to carry six copies of one paragraph."""
    entries = [
        scored(cand(p + 1, item_id=7, position=p, minutes=10, format="course", title=t, evidence="declared"))
        for p, t in enumerate(("SQL: Joins", "SQL: Groeperen"))
    ]
    path = build(entries, [gap(1, required=4, current=1.0)], role_name="data-analist")
    first, second = path.steps
    assert "De aanbieder noemt SQL" in first.why
    assert second.why == (
        'Je rol als data-analist vraagt SQL op niveau 4; dit gaat verder in dezelfde cursus: "SQL: Groeperen" (10 min).'
    )
    assert second.why_without_levels == second.why  # it names no level of the learner's anyway


def test_why_in_english_says_rating_and_date_only_from_the_source() -> None:
    entries = [
        scored(
            cand(
                1,
                2,
                minutes=14,
                format="article",
                level="beginner",
                title="Charts that work",
                language="nl",
                rating=4.6,
                updated_days_ago=40,
                evidence="label",
                evidence_detail="data visualisation",
            ),
            reasons=("language_fallback:nl",),
        )
    ]
    path = build(
        entries,
        [gap(2, required=3, current=0.0, importance=0.6)],
        language="en",
        skill_labels={2: "data visualisation"},
        learner_languages=("en",),
        now=NOW,
    )
    assert path.steps[0].why == (
        "Asked for: data visualisation at level 3 (important); you have not shown it yet. "
        'The text names "data visualisation". '
        'This article "Charts that work" (14 min) is for beginners; rated 4.6 out of 5 and updated in January 2025. '
        "There is nothing on data visualisation in English at your level, so this one is in Dutch."
    )
    assert path.steps[0].language_fallback
    # without the source's own date, nothing is said about freshness
    undated = [scored(cand(1, 2, minutes=14, updated_days_ago=None, rating=None))]
    why = build(undated, [gap(2)], language="en", now=NOW).steps[0].why
    assert "updated" not in why and "rated" not in why


@pytest.mark.parametrize(
    ("current", "dutch", "english"),
    [
        (2.82, "je zit er net onder (2,8)", "you are just below it (2.8)"),
        (2.96, "je zit er net onder (2,9)", "you are just below it (2.9)"),
        (2.4, "je zit nu rond 2", "you are at about 2 now"),
    ],
)
def test_a_level_just_below_the_one_asked_is_not_rounded_up_to_it(
    current: float, dutch: str, english: str
) -> None:
    entries = [scored(cand(1, minutes=8))]
    gaps = [gap(1, required=3, current=current)]
    assert f"Gevraagd is SQL op niveau 3 (zeer belangrijk); {dutch}." in build(entries, gaps).steps[0].why
    assert (
        f"Asked for: SQL at level 3 (very important); {english}."
        in build(entries, gaps, language="en").steps[0].why
    )


def test_why_dutch_article_and_fallback() -> None:
    entries = [
        scored(
            cand(1, minutes=8, format="article", level="advanced", language="en"),
            reasons=("language_fallback:en",),
        )
    ]
    why = build(entries, [gap(1, required=5, current=3.6)]).steps[0].why
    assert why.startswith("Gevraagd is SQL op niveau 5 (zeer belangrijk); je zit nu rond 4.")
    assert 'Dit artikel "Unit 1" (8 min) is voor gevorderden' in why
    assert "Over SQL is er in het Nederlands niets op jouw niveau, daarom is dit in het Engels." in why


def test_a_fallback_beside_units_in_the_learners_language_does_not_claim_there_are_none() -> None:
    dutch = scored(cand(1, minutes=8, language="nl", title="SQL in het kort"), score=0.9)
    english = scored(cand(2, minutes=8, language="en"), score=0.8, reasons=("language_fallback:en",))
    path = build([dutch, english], [gap(1, required=5, current=0.0)], learner_languages=("nl", "en"))
    assert ids(path) == [1, 2]
    why = path.steps[1].why
    assert "Wat er over SQL in het Nederlands op jouw niveau is, staat al in dit pad" in why
    assert "niets op jouw niveau" not in why
    alone = build([english], [gap(1, required=5, current=0.0)], learner_languages=("nl", "en"))
    assert "Over SQL is er in het Nederlands niets op jouw niveau" in alone.steps[0].why


def test_a_fallback_after_the_learner_did_the_content_in_their_language_says_so() -> None:
    english = scored(cand(2, minutes=8, language="en"), score=0.8, reasons=("language_fallback:en",))
    gaps = [gap(1, required=5, current=0.0)]
    after = build([english], gaps, learner_languages=("nl",), done_in_learner_language={1})
    why = after.steps[0].why
    assert (
        "Wat er over SQL in het Nederlands op jouw niveau is, heb je al gedaan; dit gaat verder in het Engels."
        in why
    )
    assert "niets op jouw niveau" not in why
    in_english = build(
        [english], gaps, language="en", learner_languages=("nl",), done_in_learner_language={1}
    )
    assert "You have done what there is on SQL in Dutch at your level; this goes on in English." in (
        in_english.steps[0].why
    )


def test_why_has_no_scores_and_survives_a_missing_label() -> None:
    entries = [scored(cand(1, 8, minutes=10), score=0.8765)]
    why = build(entries, [gap(8)], skill_labels={}).steps[0].why
    assert "deze vaardigheid" in why
    assert not re.search(r"\d+[.,]\d", why)  # no decimals: no scores, no 2.17 levels


def test_a_module_is_called_a_part_of_its_course() -> None:
    module = replace(cand(1, minutes=9, format="course", title="SQL in de praktijk: Joins"), in_item=True)
    why = build([scored(module)], [gap(1)]).steps[0].why
    assert 'Dit onderdeel van de cursus "SQL in de praktijk: Joins" (9 min)' in why


# --- level --------------------------------------------------------------------------------------


def test_basics_are_left_out_for_a_learner_past_them_while_content_at_their_level_exists() -> None:
    entries = [
        scored(cand(1, 3, level="beginner", title="Python installeren"), score=0.9),
        scored(cand(2, 3, level="intermediate", title="Functies en modules"), score=0.7),
        scored(cand(3, 3, level=None, title="Python-richtlijnen"), score=0.6),
    ]
    at_three = build(entries, [gap(3, required=4, current=3.0)])
    assert ids(at_three) and 1 not in ids(at_three)
    # a beginner still starts with the basics
    assert 1 in ids(build(entries, [gap(3, required=4, current=0.5)]))
    # when the basics are all there is, they stay, and the gap is not called empty
    only_basics = build(entries[:1], [gap(3, required=4, current=3.0)])
    assert ids(only_basics) == [1]


def test_content_past_what_the_role_asks_is_left_out_while_content_in_step_exists() -> None:
    entries = [
        scored(cand(1, 3, level="advanced", title="Advanced SQL: query plans"), score=0.9),
        scored(cand(2, 3, level="intermediate", title="SQL: joins"), score=0.6),
        scored(cand(3, 3, level="beginner", title="SQL: je eerste query"), score=0.5),
    ]
    role_asks_three = build(entries, [gap(3, required=3, current=0.0)])
    assert ids(role_asks_three) and 1 not in ids(role_asks_three)
    # a role that asks level 5 is reached through advanced content, after the basics
    assert ids(build(entries, [gap(3, required=5, current=0.0)])) == [3, 2, 1]
    # when advanced content is all there is, it stays
    assert ids(build(entries[:1], [gap(3, required=3, current=0.0)])) == [1]


def test_not_enough_content_says_it_is_about_suitable_content() -> None:
    path = build([scored(cand(1, 3, minutes=5))], [gap(3, required=5, current=0.0)])
    (uncovered,) = path.uncovered
    assert uncovered.reason == "not_enough_content"
    # easier or foreign content may exist beside it: the sentence claims only what suits the learner
    text = explain_uncovered(uncovered.reason, "Python", uncovered.closed, dutch=True)
    assert text.startswith("Alle inhoud over Python die bij je niveau en talen past, zit al in dit pad")


def test_the_largest_gap_is_not_starved_by_a_course_on_two_smaller_ones() -> None:
    """A backend developer with 20 minutes a week (the demo's e-010): one course teaches Docker and
    CI at once, another testing; with worth linear in levels those outbid API design, the gap the role
    needs most, and the path held nothing on it."""
    api, testing, docker, ci = 1, 2, 3, 4
    gaps = [
        gap(api, required=4, current=1.73, confidence=0.39),
        gap(testing, required=4, current=2.26, confidence=0.47),
        gap(docker, required=3, current=1.33, importance=0.75, confidence=0.41),
        gap(ci, required=3, current=1.84, importance=0.75, confidence=0.53),
    ]
    entries = [
        scored(cand(100 + p, api, item_id=10, position=p, minutes=m, relevance=1.0), 0.78)
        for p, m in enumerate((12, 12, 10))
    ]
    entries += [
        scored(cand(200 + p, testing, item_id=20, position=p, minutes=m, relevance=1.0), 0.77)
        for p, m in enumerate((12, 10, 14))
    ]
    for p, m in enumerate((14, 9, 15, 13)):
        entries += [
            scored(cand(300 + p, s, item_id=30, position=p, minutes=m, relevance=1.0), 0.78)
            for s in (docker, ci)
        ]
    path = build(entries, gaps, Budget(20, 6))
    addressed = {skill for step in path.steps for skill, _ in step.addresses}
    assert {api, testing, docker, ci} <= addressed
    assert path.total_minutes <= 120


def test_a_course_starts_at_its_first_module() -> None:
    first = scored(cand(1, item_id=7, position=0, minutes=12, relevance=0.8), 0.7)
    second = scored(cand(2, item_id=7, position=1, minutes=12, relevance=1.0), 0.7)
    path = build([second, first], [gap(1, required=5, current=0.0)], Budget(20, 1))
    assert ids(path) == [1]


def test_a_course_goes_on_past_a_module_that_adds_nothing() -> None:
    done_skill = scored(cand(1, 2, item_id=7, position=0, minutes=10), 0.7)  # its gap is closed
    second = scored(cand(2, 1, item_id=7, position=1, minutes=10), 0.7)
    path = build([done_skill, second], [gap(1), gap(2, required=2, current=2.0)], Budget(20, 1))
    assert ids(path) == [2]


def test_no_language_says_when_the_learner_did_what_there_is_in_theirs() -> None:
    assert explain_uncovered(NO_LANGUAGE, "prioritisation", 0.0, dutch=False, done=True) == (
        "You have done what there is on prioritisation in your languages; the rest is in languages you did not choose."
    )
    assert explain_uncovered(NO_LANGUAGE, "prioriteren", 0.0, dutch=True, done=True).startswith(
        "Wat er over prioriteren in jouw talen is, heb je al gedaan"
    )
    assert "alleen in talen" in explain_uncovered(NO_LANGUAGE, "prioriteren", 0.0, dutch=True)


def test_a_gap_whose_content_the_learner_did_is_all_done_not_without_content() -> None:
    """e-019 on the demo: the English roadmap course finished, nothing else in English on the gap;
    the path said no_content while GET /gaps said has_content."""
    path = build([scored(cand(1, 1))], [gap(1), gap(2)], done_in_learner_language={2})
    assert [(u.skill_id, u.reason) for u in path.uncovered if u.skill_id == 2] == [(2, "all_done")]
    text = explain_uncovered("all_done", "product roadmapping", 0.0, dutch=False)
    assert text.startswith("You have done all the content on product roadmapping that suits your level")


# --- Learning Days: a day budget beside the weekly one --------------------------------------------


def test_a_learning_day_holds_the_units_the_week_has_no_room_for() -> None:
    units = [scored(cand(i, 1, minutes=30, item_id=100 + i)) for i in range(1, 9)]
    gaps = [gap(1, required=5, current=0.0)]
    without = build_path(units, gaps, Budget(30, 2), language="nl", skill_labels={1: "SQL"})
    assert without.total_minutes == 60 and all(not s.learning_day for s in without.steps)

    day = LearningDay(week=2, day="2027-01-01", minutes=100)
    budget = Budget(30, 2, learning_days=(day,))
    assert budget.total == 160
    path = build_path(units, gaps, budget, language="nl", skill_labels={1: "SQL"})
    on_day = [s for s in path.steps if s.learning_day == "2027-01-01"]
    assert len(on_day) == 3 and all(s.week == 2 for s in on_day)  # 3 x 30 fit in 100, a 4th does not
    assert path.total_minutes == 150 <= budget.total
    for week in (1, 2):
        assert sum(s.minutes for s in path.steps if s.week == week and not s.learning_day) <= 30
    assert all(s.minutes <= 30 for s in path.steps)  # no step longer than its slot
    weeks = [s.week for s in path.steps]
    assert weeks == sorted(weeks)
    # a day past the path's weeks adds nothing
    later = Budget(30, 1, learning_days=(day,))
    assert later.total == 30 and not build_path(units, gaps, later, language="nl", skill_labels={}).steps[1:]


def test_a_long_unit_is_still_cut_at_the_weekly_minutes_on_a_learning_day() -> None:
    course = [scored(cand(1, 1, minutes=120, relevance=0.9))]
    budget = Budget(40, 2, learning_days=(LearningDay(1, "2027-01-01", 480),))
    path = build_path(course, [gap(1, required=5, current=0.0)], budget, language="en", skill_labels={})
    assert [s.minutes for s in path.steps] == [40, 40, 40]
    # spread: the week's own time, the Learning Day, then the next week (not all of it on the day)
    assert [(s.week, s.learning_day) for s in path.steps] == [(1, ""), (1, "2027-01-01"), (2, "")]
    assert [s.part for s in path.steps] == [1, 2, 3]


def test_a_learning_day_does_not_swallow_a_path_that_fits_in_it() -> None:
    """Two hours of content, 20 minutes a week for six weeks and two Learning Days of 8 hours: the
    path keeps a little in most weeks and uses both days, rather than putting all of it on the first
    day and leaving five weeks empty."""
    units = [scored(cand(i, 1, minutes=15, item_id=100 + i)) for i in range(1, 9)]
    days = (LearningDay(1, "2027-01-01", 480), LearningDay(5, "2027-02-05", 480))
    path = build_path(
        units,
        [gap(1, required=5, current=0.0)],
        Budget(20, 6, learning_days=days),
        language="en",
        skill_labels={},
    )
    assert path.total_minutes == 120
    on_days = {s.learning_day for s in path.steps if s.learning_day}
    assert on_days == {"2027-01-01", "2027-02-05"}
    assert len({s.week for s in path.steps if not s.learning_day}) >= 4
    assert all(
        sum(s.minutes for s in path.steps if s.week == w and not s.learning_day) <= 20 for w in range(1, 7)
    )
