"""Model-behaviour tests of the skills-gap model: the properties L&D and employees rely on.

Random cases use a fixed seed so a failure reproduces; hypothesis is not a dependency.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from recommender.gaps import (
    LEVELS,
    NO_EVIDENCE_CONFIDENCE,
    SOURCE_WEIGHTS,
    SOURCES,
    Evidence,
    Gap,
    LevelEstimate,
    Requirement,
    compute_gaps,
    estimate_level,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SEED = 20250301


def ev(level: float, source: str = "test", days_ago: float = 0.0) -> Evidence:
    return Evidence(level=level, source=source, observed_at=NOW - timedelta(days=days_ago))


def gap_for(required: int, evidence: list[Evidence], importance: float = 1.0) -> float:
    estimate = estimate_level(evidence, NOW)
    estimates = {} if estimate is None else {1: estimate}
    gaps = compute_gaps([Requirement(1, required, importance)], estimates, include_closed=True)
    return gaps[0].gap


def random_evidence(rng: random.Random, count: int) -> list[Evidence]:
    return [
        ev(
            level=rng.choice([rng.randint(0, 5), round(rng.uniform(0, 5), 2)]),
            source=rng.choice(SOURCES),
            days_ago=rng.uniform(-30, 2000),  # some evidence is dated after `now`
        )
        for _ in range(count)
    ]


def profile_gaps(requirements: list[Requirement], evidence: dict[int, list[Evidence]]) -> dict[int, float]:
    estimates = {s: e for s, items in evidence.items() if (e := estimate_level(items, NOW)) is not None}
    return {g.skill_id: g.gap for g in compute_gaps(requirements, estimates, include_closed=True)}


# --- levels and sources -------------------------------------------------------------------------


def test_levels_cover_zero_to_five_and_sources_all_have_weights() -> None:
    assert sorted(LEVELS) == [0, 1, 2, 3, 4, 5]
    assert set(SOURCE_WEIGHTS) == set(SOURCES)
    ordered = ["test", "manager", "360", "badge", "completion", "self"]
    weights = [SOURCE_WEIGHTS[s] for s in ordered]
    assert weights == sorted(weights, reverse=True) and len(set(weights)) == len(weights)


# --- the directional property -------------------------------------------------------------------


def test_evidence_at_or_above_target_never_widens_the_gap() -> None:
    rng = random.Random(SEED)
    checked = 0
    for _ in range(3000):
        evidence = random_evidence(rng, rng.randint(0, 8))
        target = rng.randint(0, 5)
        before = gap_for(target, evidence)
        new = ev(
            level=rng.choice([float(target), rng.uniform(target, 5)]),
            source=rng.choice(SOURCES),
            days_ago=rng.uniform(-30, 3000),
        )
        after = gap_for(target, [*evidence, new])
        assert after <= before, (target, evidence, new, before, after)
        checked += 1
    assert checked == 3000


def test_evidence_at_or_above_target_never_widens_any_gap_of_a_profile() -> None:
    """The same property through a whole role profile: every skill's gap shrinks or stays."""
    rng = random.Random(SEED + 1)
    for _ in range(300):
        requirements = [Requirement(s, rng.randint(0, 5), rng.choice([0.5, 1.0])) for s in range(1, 6)]
        evidence = {s: random_evidence(rng, rng.randint(0, 4)) for s in range(1, 6)}
        skill = rng.randint(1, 5)
        target = requirements[skill - 1].level
        extended = {**evidence, skill: [*evidence[skill], ev(rng.uniform(target, 5), rng.choice(SOURCES))]}
        before, after = profile_gaps(requirements, evidence), profile_gaps(requirements, extended)
        assert after[skill] <= before[skill]
        assert {s: v for s, v in after.items() if s != skill} == {
            s: v for s, v in before.items() if s != skill
        }


# --- the estimator -------------------------------------------------------------------------------


