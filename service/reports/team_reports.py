"""The gap report and the learning KPIs of one tenant, with small groups suppressed.

Figures come from recommender.reports; who may be shown comes from recommender.privacy, applied to
the report as asked and to every coarser report (filters dropped), so that no two reports differ
by fewer than MIN_GROUP_SIZE people. docs/reports.md defines each figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session

from models import figures_repository as figures_repo
from models import people_repository as people
from models import reports_repository as reports_repo
from models import taxonomy_repository as tax
from models.tables import Role, utcnow
from recommender import reports as figures
from recommender.errors import LeerpadError
from recommender.privacy import (
    MIN_GROUP_SIZE,
    coarser_filters,
    complement_hidden,
    differs_by_few,
    hidden_cells,
    too_small,
)
from recommender.reports import ALL_TEAMS, NO_TEAM, GapStats, PersonGaps, Ratio
from service.core.collector import collector_paused
from service.core.csv_export import Cell, csv_text
from service.core.runtime import Runtime
from service.learning.kpis import learning_day_use, time_to_proficiency
from service.paths.planning import content_check
from service.people.gaps import ContentCheck, population_gaps
from service.reports.nudge_kpis import nudge_kpis
from service.reports.schemas import (
    BusinessResult,
    ClosingItem,
    Effectiveness,
    Figure,
    GapFigure,
    GapReport,
    GroupTopGaps,
    Heatmap,
    HeatmapCell,
    KirkpatrickLevels,
    KpiPeriod,
    KpiReport,
    ReportFilters,
    Roi,
    SkillColumn,
    UncoveredSkill,
)

__all__ = [
    "ALL_TEAMS",
    "Dashboard",
    "check_filters",
    "dashboard_reports",
    "filter_options",
    "gap_report",
    "gap_report_csv",
    "kpi_report",
    "kpi_report_csv",
]

NO_ROLE = "(no role)"
TOP_GAPS = 5
TOP_ITEMS = 15
DEFAULT_MONTHS = 6
MAX_WINDOW_DAYS = 3 * 366
# Report windows lie in these years: a window at the ends of the calendar (year 1, 9999) would
# step past date.min or date.max when periods and the default start are counted.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)

Filters = dict[str, str | None]
K = TypeVar("K")


class ReportInputError(LeerpadError):
    """A report asked for with parameters it cannot use (the message names the parameter)."""


@dataclass(frozen=True)
class Member:
    """An employee as the reports group them."""

    employee_id: int
    team: str
    role: str


def _member(employee: people.EmployeeRow, role_keys: Mapping[int, str]) -> Member:
    role = role_keys.get(employee.role_id, NO_ROLE) if employee.role_id is not None else NO_ROLE
    return Member(employee.id, employee.team or NO_TEAM, role)


def _matches(member: Member | PersonGaps, filters: Filters) -> bool:
    return (filters["team"] is None or member.team == filters["team"]) and (
        filters["role"] is None or member.role == filters["role"]
    )


def _key(filters: Filters) -> tuple[str | None, str | None]:
    return filters["team"], filters["role"]


@dataclass(frozen=True)
class _People:
    """What every report reads about the tenant's people; read once when the dashboard builds both
    reports (each read of 25,000 assessments and 5,000 employees is tens of milliseconds)."""

    employees: list[people.EmployeeRow]
    roles: Sequence[Role]
    assessments: dict[int, list[people.AssessmentRow]]

    @property
    def role_keys(self) -> dict[int, str]:
        return {role.id: role.key for role in self.roles}

    @property
    def options(self) -> tuple[list[str], list[str]]:
        return sorted({e.team or NO_TEAM for e in self.employees}), sorted(r.key for r in self.roles)


def _read_people(session: Session, tenant_id: int) -> _People:
    return _People(
        people.employee_rows(session, tenant_id),
        people.list_roles(session, tenant_id),
        people.assessment_rows_by_employee(session, tenant_id),
    )


def filter_options(session: Session, tenant_id: int) -> tuple[list[str], list[str]]:
    """The team names and role keys a report can be narrowed to (names, not people)."""
    employees = people.employee_rows(session, tenant_id)
    teams = sorted({employee.team or NO_TEAM for employee in employees})
    roles = sorted(role.key for role in people.list_roles(session, tenant_id))
    return teams, roles


def check_filters(session: Session, tenant_id: int, team: str | None, role: str | None) -> ReportFilters:
    """Filters naming a team or role the tenant has; an unknown one is a mistake worth saying."""
    return _checked(filter_options(session, tenant_id), team, role)


def _checked(options: tuple[list[str], list[str]], team: str | None, role: str | None) -> ReportFilters:
    teams, roles = options
    if team is not None and team not in teams:
        raise ReportInputError(f"team: no team {team!r}; known teams: {', '.join(teams) or 'none'}")
    if role is not None and role not in roles:
        raise ReportInputError(f"role: no role {role!r}; known roles: {', '.join(roles) or 'none'}")
    return ReportFilters(team=team, role=role)


def _population_hidden(sizes: Mapping[tuple[str | None, str | None], int], filters: Filters) -> bool:
    """The whole report is hidden when its people are too few, or differ by too few from a coarser set."""
    own = sizes[_key(filters)]
    return too_small(own) or differs_by_few(own, [sizes[_key(f)] for f in coarser_filters(filters)])


def _sizes(
    members: Sequence[Member | PersonGaps], filters: Filters
) -> dict[tuple[str | None, str | None], int]:
    return {
        _key(choice): sum(1 for m in members if _matches(m, choice))
        for choice in [filters, *coarser_filters(filters)]
    }


class _ProtectedTable:
    """One group-by-skill table (with an ALL_TEAMS total row), suppressed consistently across the
    report as asked and every coarser report: a cell that holds the same people as a cell hidden in a
    coarser report is hidden too, or the coarser report's total would give it away."""

    def __init__(
        self,
        people: Sequence[PersonGaps],
        table: Callable[[list[PersonGaps]], dict[tuple[str, int], GapStats]],
    ) -> None:
        self.people, self.table = people, table
        self._memo: dict[
            tuple[str | None, str | None], tuple[dict[tuple[str, int], GapStats], set[tuple[str, int]]]
        ] = {}

    def cells(self, filters: Filters) -> tuple[dict[tuple[str, int], GapStats], set[tuple[str, int]]]:
        key = _key(filters)
        if key in self._memo:
            return self._memo[key]
        cells = self.table([p for p in self.people if _matches(p, filters)])
        coarser = [self.cells(choice) for choice in coarser_filters(filters)]
        counts = {k: stats.employees for k, stats in cells.items()}
        hidden = hidden_cells(counts, [{k: s.employees for k, s in c.items()} for c, _ in coarser])
        for coarse_cells, coarse_hidden in coarser:
            hidden |= {k for k in cells if k in coarse_hidden and coarse_cells[k].employees == counts[k]}
        columns: dict[int, dict[str, int]] = {}
        for g, s in cells:
            column_of = columns.setdefault(s, {})
            if g != ALL_TEAMS:
                column_of[g] = counts[(g, s)]
        for skill_id, column in columns.items():
            hidden |= {
                (g, skill_id)
                for g in complement_hidden(column, {g for g in column if (g, skill_id) in hidden})
            }
            # A group holding everyone in the column (one team under a team filter) is the total:
            # the two cells are the same people, shown or hidden together.
            total = (ALL_TEAMS, skill_id)
            same = [(g, skill_id) for g, n in column.items() if n == counts.get(total)]
            if same and (total in hidden or any(k in hidden for k in same)):
                hidden |= {total, *same}
        self._memo[key] = (cells, hidden)
        return cells, hidden


