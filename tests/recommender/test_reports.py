"""The report figures from plain facts: each definition in docs/reports.md, worked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from recommender.gaps import Gap
from recommender.reports import (
    ALL_TEAMS,
    AssessmentFact,
    EventFact,
    FigureFact,
    PathFact,
    PersonGaps,
    active_path_share,
    assessment_change,
    business_results,
    closable_by_item,
    completion,
    mean_score,
    minutes_per_employee,
    participation,
    pass_rate,
    periods,
    return_on_investment,
    table_with_total,
)

START, END = date(2026, 9, 1), date(2026, 11, 30)


def gap(skill: int, size: float, importance: float = 1.0) -> Gap:
    return Gap(skill, 4, 4 - size, size, importance, importance * size, 0.8, 1, True)


def at(day: int, month: int = 10) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def event(
    employee: int, verb: str, item: int | None = 1, day: int = 5, month: int = 10, **kw: object
) -> EventFact:
    fields: dict[str, object] = {"minutes": None, "score": None, "success": None, **kw}
    return EventFact(employee, verb, item, at(day, month), **fields)  # type: ignore[arg-type]


def test_heatmap_counts_everyone_needing_a_skill_and_weights_by_importance() -> None:
    people = [
        PersonGaps(1, "data", "analyst", (gap(10, 2.0), gap(11, 0.0, 0.5))),
        PersonGaps(2, "data", "analyst", (gap(10, 0.0), gap(11, 2.0, 0.5))),
        PersonGaps(3, "sales", "rep", (gap(10, 1.0, 0.5),)),
    ]
    cells = table_with_total(people, lambda person: person.team)
    data_10 = cells[("data", 10)]
    assert (data_10.employees, data_10.with_gap, data_10.mean_gap, data_10.weighted_gap) == (2, 1, 1.0, 1.0)
    assert cells[("data", 11)].weighted_gap == 0.5  # (0.5*0 + 0.5*2) / 2
    total = cells[(ALL_TEAMS, 10)]
    assert (total.employees, total.with_gap, total.weighted_total) == (3, 2, 2.5)
    assert ("sales", 11) not in cells  # not required there: no cell, not a zero


def test_closable_sums_confidence_times_open_weighted_gap() -> None:
    people = [
        PersonGaps(1, "t", "r", (gap(10, 2.0), gap(11, 1.0))),
        PersonGaps(2, "t", "r", (gap(10, 1.0, 0.5), gap(11, 0.0))),
    ]
    closable = closable_by_item(people, {100: {10: 0.5}, 200: {10: 1.0, 11: 1.0}, 300: {12: 1.0}})
    assert closable[100].value == pytest.approx(0.5 * 2.5) and closable[100].employees == 2
    assert closable[200].value == pytest.approx(3.5) and closable[200].employees == 2
    assert 300 not in closable


def test_periods_cover_the_window_by_month_and_iso_week() -> None:
    months = periods(date(2026, 9, 15), date(2026, 11, 3), "month")
    assert [(p.label, p.start, p.end) for p in months] == [
        ("2026-09", date(2026, 9, 15), date(2026, 9, 30)),
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 3)),
    ]
    weeks = periods(date(2026, 12, 28), date(2027, 1, 5), "week")
    assert [p.label for p in weeks] == ["2026-W53", "2027-W01"]
    with pytest.raises(ValueError, match="period"):
        periods(START, END, "year")
    with pytest.raises(ValueError, match="before"):
        periods(END, START, "month")


def test_participation_completion_and_minutes() -> None:
    events = [
        event(1, "experienced", 1, minutes=10.0),
        event(1, "completed", 1, minutes=12.0),
        event(2, "experienced", 2, minutes=30.0),
        event(3, "dismissed", 3),  # not taking part
        event(4, "completed", 4, day=1, month=8, minutes=60.0),  # before the window
    ]
    assert participation(10, events, START, END).value == 0.2
    done = completion(events, START, END)
    assert done.value == 0.5 and done.employees == 2  # (1,1) finished of (1,1),(2,2)
    assert minutes_per_employee(10, events, START, END).value == 5.2  # 52 minutes over 10 people
    assert participation(0, events, START, END).value is None


def test_active_paths_overlap_the_period() -> None:
    paths = [PathFact(1, at(1, 9), 4), PathFact(2, at(20, 11), 6), PathFact(3, at(1, 6), 2)]
    assert active_path_share(4, paths, date(2026, 10, 1), date(2026, 10, 31)).value == 0.0
    assert active_path_share(4, paths, date(2026, 9, 1), date(2026, 9, 30)).value == 0.25
    assert active_path_share(4, paths, date(2026, 11, 28), date(2026, 11, 28)).value == 0.25


def test_ratings_and_tests_are_kirkpatrick_one_and_two() -> None:
    events = [
        event(1, "rated", score=0.8),
        event(2, "rated", score=0.6),
        event(1, "passed", score=0.9),
        event(2, "failed", score=0.4),
        event(3, "passed"),
    ]
    reaction, count = mean_score(events, frozenset({"rated"}), START, END)
    assert (reaction.value, reaction.employees, count) == (0.7, 2, 2)
    assert pass_rate(events, START, END).value == 0.6667


def test_assessment_change_compares_before_and_after_the_first_finished_item() -> None:
    events = [event(1, "completed", 7, day=10), event(2, "completed", 7, day=10), event(3, "experienced", 7)]
    assessments = [
        AssessmentFact(1, 50, 1.0, "self", at(1, 9)),
        AssessmentFact(1, 50, 2.0, "manager", at(5)),  # latest before: 2
        AssessmentFact(1, 50, 3.0, "manager", at(20)),  # first after: 3
        AssessmentFact(1, 50, 4.0, "test", at(25)),
        AssessmentFact(2, 50, 2.0, "self", at(1)),
        AssessmentFact(2, 50, 3.0, "self", at(20)),  # after, but self: not behaviour
        AssessmentFact(3, 50, 1.0, "self", at(1)),
        AssessmentFact(3, 50, 3.0, "manager", at(20)),  # only experienced: not learned
    ]
    change = assessment_change(events, {7: [50]}, assessments, START, END)
    assert change.pairs == 2 and change.change.value == 1.0 and change.change.employees == 2
    behaviour = assessment_change(events, {7: [50]}, assessments, START, END, frozenset({"manager", "360"}))
    assert behaviour.pairs == 1 and behaviour.after.value == 3.0


def test_business_results_and_roi_from_ld_figures() -> None:
    rows = [
        FigureFact(
            "result", "First-contact resolution", "support", date(2026, 9, 1), date(2026, 9, 30), 61, "%"
        ),
        FigureFact(
            "result", "First-contact resolution", "support", date(2026, 11, 1), date(2026, 11, 30), 68, "%"
        ),
        FigureFact("cost", "Licences", None, date(2026, 9, 1), date(2026, 11, 30), 12000, "EUR"),
        FigureFact("cost", "Trainer day", "support", date(2026, 10, 1), date(2026, 10, 1), 3000, "EUR"),
        FigureFact(
            "benefit", "Fewer escalations", "support", date(2026, 10, 1), date(2026, 11, 30), 21000, "EUR"
        ),
        FigureFact("benefit", "Old", None, date(2025, 1, 1), date(2025, 1, 31), 99999, "EUR"),
    ]
    trend = business_results(rows, START, END, None)
    assert len(trend) == 1 and trend[0].change == 7 and trend[0].first_value == 61
    assert business_results(rows, START, END, "sales") == []
    roi = return_on_investment(rows, START, END, None)
    assert roi is not None and (roi.cost, roi.benefit, roi.roi) == (15000, 21000, 0.4)
    support = return_on_investment(rows, START, END, "support")
    assert support is not None and (support.cost, support.benefit) == (3000, 21000)  # its own only
    with pytest.raises(ValueError, match="currencies"):
        return_on_investment([*rows, FigureFact("cost", "x", None, START, END, 1, "USD")], START, END, None)
    assert return_on_investment(rows[:2], START, END, None) is None
