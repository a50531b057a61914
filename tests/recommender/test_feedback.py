"""Learning events as evidence and history: the pure rules of recommender.feedback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recommender.feedback import (
    NO_HISTORY,
    ItemEvent,
    evidence_from_events,
    history_from_events,
    item_level,
)
from recommender.gaps import Evidence, Requirement, compute_gaps, estimate_level

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def event(
    verb: str, item: int = 1, days: float = 0, level: str | None = "intermediate", unit: int | None = None
) -> ItemEvent:
    return ItemEvent(verb, item, unit, unit is not None, level, T0 + timedelta(days=days))


@pytest.mark.parametrize(
    ("level", "expected"),
    [("beginner", 2), ("Intermediate", 3), ("advanced", 4), (None, 3), ("mixed", 3), ("", 3)],
)
def test_item_levels(level: str | None, expected: int) -> None:
    assert item_level(level) == expected


def test_passed_failed_and_completed_give_evidence_for_every_tagged_skill() -> None:
    skills = {1: [10, 11], 2: [10], 3: [12]}
    evidence = evidence_from_events(
        [event("passed", 1), event("failed", 2, level="beginner"), event("completed", 3, level="advanced")],
        skills,
    )
    assert evidence == {
        10: [Evidence(3, "test", T0), Evidence(1, "test", T0)],
        11: [Evidence(3, "test", T0)],
        12: [Evidence(4, "completion", T0)],
    }


def test_a_failed_beginner_item_gives_no_less_than_level_zero_and_other_verbs_nothing() -> None:
    assert evidence_from_events([event("failed", level="beginner")], {1: [5]}) == {
        5: [Evidence(1, "test", T0)]
    }
    failed_unknown = ItemEvent("failed", 1, None, False, None, T0)
    assert evidence_from_events([failed_unknown], {1: [5]})[5][0].level == 2
    quiet = [event("experienced"), event("rated"), event("dismissed")]
    assert evidence_from_events(quiet, {1: [5]}) == {}
    assert evidence_from_events([event("passed", item=9)], {1: [5]}) == {}  # untagged item


def test_per_item_only_the_latest_test_result_and_latest_completion_count() -> None:
    events = [
        event("failed", days=0),
        event("passed", days=3),  # the retake replaces the failure
        event("completed", days=1, unit=100),
        event("completed", days=2, unit=101),  # every unit of a course is one completion
    ]
    assert evidence_from_events(events, {1: [7]}) == {
        7: [Evidence(3, "test", T0 + timedelta(days=3)), Evidence(3, "completion", T0 + timedelta(days=2))]
    }
    newer_fail = evidence_from_events([event("passed", days=0), event("failed", days=5)], {1: [7]})
    assert newer_fail == {7: [Evidence(2, "test", T0 + timedelta(days=5))]}


def test_completed_counts_less_than_passed_and_neither_widens_a_gap_at_the_target() -> None:
    now = T0 + timedelta(days=1)
    self_rating = [Evidence(1, "self", T0)]
    requirement = [Requirement(7, 3, 1.0)]

    def gap(extra: list[ItemEvent]) -> float:
        evidence = self_rating + evidence_from_events(extra, {1: [7]}).get(7, [])
        estimate = estimate_level(evidence, now)
        assert estimate is not None
        gaps = compute_gaps(requirement, {7: estimate}, include_closed=True)
        return gaps[0].gap

    before, completed, passed = gap([]), gap([event("completed")]), gap([event("passed")])
    assert passed < completed < before


def test_history_items_done_units_done_and_dismissed_items() -> None:
    history = history_from_events(
        [
            event("completed", item=1),
            event("passed", item=2, unit=20),
            event("failed", item=3),
            event("dismissed", item=4, unit=40),  # a dismissed step dismisses its item
            event("experienced", item=5),
            event("rated", item=6),
            ItemEvent("completed", 7, None, True, None, T0),  # its unit was removed by a re-ingest
        ]
    )
    assert history.completed_items == {1}
    assert history.completed_units == {20}
    assert history.dismissed_items == {4}
    assert history_from_events([]) == NO_HISTORY