def _with_total(
    group_of: Callable[[PersonGaps], str],
) -> Callable[[list[PersonGaps]], dict[tuple[str, int], GapStats]]:
    return lambda people: figures.table_with_total(people, group_of)


def _shown_stats(stats: GapStats, hidden: bool) -> dict[str, int | float | bool | None]:
    """A heatmap cell's or a top gap's figures, nulled when hidden (the head count stays)."""
    return {
        "employees": stats.employees,
        "with_gap": None if hidden else stats.with_gap,
        "mean_gap": None if hidden else stats.mean_gap,
        "weighted_gap": None if hidden else stats.weighted_gap,
        "suppressed": hidden,
    }


def _gap_figure(skill_id: int, label: str, stats: GapStats, hidden: bool) -> GapFigure:
    return GapFigure.model_validate({"skill_id": skill_id, "label": label, **_shown_stats(stats, hidden)})


def _top_gaps(
    cells: Mapping[tuple[str, int], GapStats],
    hidden: set[tuple[str, int]],
    sizes: Mapping[str, int],
    labels: Mapping[int, str],
    everything_hidden: bool,
) -> list[GroupTopGaps]:
    """Per group, its open gaps by weighted gap, largest first; hidden cells are left out."""
    by_group: dict[str, list[tuple[int, GapStats]]] = {}
    for (g, skill), stats in cells.items():
        by_group.setdefault(g, []).append((skill, stats))
    result: list[GroupTopGaps] = []
    for group in sorted(sizes):
        own = by_group.get(group, [])
        group_hidden = everything_hidden or too_small(sizes[group])
        shown = sorted(
            (item for item in own if (group, item[0]) not in hidden and not group_hidden),
            key=lambda item: (-item[1].weighted_gap, item[0]),
        )
        gaps = [_gap_figure(s, labels.get(s, str(s)), stats, False) for s, stats in shown if stats.with_gap]
        result.append(
            GroupTopGaps(group=group, employees=sizes[group], suppressed=group_hidden, gaps=gaps[:TOP_GAPS])
        )
    return result


