"""What nudges change, for the KPI report: completion after a nudge against without, and the
learning pulse (eNPS style, 0-10).

- `completion_after_nudge`: of the units nudged in the window, the share the employee completed
  (completed or passed) within NUDGE_EFFECT_DAYS of the nudge.
- `completion_without_nudge`: for the same employees, of the units of their paths planned in the
  window that were never nudged, the share completed within NUDGE_EFFECT_DAYS of the path.
- `pulse_enps`: % promoters (9-10) minus % detractors (0-6) over each employee's latest answer in
  the window; `pulse_mean` the mean score.

Each figure rests on the employees it counts and is hidden when they are fewer than MIN_GROUP_SIZE,
or differ from a coarser report's by fewer than MIN_GROUP_SIZE (recommender.privacy), as every KPI
is; the pulse is never shown for fewer than five answers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from models import nudges_repository as nudges_repo
from recommender.privacy import hidden_cells, too_small
from service.reports.schemas import Figure, NudgeKpis

NUDGE_EFFECT_DAYS = 7


def _figure(value: float | None, employees: int, hidden: bool) -> Figure:
    if value is None or hidden or too_small(employees):
        return Figure(value=None, employees=employees, suppressed=value is not None or hidden)
    return Figure(value=round(value, 4), employees=employees, suppressed=False)


def _key(item_id: int | None, unit_id: int | None) -> tuple[int | None, int | None]:
    return (item_id, unit_id)


def completed_within(
    done: Sequence[nudges_repo.Completion],
    employee_id: int,
    item_id: int | None,
    unit_id: int | None,
    start: datetime,
) -> bool:
    """A completion of the unit (or of its whole item) by the employee within the effect window."""
    end = start + timedelta(days=NUDGE_EFFECT_DAYS)
    return any(
        c.employee_id == employee_id
        and start <= c.occurred_at <= end
        and ((unit_id is not None and c.unit_id == unit_id) or (c.item_id == item_id and c.unit_id is None))
        for c in done
    )


def _units_without(
    others: Sequence[tuple[int, int | None, int | None, datetime]],
    done: Sequence[nudges_repo.Completion],
) -> dict[int, list[bool]]:
    """Per employee, whether each of their path units that was never nudged was completed within the
    effect window of its first plan (a unit planned in several paths counts once)."""
    seen: set[tuple[int, tuple[int | None, int | None]]] = set()
    without: dict[int, list[bool]] = {}
    for employee_id, item_id, unit_id, planned in sorted(others, key=lambda row: row[3]):
        if (employee_id, _key(item_id, unit_id)) in seen:
            continue
        seen.add((employee_id, _key(item_id, unit_id)))
        without.setdefault(employee_id, []).append(
            completed_within(done, employee_id, item_id, unit_id, planned)
        )
    return without


def nudge_kpis(
    session: Session,
    tenant_id: int,
    populations: Sequence[Collection[int]],
    start: datetime,
    end: datetime,
    hidden: bool,
) -> NudgeKpis:
    """`populations[0]` is the report's, the rest its coarser ones (filters dropped): a figure whose
    employees differ from a coarser report's by 1 to MIN_GROUP_SIZE - 1 is hidden too (differencing,
    recommender.privacy), or the two reports together would give away those few people's figure."""
    employee_ids = populations[0]
    everyone = set().union(*populations)
    sent = [n for n in nudges_repo.sent_nudges(session, tenant_id, start, end) if n.employee_id in everyone]
    nudged_people = sorted({n.employee_id for n in sent})
    done = nudges_repo.completions(session, tenant_id, nudged_people, start) if nudged_people else []
    after: dict[int, list[bool]] = {}
    for n in sent:
        after.setdefault(n.employee_id, []).append(
            completed_within(done, n.employee_id, n.item_id, n.unit_id, n.sent_at)
        )
    nudged_units = {(n.employee_id, _key(n.item_id, n.unit_id)) for n in sent}
    others = [
        (employee_id, item_id, unit_id, planned)
        for employee_id, item_id, unit_id, planned in (
            nudges_repo.path_units(session, tenant_id, nudged_people, start, end) if nudged_people else []
        )
        if (employee_id, _key(item_id, unit_id)) not in nudged_units
    ]
    without = _units_without(others, done)
    scores = {e: s for e, s in nudges_repo.pulse_scores(session, tenant_id, start, end) if e in everyone}

    def counts(ids: Collection[int]) -> dict[str, int]:
        return {
            "after": sum(1 for e in ids if e in after),
            "without": sum(1 for e in ids if e in without),
            "pulse": sum(1 for e in ids if e in scores),
        }

    own = counts(employee_ids)
    # A figure about nobody has nothing to give away, whatever the coarser reports hold.
    differs = {k for k in hidden_cells(own, [counts(p) for p in populations[1:]]) if own[k] > 0}

    def pooled(by_employee: dict[int, list[bool]]) -> list[bool]:
        return [flag for e in sorted(by_employee) if e in employee_ids for flag in by_employee[e]]

    shown_after, shown_without = pooled(after), pooled(without)
    answers = [scores[e] for e in sorted(scores) if e in employee_ids]
    promoters = sum(1 for s in answers if s >= 9)
    detractors = sum(1 for s in answers if s <= 6)
    pulse_hidden = hidden or "pulse" in differs
    return NudgeKpis(
        effect_days=NUDGE_EFFECT_DAYS,
        nudges_sent=(
            0 if hidden or "after" in differs else sum(1 for n in sent if n.employee_id in employee_ids)
        ),
        nudged_employees=own["after"],
        completion_after_nudge=_figure(
            sum(shown_after) / len(shown_after) if shown_after else None,
            own["after"],
            hidden or "after" in differs,
        ),
        completion_without_nudge=_figure(
            sum(shown_without) / len(shown_without) if shown_without else None,
            own["without"],
            hidden or "without" in differs,
        ),
        pulse_answers=len(answers),
        pulse_mean=_figure(sum(answers) / len(answers) if answers else None, len(answers), pulse_hidden),
        pulse_enps=_figure(
            100.0 * (promoters - detractors) / len(answers) if answers else None, len(answers), pulse_hidden
        ),
    )
