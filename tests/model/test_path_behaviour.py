"""Model-behaviour tests of ranking and paths: the promises an employee and L&D rely on.

Random cases use fixed seeds so a failure reproduces; hypothesis is not a dependency.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import numpy as np

from recommender.gaps import Gap
from recommender.paths import (
    NO_CONTENT,
    NO_LANGUAGE,
    NO_TIME,
    NOT_ENOUGH_CONTENT,
    TOO_LONG,
    Budget,
    LearningPath,
    build_path,
)
from recommender.ranking import (
    Candidate,
    Learner,
    ScoredCandidate,
    diversify,
    score_candidates,
    skills_excluded_by_language,
)
from tests.support.path_factories import NOW, cand, gap, random_case, scored

SEED = 20250301
DEFAULT_BUDGET = Budget(60, 6)
LABELS = {1: "SQL", 2: "Python", 3: "Statistiek", 4: "Presenteren", 5: "Excel", 6: "Scrum"}


def plan(
    candidates: list[Candidate],
    gaps: list[Gap],
    learner: Learner,
    budget: Budget = DEFAULT_BUDGET,
    language: str = "nl",
    **kwargs: Any,
) -> LearningPath:
    """The whole chain as the service will run it: score, diversify per gap, build."""
    by_skill = {g.skill_id: g for g in gaps}
    ranked = score_candidates(candidates, by_skill, learner, NOW)
    shortlist: list[ScoredCandidate] = []
    for skill in by_skill:
        shortlist += diversify([s for s in ranked if s.candidate.skill_id == skill], k=8)
    return build_path(
        shortlist,
        gaps,
        budget,
        language=language,
        skill_labels=LABELS,
        excluded_by_language=skills_excluded_by_language(candidates, by_skill, learner),
        **kwargs,
    )


def random_candidates(rng: random.Random, skills: list[int]) -> list[Candidate]:
    result = []
    unit = 0
    for item in range(1, rng.randint(1, 25)):
        level = rng.choice(["beginner", "intermediate", "advanced", None])
        language = rng.choice(["nl", "nl", "en", "en", "de"])
        for position in range(rng.choice([1, 1, 2, 3])):
            unit += 1
            minutes = rng.choice([4, 6, 8, 10, 12, 15, 25, 45])
            for skill in rng.sample(skills, 1 if len(skills) == 1 else rng.choice([1, 1, 2])):
                result.append(
                    cand(
                        unit,
                        skill,
                        item_id=item,
                        relevance=round(rng.uniform(0.1, 1.0), 2),
                        minutes=minutes,
                        language=language,
                        level=level,
                        rating=rng.choice([None, 3.0, 4.0, 4.8]),
                        updated_days_ago=rng.choice([None, 20, 400, 1500]),
                        position=position,
                    )
                )
    return result


# --- history ----------------------------------------------------------------------------------------


def test_dismissed_and_completed_items_never_appear() -> None:
    rng = random.Random(SEED)
    for _ in range(300):
        skills = list(range(1, rng.randint(1, 5) + 1))
        gaps = [gap(s, required=rng.randint(1, 5), current=rng.choice([0.0, 0.5])) for s in skills]
        candidates = random_candidates(rng, skills)
        items = sorted({c.item_id for c in candidates})
        learner = Learner(
            languages=("nl", "en"),
            completed=frozenset(rng.sample(items, len(items) // 3)),
            dismissed=frozenset(rng.sample(items, len(items) // 3)),
        )
        path = plan(candidates, gaps, learner, Budget(rng.choice([30, 60, 120]), rng.randint(1, 8)))
        blocked = learner.completed | learner.dismissed
        assert not {step.item_id for step in path.steps} & blocked


# --- language -------------------------------------------------------------------------------------


def test_a_dutch_speaker_gets_dutch_first_when_both_exist() -> None:
    learner = Learner(languages=("nl", "en"))
    # the same unit in both languages, English even a little more relevant and better rated
    candidates = [
        cand(1, relevance=0.8, language="nl", rating=4.0, title="Joins in SQL"),
        cand(2, relevance=0.85, language="en", rating=4.2, title="SQL joins explained"),
    ]
    ranked = score_candidates(candidates, {1: gap(1)}, learner, NOW)
    assert [s.candidate.language for s in ranked] == ["nl", "en"]
    path = plan(candidates, [gap(1, required=3, current=2.9)], learner)
    assert [step.unit_id for step in path.steps] == [1]


def test_english_is_the_fallback_when_no_dutch_exists() -> None:
    dutch_only = Learner(languages=("nl",))
    candidates = [cand(1, 1, language="en"), cand(2, 2, language="nl"), cand(3, 2, language="en")]
    path = plan(candidates, [gap(1), gap(2)], dutch_only)
    assert {step.unit_id for step in path.steps} == {1, 2}  # English for SQL, not for skill 2
    english_step = next(step for step in path.steps if step.unit_id == 1)
    assert "in het Engels" in english_step.why


# --- level ----------------------------------------------------------------------------------------


def test_too_hard_and_too_easy_rank_below_level_fitting_units() -> None:
    learner = Learner(languages=("nl",))
    for current, fitting in [(0.0, "beginner"), (2.5, "intermediate"), (4.0, "advanced")]:
        candidates = [
            cand(i, level=level) for i, level in enumerate(["beginner", "intermediate", "advanced"], 1)
        ]
        ranked = score_candidates(candidates, {1: gap(1, required=5, current=current)}, learner, NOW)
        assert ranked[0].candidate.level == fitting
        assert all(s.score < ranked[0].score for s in ranked[1:])


# --- diversity ------------------------------------------------------------------------------------


def test_five_near_identical_units_never_fill_a_shortlist() -> None:
    rng = np.random.default_rng(SEED)
    base = rng.normal(size=64)
    copies = []
    for i in range(1, 8):
        v = base + 0.02 * rng.normal(size=64)
        copies.append(cand(i, relevance=0.95, vector=v / np.linalg.norm(v), title=f"SQL joins {i}"))
    others = []
    for i in range(20, 26):
        v = rng.normal(size=64)
        others.append(cand(i, relevance=0.6, vector=v / np.linalg.norm(v)))
    ranked = score_candidates(copies + others, {1: gap(1)}, Learner(languages=("nl",)), NOW)
    picked = diversify(ranked, k=5)
    vectors = np.array([s.candidate.vector for s in picked])
    similarity = vectors @ vectors.T
    near = similarity[np.triu_indices(len(picked), 1)] >= 0.95
    assert len(picked) == 5 and not near.any()
    assert sum(1 for s in picked if s.candidate.unit_id < 20) == 1
    # without vectors, the same titles are caught
    same_title = [cand(i, title="Excel draaitabellen") for i in range(1, 6)]
    assert (
        len(diversify(score_candidates(same_title, {1: gap(1)}, Learner(languages=("nl",)), NOW), k=5)) == 1
    )


# --- budget ---------------------------------------------------------------------------------------


def test_the_path_never_exceeds_the_budget() -> None:
    rng = random.Random(SEED)
    for _ in range(2000):
        gaps, entries = random_case(rng)
        budget = Budget(rng.choice([0, 10, 15, 30, 45, 60, 90, 120, 480]), rng.randint(0, 10))
        path = build_path(entries, gaps, budget, language="nl", skill_labels=LABELS)
        assert path.total_minutes == sum(step.minutes for step in path.steps) <= budget.total
        per_week: dict[int, int] = {}
        for step in path.steps:
            # no step spans weeks or is longer than one: longer units come as sessions
            assert 1 <= step.week == step.last_week <= budget.weeks
            assert 0 < step.minutes <= budget.minutes_per_week
            per_week[step.week] = per_week.get(step.week, 0) + step.minutes
        assert all(minutes <= budget.minutes_per_week for minutes in per_week.values())
        assert [s.week for s in path.steps] == sorted(s.week for s in path.steps)
        assert len({(s.unit_id, s.part) for s in path.steps}) == len(path.steps)


def test_a_budget_for_everything_works_on_every_gap_with_content() -> None:
    """The guarantee we can give about bigger budgets (the greedy is not monotone in the budget:
    with a fixed seed, about 0.1-0.3% of random budget increases lower the covered share; see below)."""
    rng = random.Random(SEED + 1)
    for _ in range(1000):
        gaps, entries = random_case(rng)
        longest = max((e.candidate.minutes for e in entries), default=1)
        units = {e.candidate.unit_id for e in entries}
        path = build_path(entries, gaps, Budget(longest, len(units) + 1), language="en", skill_labels=LABELS)
        with_content = {e.candidate.skill_id for e in entries}
        reasons = {u.skill_id: u.reason for u in path.uncovered}
        assert set(path.covered) | {s for s, r in reasons.items() if r == NOT_ENOUGH_CONTENT} == with_content
        assert {s for s, r in reasons.items() if r == NO_CONTENT} == {g.skill_id for g in gaps} - with_content
        assert set(reasons.values()) <= {NO_CONTENT, NOT_ENOUGH_CONTENT}


def test_bigger_budgets_rarely_cover_less() -> None:
    """Budgeted greedy (with the best-single-unit check and weekly packing) is not monotone in the
    budget, so this pins down how rare a drop is and how small, to catch a regression that makes it common."""
    rng = random.Random(SEED + 2)
    drops, worst, cases = 0, 0.0, 2000
    for _ in range(cases):
        gaps, entries = random_case(rng)
        minutes, weeks = rng.choice([15, 30, 45, 60, 90]), rng.randint(1, 8)
        small = build_path(entries, gaps, Budget(minutes, weeks), language="nl", skill_labels=LABELS)
        bigger = Budget(minutes + rng.choice([0, 15, 30]), weeks + rng.choice([0, 1, 3]))
        large = build_path(entries, gaps, bigger, language="nl", skill_labels=LABELS)
        if large.covered_priority_share < small.covered_priority_share:
            drops += 1
            worst = max(worst, small.covered_priority_share - large.covered_priority_share)
    assert drops <= cases // 100
    assert worst <= 0.1


# --- order ----------------------------------------------------------------------------------------


def test_beginner_units_come_before_advanced_ones_for_the_same_skill() -> None:
    """Per skill block (a unit sits with the skill it is worth most for), foundations first. An
    item's own order of its parts comes first, so items with several parts in the path are left
    out; and when that order would not pack into the weeks, the order the plan was fitted in is
    kept, so the rule holds in all but a few cases (at most 1 in 100)."""
    rng = random.Random(SEED + 3)
    order = {"beginner": 0, "intermediate": 1, "advanced": 2}
    broken = 0
    for _ in range(1000):
        gaps, entries = random_case(rng)
        path = build_path(entries, gaps, Budget(60, rng.randint(1, 8)), language="nl", skill_labels=LABELS)
        level_of = {e.candidate.unit_id: e.candidate.level for e in entries}
        parts = Counter(step.item_id for step in path.steps)
        for skill in {g.skill_id for g in gaps}:
            levels = [
                order[level_of[s.unit_id]]  # type: ignore[index]
                for s in path.steps
                if level_of[s.unit_id] in order and s.addresses[0][0] == skill and parts[s.item_id] == 1
            ]
            if levels != sorted(levels):
                broken += 1
                break
    assert broken <= 10


def test_prerequisites_are_respected() -> None:
    rng = random.Random(SEED + 4)
    for _ in range(500):
        skills = list(range(1, rng.randint(2, 6) + 1))
        gaps = [gap(s, required=rng.randint(2, 5), current=0.0) for s in skills]
        # an acyclic graph: a skill only needs skills with a smaller id
        prerequisites = {s: rng.sample(skills[: s - 1], rng.randint(0, s - 1)) for s in skills if s > 1}
        entries = []
        unit = 0
        for item in range(1, rng.randint(2, 12)):
            skill = rng.choice(skills)  # one skill per item, so the item's own order cannot interfere
            level = rng.choice(["beginner", "intermediate", "advanced", None])
            for position in range(rng.choice([1, 2])):
                unit += 1
                c = cand(
                    unit, skill, item_id=item, level=level, position=position, minutes=rng.choice([5, 10, 20])
                )
                entries.append(scored(c, score=round(rng.uniform(0.2, 1.0), 3)))
        path = build_path(
            entries, gaps, Budget(60, 4), language="nl", skill_labels=LABELS, prerequisites=prerequisites
        )
        where: dict[int, list[int]] = {}
        for index, step in enumerate(path.steps):
            for skill, _ in step.addresses:
                where.setdefault(skill, []).append(index)
        for dependent, needs in prerequisites.items():
            for need in needs:
                if dependent in where and need in where:
                    assert max(where[need]) < min(where[dependent])


# --- coverage -------------------------------------------------------------------------------------


def test_uncovered_reasons_name_the_cause() -> None:
    learner = Learner(languages=("en",))  # reads English only; no fallback to Dutch
    gaps = [gap(1, required=3, current=2.7), gap(2), gap(3, importance=0.2), gap(4), gap(5), gap(6)]
    candidates = [
        cand(1, 1, language="en", minutes=30),  # a small gap that 30 minutes close
        cand(2, 2, language="nl", minutes=10),  # only Dutch content
        cand(3, 3, language="en", minutes=35),  # content that fits a week, but the week is full
        # skill 4: nothing at all
        cand(5, 5, language="en", minutes=90, format="classroom"),  # only a sitting longer than a week
        cand(6, 6, language="en", minutes=5),  # all there is, and it does not close two levels
    ]
    path = plan(candidates, gaps, learner, Budget(40, 1), language="en")
    assert path.covered == (1,)
    assert {u.skill_id: u.reason for u in path.uncovered} == {
        2: NO_LANGUAGE,
        3: NO_TIME,
        4: NO_CONTENT,
        5: TOO_LONG,
        6: NOT_ENOUGH_CONTENT,
    }


# --- why ------------------------------------------------------------------------------------------


def test_why_texts_name_the_skill_in_the_requested_language() -> None:
    rng = random.Random(SEED + 5)
    for language, markers, foreign in [
        ("nl", ("Gevraagd is", "niveau"), "Asked for"),
        ("en", ("Asked for", "level"), "Gevraagd is"),
    ]:
        for _ in range(200):
            gaps, entries = random_case(rng)
            path = build_path(entries, gaps, Budget(60, 4), language=language, skill_labels=LABELS)
            for step in path.steps:
                main_skill = step.addresses[0][0]
                assert LABELS[main_skill] in step.why
                assert all(marker in step.why for marker in markers) and foreign not in step.why
                assert (
                    f"({step.minutes} min" in step.why
                    or f"({step.minutes} of" in step.why
                    or (f"({step.minutes} van" in step.why)
                )
                assert str(step.score) not in step.why