def _once_per_skill(check: ContentCheck) -> ContentCheck:
    """The content check asked at most once per skill in a report (it may run retrieval, and the
    population's gaps and the heatmap's columns ask about the same skills)."""
    known: dict[int, bool] = {}

    def once(skill_ids: Sequence[int]) -> set[int]:
        new = [s for s in dict.fromkeys(skill_ids) if s not in known]
        if new:
            found = check(new)
            known.update((s, s in found) for s in new)
        return {s for s in skill_ids if known[s]}

    return once


def gap_report(
    runtime: Runtime,
    session: Session,
    tenant_id: int,
    tenant_slug: str,
    filters: ReportFilters,
    now: datetime | None = None,
) -> GapReport:
    """Team by skill heatmap, top gaps per team and role, uncovered skills and the items closing most
    gap. A skill is uncovered when no unit would be a path step for it (service.paths.planning.content_check)."""
    with collector_paused():
        crowd = _read_people(session, tenant_id)
        return _gap_report(runtime, session, tenant_id, tenant_slug, filters, now or utcnow(), crowd)


def _gap_report(
    runtime: Runtime,
    session: Session,
    tenant_id: int,
    tenant_slug: str,
    filters: ReportFilters,
    now: datetime,
    crowd: _People,
) -> GapReport:
    has_content = _once_per_skill(content_check(runtime, tenant_slug, session, tenant_id))
    asked: Filters = {"team": filters.team, "role": filters.role}
    employees = crowd.employees
    role_keys = crowd.role_keys
    gaps = population_gaps(
        session, tenant_id, employees, now, has_content, roles=crowd.roles, assessments=crowd.assessments
    )
    persons = [
        PersonGaps(e.id, member.team, member.role, tuple(gaps[e.id]))
        for e in employees
        if e.id in gaps
        for member in [_member(e, role_keys)]
    ]
    chosen = [p for p in persons if _matches(p, asked)]
    everything_hidden = _population_hidden(_sizes(persons, asked), asked)

    by_team = _ProtectedTable(persons, _with_total(lambda p: p.team))
    by_role = _ProtectedTable(persons, _with_total(lambda p: p.role))
    team_cells, team_hidden = by_team.cells(asked)
    role_cells, role_hidden = by_role.cells(asked)
    if everything_hidden:
        team_hidden, role_hidden = set(team_cells), set(role_cells)

    skill_ids = sorted({skill for _, skill in team_cells})
    skills = tax.get_skills(session, tenant_id, skill_ids)
    labels = {
        s: (skills[s].label_en or skills[s].label_nl or skills[s].key) if s in skills else str(s)
        for s in skill_ids
    }
    covered = has_content(skill_ids)
    totals = {s: team_cells[(ALL_TEAMS, s)].weighted_total for s in skill_ids}
    columns = sorted(skill_ids, key=lambda s: (-totals[s], labels[s]))
    teams = sorted({team for team, _ in team_cells if team != ALL_TEAMS}) + [ALL_TEAMS]
    heatmap = Heatmap(
        teams=teams,
        skills=[SkillColumn(skill_id=s, label=labels[s], has_content=s in covered) for s in columns],
        cells=[
            HeatmapCell.model_validate(
                {"team": team, "skill_id": s, **_shown_stats(stats, (team, s) in team_hidden)}
            )
            for team in teams
            for s in columns
            if (stats := team_cells.get((team, s))) is not None
        ],
    )
    team_sizes = figures.group_sizes(chosen, lambda p: p.team)
    role_sizes = figures.group_sizes(chosen, lambda p: p.role)

    uncovered = [
        UncoveredSkill(
            skill_id=s,
            label=labels[s],
            roles=sorted({p.role for p in chosen for g in p.gaps if g.skill_id == s}),
            employees=team_cells[(ALL_TEAMS, s)].employees,
            with_gap=None if hidden else team_cells[(ALL_TEAMS, s)].with_gap,
            weighted_gap_total=None if hidden else team_cells[(ALL_TEAMS, s)].weighted_total,
            suppressed=hidden,
        )
        for s in columns
        for hidden in [(ALL_TEAMS, s) in team_hidden]
        # A hidden total is listed whatever its gaps: leaving it out would say that nobody lacks it.
        if s not in covered and (hidden or team_cells[(ALL_TEAMS, s)].with_gap > 0)
    ]
    return GapReport(
        tenant=tenant_slug,
        generated_at=now,
        filters=filters,
        min_group_size=MIN_GROUP_SIZE,
        employees=len(chosen),
        suppressed=everything_hidden,
        heatmap=heatmap,
        top_gaps_by_team=_top_gaps(team_cells, team_hidden, team_sizes, labels, everything_hidden),
        top_gaps_by_role=_top_gaps(role_cells, role_hidden, role_sizes, labels, everything_hidden),
        uncovered_skills=uncovered,
        closing_items=[] if everything_hidden else _closing_items(session, tenant_id, persons, asked, labels),
    )