def test_newer_test_outweighs_older_self_rating() -> None:
    estimate = estimate_level([ev(4, "self", days_ago=730), ev(2, "test", days_ago=7)], NOW)
    assert estimate is not None
    assert abs(estimate.level - 2) < abs(estimate.level - 4)
    assert estimate.level < 2.5


def test_no_evidence_gives_none() -> None:
    assert estimate_level([], NOW) is None


def test_single_piece_of_evidence_gives_its_level() -> None:
    estimate = estimate_level([ev(3.5, "manager", days_ago=100)], NOW)
    assert estimate is not None
    assert estimate.level == pytest.approx(3.5)
    assert (estimate.evidence_count, estimate.sources) == (1, ("manager",))
    weight = 0.8 * 0.5 ** (100 / 365)
    assert estimate.confidence == pytest.approx(1 - math.exp(-weight / 1.5))  # one point: no spread


def test_conflicting_evidence_gives_lower_confidence_than_agreeing_evidence() -> None:
    agreeing = estimate_level([ev(3, "test"), ev(3, "manager"), ev(3, "self")], NOW)
    conflicting = estimate_level([ev(1, "test"), ev(5, "manager"), ev(3, "self")], NOW)
    assert agreeing is not None and conflicting is not None
    assert agreeing.evidence_count == conflicting.evidence_count == 3
    assert conflicting.confidence < agreeing.confidence


def test_conflict_lowers_confidence_for_random_sets() -> None:
    """Same sources and dates, levels spread out instead of equal: confidence always drops."""
    rng = random.Random(SEED + 2)
    for _ in range(500):
        evidence = random_evidence(rng, rng.randint(2, 6))
        level = rng.randint(0, 5)
        agreeing = [Evidence(level, e.source, e.observed_at) for e in evidence]
        spread = [
            Evidence(rng.choice([0, 5]) if i < 2 else e.level, e.source, e.observed_at)
            for i, e in enumerate(evidence)
        ]
        if len({e.level for e in spread}) == 1:
            continue
        a, s = estimate_level(agreeing, NOW), estimate_level(spread, NOW)
        assert a is not None and s is not None
        assert s.confidence < a.confidence


def test_more_agreeing_evidence_raises_confidence() -> None:
    previous = 0.0
    evidence: list[Evidence] = []
    for i in range(12):
        evidence.append(ev(3, SOURCES[i % len(SOURCES)], days_ago=30 * i))
        estimate = estimate_level(evidence, NOW)
        assert estimate is not None
        assert estimate.confidence > previous
        assert estimate.level == pytest.approx(3)
        previous = estimate.confidence
    assert previous < 1.0


def test_stronger_and_fresher_sources_give_more_confidence() -> None:
    def confidence(source: str, days_ago: float = 0) -> float:
        estimate = estimate_level([ev(3, source, days_ago)], NOW)
        assert estimate is not None
        return estimate.confidence

    ordered = [confidence(s) for s in ("test", "manager", "360", "completion", "self")]
    assert ordered == sorted(ordered, reverse=True)
    assert confidence("test", 0) > confidence("test", 365) > confidence("test", 730)


def test_future_evidence_counts_as_now() -> None:
    future = estimate_level([ev(2, "test", days_ago=-40), ev(4, "self", days_ago=0)], NOW)
    present = estimate_level([ev(2, "test", days_ago=0), ev(4, "self", days_ago=0)], NOW)
    assert future == present


def test_sources_are_listed_once_in_canonical_order() -> None:
    estimate = estimate_level([ev(2, "test"), ev(3, "self"), ev(2, "test"), ev(1, "360")], NOW)
    assert estimate is not None
    assert estimate.sources == ("self", "test", "360")
    assert estimate.evidence_count == 4


def test_estimates_stay_within_levels_and_confidence_within_zero_one() -> None:
    rng = random.Random(SEED + 3)
    for _ in range(1000):
        estimate = estimate_level(random_evidence(rng, rng.randint(1, 10)), NOW)
        assert estimate is not None
        assert 0.0 <= estimate.level <= 5.0
        assert 0.0 <= estimate.confidence < 1.0


