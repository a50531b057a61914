"""Unit tests of the labels: which events make an impression a positive, a negative or a weak negative."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from recommender.interactions import (
    NEGATIVE,
    POSITIVE,
    WEAK_NEGATIVE,
    Impression,
    LearningEvent,
    label_interactions,
    normalise_verb,
)
from tests.support.interaction_factories import T0, event, row, shown

WINDOW = timedelta(days=14)


XAPI = "http://adlnet.gov/expapi/verbs/"


def outcomes(
    impressions: Sequence[Impression], events: Sequence[LearningEvent], now: datetime | None = None
) -> dict[tuple[str, int, datetime], str]:
    labelled = label_interactions(impressions, events, WINDOW, now)
    return {(i.employee, i.unit_id, i.shown_at): i.outcome for i in labelled}


@pytest.mark.parametrize(
    ("verb", "expected"),
    [
        (XAPI + "completed", "completed"),
        ("https://w3id.org/xapi/adl/verbs/Dismissed/", "dismissed"),
        ("  Passed ", "passed"),
        ("http://example.com/verbs#rated", "rated"),
    ],
)
def test_verbs_are_normalised_to_their_last_segment(verb: str, expected: str) -> None:
    assert normalise_verb(verb) == expected


def test_completed_or_passed_in_the_window_is_positive_dismissed_or_failed_negative() -> None:
    impressions = [shown(1), shown(2), shown(3), shown(4)]
    events = [
        event(1, XAPI + "completed", 3),
        event(2, "dismissed", 0.1),
        event(3, XAPI + "passed", 13.9),
        event(4, XAPI + "failed", 2),
    ]
    result = outcomes(impressions, events, now=T0 + timedelta(days=30))
    assert [result[("e1", unit, T0)] for unit in (1, 2, 3, 4)] == [POSITIVE, NEGATIVE, POSITIVE, NEGATIVE]


def test_the_last_rating_decides_and_beats_completion() -> None:
    impressions = [shown(1), shown(2), shown(3), shown(4)]
    events = [
        event(1, "rated", 1, score=0.8),
        event(2, XAPI + "completed", 1),
        event(2, "rated", 2, score=0.4),  # completed but disliked: not a good recommendation
        event(3, "rated", 1, score=0.2),
        event(3, "rated", 2, score=0.6),  # changed their mind; 0.6 is the threshold and counts
        event(4, "dismissed", 1),
        event(4, "rated", 2),  # a rating without a score decides nothing
    ]
    result = outcomes(impressions, events, now=T0 + timedelta(days=30))
    assert [result[("e1", unit, T0)] for unit in (1, 2, 3, 4)] == [POSITIVE, NEGATIVE, POSITIVE, NEGATIVE]


def test_positive_beats_negative_when_no_rating() -> None:
    events = [event(1, XAPI + "failed", 1), event(1, XAPI + "passed", 3)]
    assert outcomes([shown(1)], events, now=T0 + timedelta(days=30))[("e1", 1, T0)] == POSITIVE


def test_no_decisive_event_is_a_weak_negative_once_the_window_is_over_and_unknown_before() -> None:
    impressions = [shown(1), shown(2), shown(3), shown(4)]
    events = [
        event(1, XAPI + "launched", 1),  # opening a unit decides nothing
        event(2, XAPI + "completed", 14),  # the window is [shown_at, shown_at + 14 days)
        event(3, XAPI + "completed", -1),  # done before it was recommended
        event(4, XAPI + "completed", 2, employee="e2"),  # someone else
    ]
    after = outcomes(impressions, events, now=T0 + WINDOW)
    assert set(after.values()) == {WEAK_NEGATIVE} and len(after) == 4
    assert outcomes(impressions, events, now=T0 + WINDOW - timedelta(seconds=1)) == {}


def test_a_decisive_event_labels_an_impression_whose_window_is_still_open() -> None:
    result = outcomes([shown(1)], [event(1, "dismissed", 1)], now=T0 + timedelta(days=2))
    assert result == {("e1", 1, T0): NEGATIVE}


def test_an_event_counts_for_every_impression_whose_window_holds_it() -> None:
    later = T0 + timedelta(days=7)
    impressions = [shown(1), shown(1, at=later), shown(1, at=T0 + timedelta(days=21))]
    result = outcomes(impressions, [event(1, XAPI + "completed", 10)], now=T0 + timedelta(days=60))
    assert result == {
        ("e1", 1, T0): POSITIVE,
        ("e1", 1, later): POSITIVE,
        ("e1", 1, T0 + timedelta(days=21)): WEAK_NEGATIVE,
    }


def test_now_defaults_to_the_latest_timestamp_and_naive_times_are_utc() -> None:
    naive = T0.replace(tzinfo=None)
    impressions = [Impression("e1", 1, {}, naive), Impression("e1", 2, {}, naive)]
    events = [LearningEvent("e1", 1, "dismissed", naive + timedelta(days=20))]
    labelled = label_interactions(impressions, events, WINDOW)
    assert [(i.unit_id, i.outcome, i.shown_at) for i in labelled] == [
        (1, WEAK_NEGATIVE, T0),
        (2, WEAK_NEGATIVE, T0),
    ]
    assert label_interactions([], [], WINDOW) == []


def test_labels_come_sorted_and_carry_the_features() -> None:
    impressions = [shown(2, at=T0 + timedelta(days=1), level=1.0), shown(1, employee="e2", relevance=0.9)]
    labelled = label_interactions(impressions, [], WINDOW, now=T0 + timedelta(days=40))
    assert [(i.employee, i.unit_id) for i in labelled] == [("e2", 1), ("e1", 2)]
    assert dict(labelled[1].features) == {"level": 1.0}


def test_window_must_be_positive_and_outcomes_known() -> None:
    with pytest.raises(ValueError):
        label_interactions([], [], timedelta(0))
    with pytest.raises(ValueError, match="outcome"):
        row(1, "completed")


def test_labels_and_weights() -> None:
    assert [row(1, o).label for o in (POSITIVE, NEGATIVE, WEAK_NEGATIVE)] == [1, 0, 0]
    assert row(1, WEAK_NEGATIVE).weight < row(1, NEGATIVE).weight == row(1, POSITIVE).weight == 1.0