def _closing_items(
    session: Session, tenant_id: int, persons: Sequence[PersonGaps], asked: Filters, labels: Mapping[int, str]
) -> list[ClosingItem]:
    """The items that could close the most gap in the chosen group; an item whose figure rests on
    too few people, or on too few more than a coarser report's, is named without its figure."""
    open_skills = {g.skill_id for p in persons for g in p.gaps if g.gap > 0}
    tags = reports_repo.item_skill_confidences(session, tenant_id, open_skills)
    chosen = figures.closable_by_item([p for p in persons if _matches(p, asked)], tags)
    coarser = [
        figures.closable_by_item([p for p in persons if _matches(p, choice)], tags)
        for choice in coarser_filters(asked)
    ]
    best = sorted(chosen, key=lambda item_id: (-chosen[item_id].value, item_id))[:TOP_ITEMS]
    hidden = hidden_cells(
        {i: chosen[i].employees for i in best},
        [{i: table[i].employees for i in best if i in table} for table in coarser],
    )
    items = reports_repo.items_by_id(session, tenant_id, best)
    result: list[ClosingItem] = []
    for item_id in best:
        item = items[item_id]
        result.append(
            ClosingItem(
                item_id=item_id,
                title=item.title,
                url=item.url,
                minutes=item.minutes,
                language=item.language,
                source=item.source,
                external_id=item.external_id,
                skills=sorted(labels.get(s, str(s)) for s in tags[item_id] if s in labels),
                employees=chosen[item_id].employees,
                gap_closable=None if item_id in hidden else chosen[item_id].value,
                suppressed=item_id in hidden,
            )
        )
    return result


