"""The KPIs Learning Days and progress add to the KPI report: the share of Learning Day time used, per
team, and the time to proficiency per skill. Both over the report's population, every group under
MIN_GROUP_SIZE hidden by the rules of `recommender.privacy` (threshold, differencing against the
coarser populations, complement against the overall figure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from models import learning_repository as learning
from recommender.privacy import complement_hidden, hidden_cells
from recommender.progress import Observation, first_reached, gap_opened, group_median, group_share
from service.learning.minutes import event_minutes, midnight
from service.learning.schemas import LearningDayTeamUse, LearningDayUse, SkillProficiency

OVERALL = "\x00overall"  # the key of the whole population among the team keys


def _planned(plans: Sequence[learning.PathPlan], start: date, last: date) -> dict[tuple[int, date], float]:
    """Minutes planned per (employee, Learning Day) from start to last: the latest path made on or
    before that day wins (paths plan forward, so a later one replaces the plan of the days it holds)."""
    planned: dict[tuple[int, date], float] = {}
    for plan in plans:
        for entry in plan.response.get("learning_days") or []:
            try:
                day = date.fromisoformat(str(entry.get("date")))
            except ValueError:
                continue
            if start <= day <= last and plan.created_at.date() <= day:
                planned[(plan.employee_id, day)] = float(entry.get("planned_minutes") or 0)
    return planned


def learning_day_use(
    session: Session,
    tenant_id: int,
    team_of: Mapping[int, str | None],
    populations: Sequence[set[int]],
    start: date,
    end: date,
    today: date,
) -> LearningDayUse:
    """`populations[0]` is the report's, the rest its coarser ones (differencing)."""
    last = min(end, today - timedelta(days=1))  # a day under way is not over yet
    everyone = set().union(*populations)
    planned = _planned(learning.employee_paths(session, tenant_id, everyone), start, last)
    used: dict[int, float] = {}
    if planned:
        rows = learning.learning_between(
            session, tenant_id, midnight(start), midnight(last + timedelta(days=1)), everyone
        )
        for row in rows:
            if (row.employee_id, row.occurred_at.date()) in planned:
                used[row.employee_id] = used.get(row.employee_id, 0.0) + event_minutes(row)
    per_employee: dict[int, tuple[float, float]] = {}
    for (employee_id, _), minutes in planned.items():
        before = per_employee.get(employee_id, (0.0, 0.0))[0]
        per_employee[employee_id] = (before + minutes, used.get(employee_id, 0.0))

    def counts(ids: set[int]) -> dict[str, int]:
        found: dict[str, int] = {OVERALL: 0}
        for e in ids:
            if per_employee.get(e, (0.0, 0.0))[0] > 0:
                found[OVERALL] += 1
                key = team_of.get(e) or ""
                found[key] = found.get(key, 0) + 1
        return found

    own = counts(populations[0])
    coarser = [counts(p) for p in populations[1:]]
    hidden = hidden_cells(own, [{k: c.get(k, 0) for k in own} for c in coarser])
    teams = {k: v for k, v in own.items() if k != OVERALL}
    hidden |= complement_hidden(teams, hidden & set(teams))

    def figure(key: str) -> LearningDayTeamUse:
        ids = {e for e in populations[0] if key == OVERALL or (team_of.get(e) or "") == key}
        share = group_share({e: per_employee[e] for e in ids if e in per_employee}, hide=key in hidden)
        return LearningDayTeamUse(
            team=None if key == OVERALL else key,
            employees=share.employees,
            planned_minutes=None if share.suppressed else share.planned_minutes,
            used_minutes=None if share.suppressed else share.used_minutes,
            share=share.share,
            suppressed=share.suppressed,
        )

    return LearningDayUse(overall=figure(OVERALL), teams=[figure(k) for k in sorted(teams)])


def time_to_proficiency(
    session: Session,
    tenant_id: int,
    role_of: Mapping[int, int | None],
    evidence: Mapping[int, Sequence[tuple[int, float, str, datetime]]],
    populations: Sequence[set[int]],
    start: date,
    end: date,
    dutch: bool = False,
) -> list[SkillProficiency]:
    """`evidence`: per employee, (skill, level, source, observed_at) oldest first; `role_of`: each
    employee's role. A skill is listed when someone reached it in the window."""
    targets = learning.role_targets(session, tenant_id)
    everyone = set().union(*populations)
    path_start: dict[tuple[int, int], datetime] = {}
    for plan in learning.employee_paths(session, tenant_id, everyone):
        gaps = [*(plan.response.get("covered_gaps") or []), *(plan.response.get("uncovered_gaps") or [])]
        for gap in gaps:
            skill = gap.get("skill_id") if isinstance(gap, dict) else None
            if isinstance(skill, int):
                path_start.setdefault((plan.employee_id, skill), plan.created_at)
    days: dict[int, dict[int, float]] = {}  # employee -> skill -> days
    for employee_id in everyone:
        role = role_of.get(employee_id)
        if role is None:
            continue
        by_skill: dict[int, list[Observation]] = {}
        for skill, level, source, at in evidence.get(employee_id, ()):
            by_skill.setdefault(skill, []).append(Observation(at, level, source))
        for skill, target in targets.get(role, {}).items():
            observations = by_skill.get(skill, [])
            opened = gap_opened(observations, target, path_start.get((employee_id, skill)))
            reached = first_reached(observations, target, since=opened) if opened else None
            if opened and reached and start <= reached.at.date() <= end:
                days.setdefault(employee_id, {})[skill] = (reached.at - opened).total_seconds() / 86400

    def values(ids: set[int]) -> dict[int, list[float]]:
        found: dict[int, list[float]] = {}
        for e in ids:
            for skill, value in days.get(e, {}).items():
                found.setdefault(skill, []).append(value)
        return found

    own = values(populations[0])
    coarser = [values(p) for p in populations[1:]]
    hidden = hidden_cells(
        {s: len(v) for s, v in own.items()}, [{s: len(c.get(s, [])) for s in own} for c in coarser]
    )
    labels = learning.skill_labels(session, tenant_id, list(own))
    result = []
    for skill in sorted(own, key=lambda s: labels.get(s, (str(s), str(s)))[0].lower()):
        median = group_median(own[skill])
        gone = median.suppressed or skill in hidden
        result.append(
            SkillProficiency(
                skill_id=skill,
                skill=labels.get(skill, (str(skill), str(skill)))[1 if dutch else 0],
                employees=len(own[skill]),
                median_days=None if gone else median.median,
                suppressed=gone,
            )
        )
    return result
