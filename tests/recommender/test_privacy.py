"""Small-group suppression: the three rules, each shown singling someone out when it is missing."""

from __future__ import annotations

import random

import pytest

from recommender.privacy import (
    MIN_GROUP_SIZE,
    coarser_filters,
    complement_hidden,
    differs_by_few,
    hidden_cells,
    too_small,
)


def test_threshold_hides_one_to_four_people_but_not_zero() -> None:
    assert [too_small(n) for n in range(7)] == [False, True, True, True, True, False, False]
    assert MIN_GROUP_SIZE == 5


def test_differencing_hides_a_group_a_coarser_one_exceeds_by_a_few() -> None:
    assert differs_by_few(6, [7])  # the seventh person = coarser minus this
    assert not differs_by_few(6, [6, 11])  # the same people, or five more
    assert differs_by_few(6, [6, 11, 8])
    with pytest.raises(ValueError, match="cannot be smaller"):
        differs_by_few(6, [5])


def test_coarser_filters_drop_every_combination_of_set_filters() -> None:
    both = coarser_filters({"team": "data", "role": "analyst"})
    assert {tuple(sorted(f.items())) for f in both} == {
        (("role", None), ("team", None)),
        (("role", "analyst"), ("team", None)),
        (("role", None), ("team", "data")),
    }
    assert coarser_filters({"team": "data", "role": None}) == [{"team": None, "role": None}]
    assert coarser_filters({"team": None, "role": None}) == []


def test_hidden_cells_apply_threshold_and_differencing() -> None:
    counts = {"a": 7, "b": 3, "c": 6}
    coarser = [{"a": 7, "b": 3, "c": 8}]
    assert hidden_cells(counts, coarser) == {"b", "c"}


def test_complement_protects_hidden_cells_from_the_total() -> None:
    column = {"platform": 7, "design": 3, "data": 6, "people": 0}
    extra = complement_hidden(column, {"design"})
    assert extra == {"data"}  # the smallest shown cell: now 9 people hidden together
    assert complement_hidden(column, set()) == set()
    assert complement_hidden({"x": 2, "y": 3}, {"x", "y"}) == set()  # 5 hidden together: safe


def test_no_shown_cell_and_total_reveal_a_hidden_sum_below_five() -> None:
    """Property over random tables: after rules 1 and 3, the people behind the hidden cells of a column
    are 0 or at least five, so total minus shown never describes one to four people."""
    rng = random.Random(7)
    for _ in range(500):
        column = {f"t{i}": rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12]) for i in range(rng.randint(1, 7))}
        hidden = hidden_cells(column)
        hidden |= complement_hidden(column, hidden)
        held = sum(column[k] for k in hidden)
        shown_total = sum(column.values()) - held
        assert held == 0 or held >= MIN_GROUP_SIZE or shown_total == 0, (column, hidden)
        assert all(not too_small(column[k]) for k in column if k not in hidden)