CSV_COLUMNS = ("team", "skill_id", "skill", "employees", "with_gap", "mean_gap", "weighted_gap", "suppressed")


def gap_report_csv(report: GapReport) -> str:
    """The heatmap, one row per cell; a suppressed cell has empty figures. Team names and skill labels
    are made spreadsheet-safe (service.core.csv_export)."""
    labels = {column.skill_id: column.label for column in report.heatmap.skills}
    return csv_text(
        CSV_COLUMNS,
        (
            [
                cell.team,
                cell.skill_id,
                labels.get(cell.skill_id, ""),
                cell.employees,
                "" if cell.with_gap is None else cell.with_gap,
                "" if cell.mean_gap is None else cell.mean_gap,
                "" if cell.weighted_gap is None else cell.weighted_gap,
                "true" if cell.suppressed else "false",
            ]
            for cell in report.heatmap.cells
        ),
    )


# --- KPIs ---------------------------------------------------------------------------------------


def _default_start(end: date) -> date:
    month = end.month - (DEFAULT_MONTHS - 1)
    year = end.year
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def _window(start: date | None, end: date | None, now: datetime) -> tuple[date, date]:
    for name, day in (("start", start), ("end", end)):
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise ReportInputError(f"{name}: {day} is outside {EARLIEST_DAY}..{LATEST_DAY}")
    end = end or now.date()
    start = start or _default_start(end)
    if end < start:
        raise ReportInputError(f"end: {end} is before start {start}")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise ReportInputError(
            f"start, end: a window of at most {MAX_WINDOW_DAYS} days, got {(end - start).days}"
        )
    return start, end


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class _Facts:
    events: list[figures.EventFact]
    paths: list[figures.PathFact]
    assessments: list[figures.AssessmentFact]
    item_skills: dict[int, list[int]]


def _event_minutes(row: reports_repo.EventRow) -> float | None:
    """The statement's duration; without one, a finished unit or item counts its stated minutes."""
    if row.duration_seconds is not None:
        return row.duration_seconds / 60.0
    if row.verb == "completed":
        minutes = row.unit_minutes if row.unit_minutes is not None else row.item_minutes
        return float(minutes) if minutes is not None else None
    return None


def _facts(
    session: Session,
    tenant_id: int,
    start: date,
    end: date,
    assessment_rows: Mapping[int, Sequence[people.AssessmentRow]],
) -> _Facts:
    rows = reports_repo.events_between(
        session, tenant_id, _midnight(start), _midnight(end + timedelta(days=1))
    )
    events = [
        figures.EventFact(
            r.employee_id, r.verb, r.item_id, r.occurred_at, _event_minutes(r), r.score_scaled, r.success
        )
        for r in rows
    ]
    paths = [
        figures.PathFact(p.employee_id, p.created_at, p.weeks)
        for p in reports_repo.paths_created_before(session, tenant_id, _midnight(end + timedelta(days=1)))
    ]
    assessments = [
        figures.AssessmentFact(row.employee_id, row.skill_id, row.level, row.source, row.observed_at)
        for own in assessment_rows.values()
        for row in own
    ]
    finished = {e.item_id for e in events if e.verb in figures.FINISHED_VERBS and e.item_id is not None}
    return _Facts(
        events, paths, assessments, reports_repo.taught_skills_of_items(session, tenant_id, finished)
    )