def test_other_timezones_are_compared_as_instants() -> None:
    amsterdam = timezone(timedelta(hours=1))
    same_instant = Evidence(3, "test", NOW.astimezone(amsterdam))
    assert estimate_level([same_instant], NOW) == estimate_level([ev(3, "test")], NOW)


# --- exact values for one hand-computed case ------------------------------------------------------


def test_hand_computed_estimate_and_gap() -> None:
    # test 2 today: weight 1.0; self 4 exactly one half-life ago: weight 0.4 * 0.5 = 0.2.
    # W = 1.2; level = (2*1.0 + 4*0.2) / 1.2 = 2.8 / 1.2 = 7/3
    # variance = (1.0*(2 - 7/3)^2 + 0.2*(4 - 7/3)^2) / 1.2 = (1/9 + 0.2*25/9) / 1.2 = (6/9) / 1.2 = 5/9
    # sd = sqrt(5)/3 ~ 0.745356
    # confidence = (1 - exp(-1.2/1.5)) / (1 + sd) = 0.550671 / 1.745356 ~ 0.315506
    estimate = estimate_level([ev(2, "test", 0), ev(4, "self", 365)], NOW)
    assert estimate is not None
    assert estimate.level == pytest.approx(7 / 3)
    expected_confidence = (1 - math.exp(-0.8)) / (1 + math.sqrt(5) / 3)
    assert estimate.confidence == pytest.approx(expected_confidence)
    assert estimate.confidence == pytest.approx(0.315506, abs=1e-6)
    assert estimate.evidence_count == 2
    assert estimate.sources == ("self", "test")

    # required 4, essential: gap = 4 - 7/3 = 1.67; priority = 1.0 * 1.67 * (0.5 + 0.5 * 0.315506) = 1.0984
    [gap] = compute_gaps([Requirement(7, 4, 1.0)], {7: estimate}, covered_skills={7})
    assert gap == Gap(
        skill_id=7,
        required=4,
        current=2.33,
        gap=1.67,
        importance=1.0,
        priority=round(1.67 * (0.5 + 0.5 * expected_confidence), 4),
        confidence=0.316,
        evidence_count=2,
        has_content=True,
    )
    assert gap.priority == 1.0984


# --- ranking -------------------------------------------------------------------------------------


def estimate(level: float, confidence: float = 0.8, count: int = 2) -> LevelEstimate:
    return LevelEstimate(level=level, confidence=confidence, evidence_count=count, sources=("test",))


def test_essential_outranks_optional_at_the_same_size() -> None:
    requirements = [Requirement(1, 4, 0.5), Requirement(2, 4, 1.0)]
    gaps = compute_gaps(requirements, {1: estimate(2), 2: estimate(2)})
    assert [g.skill_id for g in gaps] == [2, 1]
    assert gaps[0].gap == gaps[1].gap == 2.0
    assert gaps[0].priority > gaps[1].priority


def test_larger_gap_outranks_smaller_at_the_same_importance() -> None:
    requirements = [Requirement(1, 3, 1.0), Requirement(2, 5, 1.0), Requirement(3, 4, 1.0)]
    gaps = compute_gaps(requirements, {1: estimate(2), 2: estimate(2), 3: estimate(2)})
    assert [(g.skill_id, g.gap) for g in gaps] == [(2, 3.0), (3, 2.0), (1, 1.0)]


def test_ranking_is_monotone_for_random_profiles() -> None:
    """Across random pairs: equal size and confidence -> importance decides; equal importance and
    confidence -> size decides."""
    rng = random.Random(SEED + 4)
    for _ in range(500):
        conf = rng.uniform(0, 1)
        level = rng.uniform(0, 3)
        low, high = sorted(rng.sample([0.1, 0.25, 0.5, 0.75, 1.0], 2))
        gaps = compute_gaps(
            [Requirement(1, 5, low), Requirement(2, 5, high)],
            {1: estimate(level, conf), 2: estimate(level, conf)},
        )
        assert [g.skill_id for g in gaps] == [2, 1]
        imp = rng.choice([0.5, 1.0])
        gaps = compute_gaps(
            [Requirement(1, 4, imp), Requirement(2, 5, imp)],
            {1: estimate(level, conf), 2: estimate(level, conf)},
        )
        assert [g.skill_id for g in gaps] == [2, 1]


