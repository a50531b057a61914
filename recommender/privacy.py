"""Small-group suppression for team reports: no figure may describe fewer than MIN_GROUP_SIZE people.

Pure (stdlib only). Three rules, each closing a way to single someone out:

1. Threshold. A figure that rests on 1 to MIN_GROUP_SIZE - 1 employees is hidden. Zero is not a
   person, so an empty figure may show.
2. Differencing. A report narrowed by filters (team and role) is compared with the same report for
   every coarser choice of filters (one or more filters dropped). When a figure's group differs from
   its coarser counterpart by 1 to MIN_GROUP_SIZE - 1 people, subtracting the two would describe
   those few, so the narrower figure is hidden.
3. Complement in a table with a total. When the hidden cells of a column hold 1 to MIN_GROUP_SIZE - 1
   people together, the total minus the shown cells would reveal them, so the smallest shown cells
   are hidden as well until the hidden ones hold at least MIN_GROUP_SIZE people (or all are hidden).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import TypeVar

MIN_GROUP_SIZE = 5

K = TypeVar("K")


def too_small(count: int, minimum: int = MIN_GROUP_SIZE) -> bool:
    """Rule 1: between one and minimum - 1 people."""
    return 0 < count < minimum


def differs_by_few(count: int, coarser_counts: Iterable[int], minimum: int = MIN_GROUP_SIZE) -> bool:
    """Rule 2: some coarser group holds 1 to minimum - 1 more people than this one."""
    for coarser in coarser_counts:
        if coarser < count:
            raise ValueError(f"a coarser group ({coarser}) cannot be smaller than the narrower one ({count})")
        if too_small(coarser - count, minimum):
            return True
    return False


def coarser_filters(filters: Mapping[str, str | None]) -> list[dict[str, str | None]]:
    """Every choice of filters made by dropping one or more of the set ones (rule 2's comparisons)."""
    active = [name for name, value in filters.items() if value is not None]
    result: list[dict[str, str | None]] = []
    for size in range(len(active)):
        for kept in combinations(active, size):
            result.append({name: (filters[name] if name in kept else None) for name in filters})
    return result


def hidden_cells(
    counts: Mapping[K, int],
    coarser: Sequence[Mapping[K, int]] = (),
    minimum: int = MIN_GROUP_SIZE,
) -> set[K]:
    """Rules 1 and 2 over the cells of one report: which keys to hide. Every cell must exist in each
    coarser report (which holds everyone this one does); a missing one raises ValueError."""
    hidden: set[K] = set()
    for key, count in counts.items():
        if too_small(count, minimum) or differs_by_few(
            count, (table.get(key, 0) for table in coarser), minimum
        ):
            hidden.add(key)
    return hidden


def complement_hidden(column: Mapping[K, int], hidden: set[K], minimum: int = MIN_GROUP_SIZE) -> set[K]:
    """Rule 3 for one column of a table whose total row is shown: the cells to hide in addition."""
    extra: set[K] = set()
    held = sum(count for key, count in column.items() if key in hidden)
    shown = sorted(
        (key for key, count in column.items() if key not in hidden and count > 0),
        key=lambda key: (column[key], str(key)),
    )
    while too_small(held, minimum) and shown:
        key = shown.pop(0)
        extra.add(key)
        held += column[key]
    return extra