@dataclass(frozen=True)
class _Kpis:
    """Every people-based KPI of one population by name (the names suppression compares), and the
    number of events or pairs behind the averages."""

    ratios: dict[str, Ratio]
    counts: dict[str, int]


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _kpis(ids: set[int], facts: _Facts, start: date, end: date, spans: Sequence[figures.Period]) -> _Kpis:
    events = [e for e in facts.events if e.employee_id in ids]
    paths = [p for p in facts.paths if p.employee_id in ids]
    assessments = [a for a in facts.assessments if a.employee_id in ids]
    n = len(ids)
    reaction, reactions = figures.mean_score(events, frozenset({"rated"}), start, end)
    learning, tests = figures.mean_score(events, figures.TEST_VERBS, start, end)
    change, behaviour = figures.assessment_changes(
        events,
        facts.item_skills,
        assessments,
        start,
        end,
        [figures.OUTCOME_SOURCES, figures.BEHAVIOUR_SOURCES],
    )
    ratios: dict[str, Ratio] = {
        "participation_rate": figures.participation(n, events, start, end),
        "completion_rate": figures.completion(events, start, end),
        "minutes_per_employee": figures.minutes_per_employee(n, events, start, end),
        "active_path_share": figures.active_path_share(n, paths, end, end),
        "reaction": reaction,
        "learning": learning,
        "learning_pass_rate": figures.pass_rate(events, start, end),
        "effectiveness_before": change.before,
        "effectiveness_after": change.after,
        "effectiveness_change": change.change,
        "behaviour": behaviour.change,
    }
    # Each span's figures read only the events of its days (they filter by the span themselves too):
    # one pass over the events instead of three per span.
    span_of = {day: span.label for span in spans for day in _days(span.start, span.end)}
    by_span: dict[str, list[figures.EventFact]] = {span.label: [] for span in spans}
    for event in events:
        label = span_of.get(event.occurred_at.date())
        if label is not None:
            by_span[label].append(event)
    for span in spans:
        own = by_span[span.label]
        ratios[f"{span.label}:participation_rate"] = figures.participation(n, own, span.start, span.end)
        ratios[f"{span.label}:completion_rate"] = figures.completion(own, span.start, span.end)
        ratios[f"{span.label}:minutes_per_employee"] = figures.minutes_per_employee(
            n, own, span.start, span.end
        )
        ratios[f"{span.label}:active_path_share"] = figures.active_path_share(n, paths, span.start, span.end)
    counts = {"reaction": reactions, "learning": tests, "change": change.pairs, "behaviour": behaviour.pairs}
    return _Kpis(ratios, counts)


def kpi_report(
    session: Session,
    tenant_id: int,
    tenant_slug: str,
    filters: ReportFilters,
    period: str = "month",
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
) -> KpiReport:
    """Participation, completion, minutes, active paths, training effectiveness, Kirkpatrick 1-4, ROI."""
    with collector_paused():
        crowd = _read_people(session, tenant_id)
        return _kpi_report(
            session, tenant_id, tenant_slug, filters, period, start, end, now or utcnow(), crowd
        )