def test_low_confidence_does_not_hide_a_large_gap() -> None:
    # two levels short and unassessed vs one level short and certain, same importance
    gaps = compute_gaps([Requirement(1, 2, 1.0), Requirement(2, 3, 1.0)], {2: estimate(2, confidence=1.0)})
    assert [g.skill_id for g in gaps] == [1, 2]


def test_skill_without_evidence_appears_with_full_gap_and_low_confidence() -> None:
    [gap] = compute_gaps([Requirement(9, 3, 1.0)], {})
    assert gap.current == 0.0
    assert gap.gap == 3.0
    assert gap.confidence == NO_EVIDENCE_CONFIDENCE == 0.1
    assert gap.evidence_count == 0
    assert gap.priority == pytest.approx(3.0 * (0.5 + 0.5 * 0.1))


def test_closed_gaps_are_hidden_unless_asked_for() -> None:
    requirements = [Requirement(1, 3, 1.0), Requirement(2, 3, 1.0), Requirement(3, 0, 1.0)]
    estimates = {1: estimate(3.0), 2: estimate(4.5)}
    assert compute_gaps(requirements, estimates) == []
    closed = compute_gaps(requirements, estimates, include_closed=True)
    assert sorted(g.skill_id for g in closed) == [1, 2, 3]
    assert all(g.gap == 0.0 and g.priority == 0.0 for g in closed)
    assert [g.skill_id for g in closed] == [1, 2, 3]  # ties fall back to skill id


def test_ties_break_on_importance_then_skill_id() -> None:
    # skill 5 (importance 1.0, gap 1) and skill 4 (importance 0.5, gap 2) have equal priority
    requirements = [Requirement(4, 2, 0.5), Requirement(5, 1, 1.0), Requirement(3, 1, 1.0)]
    gaps = compute_gaps(requirements, {s: estimate(0, 1.0) for s in (3, 4, 5)})
    assert gaps[0].priority == gaps[1].priority == gaps[2].priority
    assert [g.skill_id for g in gaps] == [3, 5, 4]


def test_has_content_flag() -> None:
    requirements = [Requirement(1, 3, 1.0), Requirement(2, 3, 1.0)]
    flagged = {g.skill_id: g.has_content for g in compute_gaps(requirements, {}, covered_skills={2})}
    assert flagged == {1: False, 2: True}
    unknown = {g.skill_id: g.has_content for g in compute_gaps(requirements, {}, covered_skills=None)}
    assert unknown == {1: True, 2: True}
    nothing = {g.skill_id: g.has_content for g in compute_gaps(requirements, {}, covered_skills=[])}
    assert nothing == {1: False, 2: False}


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("level", [-0.1, 5.01, float("nan"), 6])
def test_evidence_level_out_of_range_is_refused(level: float) -> None:
    with pytest.raises(ValueError, match="evidence level"):
        ev(level)


def test_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown evidence source 'peer'"):
        ev(3, "peer")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Evidence(3, "test", datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        estimate_level([ev(3)], datetime(2025, 1, 1))


@pytest.mark.parametrize("importance", [-0.01, 1.5, float("nan")])
def test_importance_out_of_range_is_refused(importance: float) -> None:
    with pytest.raises(ValueError, match="importance of skill 1"):
        Requirement(1, 3, importance)


@pytest.mark.parametrize("level", [-1, 6, 2.5])
def test_required_level_out_of_range_is_refused(level: int) -> None:
    with pytest.raises(ValueError, match="required level of skill 1"):
        Requirement(1, level, 1.0)


def test_duplicate_requirement_is_refused() -> None:
    with pytest.raises(ValueError, match="skill 1 is required more than once"):
        compute_gaps([Requirement(1, 3, 1.0), Requirement(1, 4, 0.5)], {})