def _kpi_report(
    session: Session,
    tenant_id: int,
    tenant_slug: str,
    filters: ReportFilters,
    period: str,
    start: date | None,
    end: date | None,
    now: datetime,
    crowd: _People,
) -> KpiReport:
    if period not in figures.PERIODS:
        raise ReportInputError(f"period: one of {', '.join(figures.PERIODS)}, got {period!r}")
    start, end = _window(start, end, now)
    spans = figures.periods(start, end, period)
    asked: Filters = {"team": filters.team, "role": filters.role}
    role_keys = crowd.role_keys
    members = [_member(e, role_keys) for e in crowd.employees]
    everything_hidden = _population_hidden(_sizes(members, asked), asked)
    facts = _facts(session, tenant_id, start, end, crowd.assessments)

    def ids(choice: Filters) -> set[int]:
        return {m.employee_id for m in members if _matches(m, choice)}

    own = _kpis(ids(asked), facts, start, end, spans)
    coarser = [_kpis(ids(choice), facts, start, end, spans).ratios for choice in coarser_filters(asked)]
    hidden = hidden_cells(
        {k: r.employees for k, r in own.ratios.items()},
        [{k: r.employees for k, r in c.items()} for c in coarser],
    )

    def shown(name: str) -> Figure:
        ratio = own.ratios[name]
        gone = everything_hidden or name in hidden
        return Figure(value=None if gone else ratio.value, employees=ratio.employees, suppressed=gone)

    def count(name: str) -> int:
        return 0 if everything_hidden else own.counts[name]

    money = [
        figures.FigureFact(f.kind, f.name, f.team, f.period_start, f.period_end, f.value, f.unit)
        for f in figures_repo.list_figures(session, tenant_id, start=start, end=end)
    ]
    try:
        roi = figures.return_on_investment(money, start, end, filters.team)
    except ValueError as exc:
        raise ReportInputError(f"L&D figures: {exc}") from exc
    populations = [ids(asked), *(ids(choice) for choice in coarser_filters(asked))]
    learning_days, proficiency = None, []
    if not everything_hidden:
        team_of = {m.employee_id: m.team for m in members}
        learning_days = learning_day_use(session, tenant_id, team_of, populations, start, end, now.date())
        evidence = {
            e: [(a.skill_id, a.level, a.source, a.observed_at) for a in rows]
            for e, rows in crowd.assessments.items()
        }
        role_of = {e.id: e.role_id for e in crowd.employees}
        proficiency = time_to_proficiency(session, tenant_id, role_of, evidence, populations, start, end)
    return KpiReport(
        tenant=tenant_slug,
        learning_days=learning_days,
        time_to_proficiency=proficiency,
        generated_at=now,
        filters=filters,
        min_group_size=MIN_GROUP_SIZE,
        period=period,
        start=start,
        end=end,
        employees=len(ids(asked)),
        suppressed=everything_hidden,
        participation_rate=shown("participation_rate"),
        completion_rate=shown("completion_rate"),
        minutes_per_employee=shown("minutes_per_employee"),
        active_path_share=shown("active_path_share"),
        series=[
            KpiPeriod(
                period=span.label,
                start=span.start,
                participation_rate=shown(f"{span.label}:participation_rate"),
                completion_rate=shown(f"{span.label}:completion_rate"),
                minutes_per_employee=shown(f"{span.label}:minutes_per_employee"),
                active_path_share=shown(f"{span.label}:active_path_share"),
            )
            for span in spans
        ],
        effectiveness=Effectiveness(
            pairs=count("change"),
            mean_before=shown("effectiveness_before"),
            mean_after=shown("effectiveness_after"),
            mean_change=shown("effectiveness_change"),
        ),
        kirkpatrick=KirkpatrickLevels(
            reaction=shown("reaction"),
            reaction_count=count("reaction"),
            learning=shown("learning"),
            learning_pass_rate=shown("learning_pass_rate"),
            learning_count=count("learning"),
            behaviour=shown("behaviour"),
            behaviour_count=count("behaviour"),
            results=[
                BusinessResult(**trend.__dict__)
                for trend in figures.business_results(money, start, end, filters.team)
            ],
        ),
        roi=Roi(**roi.__dict__) if roi else None,
        nudges=nudge_kpis(
            session,
            tenant_id,
            populations,
            _midnight(start),
            _midnight(end + timedelta(days=1)),
            everything_hidden,
        ),
    )


KPI_CSV_COLUMNS = (
    "period",
    "start",
    "participation_rate",
    "completion_rate",
    "minutes_per_employee",
    "active_path_share",
    "figure",
    "team",
    "skill_id",
    "skill",
    "employees",
    "value",
    "suppressed",
)
WINDOW = "window"  # the `period` of the rows about the whole window (nudges, Learning Days, proficiency)
_TREND_BLANKS = ("",) * 7
_WINDOW_BLANKS = ("",) * 4


def _cell(value: float | None) -> float | str:
    return "" if value is None else value


def _window_rows(report: KpiReport) -> list[list[Cell]]:
    """The figures of nudges, Learning Days and time to proficiency as the report holds them, one row
    each: `figure` names it, `team` or `skill` says whose it is (a Learning Day figure per team, with
    ALL_TEAMS for their total; empty for the nudge figures, which are about the report's population),
    `employees` how many it rests on; a hidden figure has an empty value and `suppressed` true."""
    head: list[Cell] = [WINDOW, report.start.isoformat(), *_WINDOW_BLANKS]
    rows: list[list[Cell]] = []

    def add(
        figure: str,
        team: str,
        skill_id: int | str,
        skill: str,
        employees: int | str,
        value: float | None,
        suppressed: bool,
    ) -> None:
        rows.append(
            [*head, figure, team, skill_id, skill, employees, _cell(value), "true" if suppressed else "false"]
        )

    if report.nudges is not None:
        nudges = report.nudges
        for name in ("completion_after_nudge", "completion_without_nudge", "pulse_enps", "pulse_mean"):
            figure: Figure = getattr(nudges, name)
            add(name, "", "", "", figure.employees, figure.value, figure.suppressed)
    days = report.learning_days
    if days is not None:
        for use in [days.overall, *days.teams]:
            team = ALL_TEAMS if use.team is None else use.team
            for name, value in (
                ("learning_day_share", use.share),
                ("learning_day_planned_minutes", use.planned_minutes),
                ("learning_day_used_minutes", use.used_minutes),
            ):
                add(name, team, "", "", use.employees, value, use.suppressed)
    elif report.suppressed:  # the whole report is hidden: the rows are there, without values
        for name in ("learning_day_share", "learning_day_planned_minutes", "learning_day_used_minutes"):
            add(name, ALL_TEAMS, "", "", "", None, True)
    for skill in report.time_to_proficiency:
        add(
            "time_to_proficiency_days",
            "",
            skill.skill_id,
            skill.skill,
            skill.employees,
            skill.median_days,
            skill.suppressed,
        )
    return rows


def kpi_report_csv(report: KpiReport) -> str:
    """The KPI report as CSV: the trend, one row per period (`period`, `start` and its four rates),
    then one row per figure of the whole window (`period` "window": nudges, Learning Day time used
    overall and per team, time to proficiency per skill), read from the same report the JSON answers.
    A suppressed figure is empty; team names and skill labels are made spreadsheet-safe
    (service.core.csv_export)."""
    rows: list[list[Cell]] = []
    for row in report.series:
        values = (
            row.participation_rate,
            row.completion_rate,
            row.minutes_per_employee,
            row.active_path_share,
        )
        rows.append([row.period, row.start.isoformat(), *(_cell(f.value) for f in values), *_TREND_BLANKS])
    return csv_text(KPI_CSV_COLUMNS, [*rows, *_window_rows(report)])


# --- the dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    """Everything the L&D dashboard shows: both reports and the names its filters offer."""

    gaps: GapReport
    kpis: KpiReport
    teams: list[str]
    roles: list[str]


def dashboard_reports(
    runtime: Runtime,
    session: Session,
    tenant_id: int,
    tenant_slug: str,
    team: str | None,
    role: str | None,
    period: str = "month",
    now: datetime | None = None,
) -> Dashboard:
    """The gap report and the KPIs as `gap_report` and `kpi_report` build them, with the employees,
    roles and assessments read once for both (the first paint of a company of 5,000 has to stay
    under a second). An unknown team or role, or L&D figures in several currencies, raise
    ReportInputError."""
    with collector_paused():
        crowd = _read_people(session, tenant_id)
        filters = _checked(crowd.options, team, role)
        moment = now or utcnow()
        kpis = _kpi_report(session, tenant_id, tenant_slug, filters, period, None, None, moment, crowd)
        gaps = _gap_report(runtime, session, tenant_id, tenant_slug, filters, moment, crowd)
    teams, roles = crowd.options
    return Dashboard(gaps, kpis, teams, roles)
