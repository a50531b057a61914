"""The L&D report pages as server-rendered HTML: the dashboard, the standalone gap report and the
dashboard's login page. Pure rendering (no database): the routes hand in the report models.

Jinja2 templates in service/reports/dashboard/templates with autoescaping on (team names, skill labels and catalog
titles come from customers' files); charts are inline SVG laid out by service.reports.dashboard.charts, so a page
needs no script and nothing from the internet. A suppressed figure is shown as a visibly hidden
value ("n<5") with a tooltip that says why, never as zero or a blank.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from recommender.reports import ALL_TEAMS
from service.reports.dashboard.charts import Chart, Value, bar_chart, line_chart
from service.reports.schemas import (
    Figure,
    GapReport,
    HeatmapCell,
    KpiPeriod,
    KpiReport,
)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"
STYLESHEET = "dashboard.css"
STYLESHEET_URL = f"/static/{STYLESHEET}"

SUPPRESSED_TEXT = "n<5"
HEATMAP_ROWS = 25  # the dashboard shows the skills with the largest gaps; a toggle shows the rest
HIDDEN_TEXT = "–"
_CELL_INDENT = " " * 8  # where the template puts a row's cells
# Upper bounds of the heatmap's colour classes q1..q6 (weighted gap, 0 to 5); q7 is everything above.
# Fixed, not scaled to the data, so a colour means the same under every filter.
BIN_EDGES = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
LINE_COLOURS = {"participation": "#2563eb", "completion": "#16a34a", "active_paths": "#9333ea"}
MINUTES_COLOUR = "#0f766e"


# --- formatting ---------------------------------------------------------------------------------


def fmt_gap(value: float) -> str:
    """A weighted or mean gap, as the heatmap shows it (tests compare cell texts with this)."""
    return f"{value:.2f}"


def fmt_percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def fmt_money(value: float, currency: str) -> str:
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency.upper())
    return f"{symbol}{value:,.0f}" if symbol else f"{value:,.0f} {currency}"


def fmt_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def safe_url(url: str | None) -> str | None:
    """Only web links become hrefs: a catalog's url comes from an imported file."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def suppressed_title(employees: int, min_group_size: int) -> str:
    if 0 < employees < min_group_size:
        return (
            f"Suppressed: fewer than {min_group_size} employees ({min_group_size} is the minimum group size)"
        )
    return (
        f"Suppressed: showing it would reveal a figure about fewer than {min_group_size} employees "
        "(through a total or a broader report)"
    )


# --- heatmap ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatRow:
    """One skill's row; its cells are HTML already (`heatmap_cells`): a company's heatmap has tens of
    thousands of them, and building each through the template engine was most of the page's time."""

    skill_id: int
    label: str
    has_content: bool
    cells: Markup


@dataclass(frozen=True)
class LegendEntry:
    css: str
    label: str


@dataclass(frozen=True)
class HeatmapView:
    """The heatmap with skills as rows and teams as columns: a company has a few teams and many
    skills, so this way it fits a screen; the largest total gap comes first."""

    teams: list[str]
    rows: list[HeatRow]
    legend: list[LegendEntry]


def colour_class(value: float) -> str:
    if value <= 0:
        return "q0"
    for index, edge in enumerate(BIN_EDGES, start=1):
        if value < edge:
            return f"q{index}"
    return f"q{len(BIN_EDGES) + 1}"


def heatmap_legend() -> list[LegendEntry]:
    def number(value: float) -> str:
        return f"{value:g}"

    entries = [LegendEntry("q0", "0 (no gap)"), LegendEntry("q1", f"< {number(BIN_EDGES[0])}")]
    for index, (low, high) in enumerate(zip(BIN_EDGES, BIN_EDGES[1:], strict=False), start=2):
        entries.append(LegendEntry(f"q{index}", f"{number(low)}–{number(high)}"))
    entries.append(LegendEntry(f"q{len(BIN_EDGES) + 1}", f"≥ {number(BIN_EDGES[-1])}"))
    return entries


def _cell_html(cell: HeatmapCell | None, team: str, total: str, where: str, min_group_size: int) -> str:
    """One heatmap td. `team` and `where` ("team · skill") come escaped, once per team and row; the
    rest is escaped here (escaping text piece by piece is the same as escaping it whole); a number
    (a float's repr, `fmt_gap`) has nothing to escape."""
    if cell is None:
        return f'<td class="cell none{total}" title="{where}: no role in this team needs it"></td>'
    if cell.suppressed or cell.weighted_gap is None:
        small = 0 < cell.employees < min_group_size
        text = escape(SUPPRESSED_TEXT if small else HIDDEN_TEXT)
        title = escape(suppressed_title(cell.employees, min_group_size))
        return (
            f'<td class="cell suppressed{total}" data-team="{team}" data-skill-id="{cell.skill_id}" '
            f'data-value="" data-employees="{cell.employees}" title="{where}: {title}">{text}</td>'
        )
    details = [f"weighted gap {fmt_gap(cell.weighted_gap)}"]
    if cell.with_gap is not None:
        details.append(f"{cell.with_gap} of {cell.employees} employees below the role's level")
    if cell.mean_gap is not None:
        details.append(f"mean gap {fmt_gap(cell.mean_gap)} levels")
    return (
        f'<td class="cell {colour_class(cell.weighted_gap)}{total}" data-team="{team}" '
        f'data-skill-id="{cell.skill_id}" data-value="{cell.weighted_gap!r}" '
        f'data-employees="{cell.employees}" title="{where}: {escape("; ".join(details))}">'
        f"{fmt_gap(cell.weighted_gap)}</td>"
    )


def _row_cells(
    cells: Mapping[str, HeatmapCell],
    teams: Sequence[tuple[str, str]],
    label: str,
    min_group_size: int,
) -> Markup:
    """A skill's row of td elements, one per (team, its escaped name) in `teams`; `cells` are that
    skill's cells by team. Indented as the template places them."""
    row_label = escape(label)
    return Markup(
        "\n".join(
            _CELL_INDENT
            + _cell_html(
                cells.get(team),
                escaped,
                " total" if team == ALL_TEAMS else "",
                f"{escaped} · {row_label}",
                min_group_size,
            )
            for team, escaped in teams
        )
    )


def heatmap_view(report: GapReport) -> HeatmapView:
    heatmap = report.heatmap
    by_skill: dict[int, dict[str, HeatmapCell]] = {}
    for cell in heatmap.cells:
        by_skill.setdefault(cell.skill_id, {})[cell.team] = cell
    teams = [(team, str(escape(team))) for team in heatmap.teams]
    rows = [
        HeatRow(
            skill.skill_id,
            skill.label,
            skill.has_content,
            _row_cells(by_skill.get(skill.skill_id, {}), teams, skill.label, report.min_group_size),
        )
        for skill in heatmap.skills
    ]
    return HeatmapView(list(heatmap.teams), rows, heatmap_legend())


# --- KPI tiles and charts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    key: str  # data-kpi, for tests and styling
    label: str
    value: str
    unit: str
    note: str
    state: str  # "", "suppressed" or "empty"
    title: str


@dataclass(frozen=True)
class TileRow:
    title: str
    tiles: list[Tile]


def _tile(
    key: str, label: str, figure: Figure, fmt: Callable[[float], str], unit: str, note: str, minimum: int
) -> Tile:
    if figure.suppressed:
        title = suppressed_title(figure.employees, minimum)
        return Tile(key, label, SUPPRESSED_TEXT, "", note, "suppressed", title)
    if figure.value is None:
        return Tile(key, label, "no data", "", note, "empty", "Nothing to measure in this window")
    return Tile(key, label, fmt(figure.value), unit, note, "", f"Based on {figure.employees} employees")


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == 0 else f"{value:.1f}"


def _change(value: float) -> str:
    return f"{value:+.2f}"


def kpi_tiles(kpis: KpiReport) -> list[TileRow]:
    """The headline figures of the window: what people did, then what it changed (docs/reports.md)."""
    n = kpis.min_group_size
    kirk, effect = kpis.kirkpatrick, kpis.effectiveness
    passed = kirk.learning_pass_rate.value
    activity = [
        _tile(
            "participation",
            "Participation",
            kpis.participation_rate,
            fmt_percent,
            "",
            "of employees learned",
            n,
        ),
        _tile(
            "completion", "Completion", kpis.completion_rate, fmt_percent, "", "of started items finished", n
        ),
        _tile("minutes", "Learning time", kpis.minutes_per_employee, _number, "min", "per employee", n),
        _tile(
            "active_paths",
            "Active paths",
            kpis.active_path_share,
            fmt_percent,
            "",
            "of employees have one",
            n,
        ),
    ]
    impact = [
        _tile(
            "effectiveness",
            "Training effectiveness",
            effect.mean_change,
            _change,
            "levels",
            f"assessed after learning vs before ({effect.pairs} pairs)",
            n,
        ),
        _tile(
            "kirkpatrick_1",
            "Level 1 · Reaction",
            kirk.reaction,
            fmt_percent,
            "",
            f"mean rating ({kirk.reaction_count} ratings)",
            n,
        ),
        _tile(
            "kirkpatrick_2",
            "Level 2 · Learning",
            kirk.learning,
            fmt_percent,
            "",
            f"mean test score ({kirk.learning_count} tests"
            + (f", {fmt_percent(passed)} passed)" if passed is not None else ")"),
            n,
        ),
        _tile(
            "kirkpatrick_3",
            "Level 3 · Behaviour",
            kirk.behaviour,
            _change,
            "levels",
            f"manager and 360 change ({kirk.behaviour_count} pairs)",
            n,
        ),
    ]
    roi = kpis.roi
    if roi is None or roi.roi is None:
        impact.append(
            Tile("roi", "Training ROI", "no data", "", "no costs entered", "empty", "No costs in this window")
        )
    else:
        note = f"benefit {fmt_money(roi.benefit, roi.currency)} vs cost {fmt_money(roi.cost, roi.currency)}"
        impact.append(
            Tile("roi", "Training ROI", fmt_percent(roi.roi), "", note, "", "(benefit - cost) / cost")
        )
    return [
        TileRow("Learning activity", activity),
        TileRow("Impact · Kirkpatrick levels 1-3 and ROI", impact),
    ]


def fmt_minutes(value: float) -> str:
    return f"{value:,.0f}"


def fmt_days(value: float) -> str:
    """Median days to proficiency: one decimal, none when whole ("15", "12.5")."""
    return f"{round(value, 1):g}"


def fmt_enps(value: float) -> str:
    """eNPS runs from -100 to +100; its sign is part of the figure."""
    return f"{value:+.0f}"


def nudge_tiles(kpis: KpiReport) -> list[Tile]:
    """The tiles of "Nudges and Learning Days", read from the KPI report as /v1/reports/kpis answers it
    (service.reports.nudge_kpis, service.learning.kpis): nothing is computed here but text. A count
    behind a hidden figure (nudges sent, pulse answers) is left out with it."""
    n = kpis.min_group_size
    hidden_all = Figure(value=None, employees=kpis.employees, suppressed=True)
    tiles: list[Tile] = []
    nudges = kpis.nudges
    if nudges is not None:
        after = nudges.completion_after_nudge
        days = nudges.effect_days
        note = f"of nudged steps done within {days} days"
        if not after.suppressed and after.value is not None:
            note += f" ({nudges.nudges_sent} nudges to {nudges.nudged_employees} employees)"
        tiles.append(_tile("nudge_completion", "Completion after a nudge", after, fmt_percent, "", note, n))
        tiles.append(
            _tile(
                "nudge_completion_without",
                "Completion without a nudge",
                nudges.completion_without_nudge,
                fmt_percent,
                "",
                f"of the same employees' other path steps, within {days} days",
                n,
            )
        )
        enps, mean = nudges.pulse_enps, nudges.pulse_mean
        if enps.suppressed:
            note = f"fewer than {n} answers" if 0 < nudges.pulse_answers < n else "answers hidden for privacy"
        elif enps.value is None:
            note = "no answers to the learning pulse"
        else:
            note = f"{nudges.pulse_answers} answers"
            if not mean.suppressed and mean.value is not None:
                note += f" · mean {mean.value:.1f} of 10"
        tiles.append(_tile("pulse_enps", "Learning pulse · eNPS", enps, fmt_enps, "", note, n))
    use = kpis.learning_days
    overall = (
        Figure(value=use.overall.share, employees=use.overall.employees, suppressed=use.overall.suppressed)
        if use is not None
        else hidden_all
    )
    if use is None or use.overall.suppressed:
        note = "of the Learning Day time paths planned"
    elif use.overall.planned_minutes:
        used, planned = use.overall.used_minutes or 0.0, use.overall.planned_minutes
        note = f"{fmt_minutes(used)} of {fmt_minutes(planned)} planned minutes used"
    else:
        note = "no Learning Day time planned on past days"
    tiles.append(_tile("learning_day_use", "Learning Day time used", overall, fmt_percent, "", note, n))
    return tiles


def _values(series: Sequence[KpiPeriod], name: str) -> list[Value]:
    figures: list[Figure] = [getattr(period, name) for period in series]
    return [Value(f.value, f.suppressed) for f in figures]


def kpi_charts(kpis: KpiReport) -> list[Chart]:
    labels = [period.period for period in kpis.series]
    unit = "week" if kpis.period == "week" else "month"
    rates = line_chart(
        f"Participation, completion and active paths per {unit}",
        labels,
        [
            ("participation", LINE_COLOURS["participation"], _values(kpis.series, "participation_rate")),
            ("completion", LINE_COLOURS["completion"], _values(kpis.series, "completion_rate")),
            ("active paths", LINE_COLOURS["active_paths"], _values(kpis.series, "active_path_share")),
        ],
        fmt_percent,
        y_max=1.0,
    )
    minutes = bar_chart(
        f"Learning minutes per employee per {unit}",
        labels,
        _values(kpis.series, "minutes_per_employee"),
        MINUTES_COLOUR,
        lambda value: f"{value:g}",
        "minutes per employee",
        _number,
    )
    return [rates, minutes]


# --- pages --------------------------------------------------------------------------------------


def html_environment(directory: Path) -> Environment:
    """Templates of pages that show hostile text (catalog titles, team names, skill labels):
    autoescaping on for every template, an undefined name an error, links only to the web."""
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(safe_url=safe_url)
    return env


@cache
def environment() -> Environment:
    """Built on first use, not at import."""
    env = html_environment(TEMPLATES_DIR)
    env.filters.update(gap=fmt_gap, percent=fmt_percent, time=fmt_time, minutes=fmt_minutes, days=fmt_days)
    env.globals.update(
        SUPPRESSED_TEXT=SUPPRESSED_TEXT,
        ALL_TEAMS=ALL_TEAMS,
        suppressed_title=suppressed_title,
    )
    return env


@cache
def _inline_stylesheet() -> Markup:
    """The stylesheet for a standalone page (a file written by `leerpad report gaps -o`)."""
    return Markup((STATIC_DIR / STYLESHEET).read_text(encoding="utf-8"))


def _gap_context(report: GapReport) -> dict[str, Any]:
    widest = max(
        (
            gap.weighted_gap
            for group in [*report.top_gaps_by_team, *report.top_gaps_by_role]
            for gap in group.gaps
            if gap.weighted_gap is not None
        ),
        default=0.0,
    )
    return {"gaps": report, "heatmap": heatmap_view(report), "widest_gap": max(widest, 0.01)}


def _render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render_gap_report(report: GapReport, linked_stylesheet: bool = False) -> str:
    """The gap report as one standalone HTML page (styles inline, no links to the service); with
    `linked_stylesheet`, the service's stylesheet is linked instead, for a page the service answers
    under a policy that allows no inline style (the LTI launch of course staff, service/lti)."""
    if linked_stylesheet:
        return _render("gap_report.html", stylesheet=STYLESHEET_URL, inline_css=None, **_gap_context(report))
    return _render(
        "gap_report.html", stylesheet=None, inline_css=_inline_stylesheet(), **_gap_context(report)
    )


def render_dashboard(
    gaps: GapReport, kpis: KpiReport, teams: list[str], roles: list[str], csv_url: str, form_token: str
) -> str:
    """The L&D dashboard: filters, KPI tiles, trend charts, nudges and Learning Days (`nudge_tiles`
    and the report's per-team and per-skill rows), the heatmap and the gap lists;
    `form_token` goes into the logout form (service.reports.dashboard.sessions)."""
    return _render(
        "dashboard.html",
        form_token=form_token,
        stylesheet=STYLESHEET_URL,
        inline_css=None,
        kpis=kpis,
        tiles=kpi_tiles(kpis),
        charts=kpi_charts(kpis),
        nudge_tiles=nudge_tiles(kpis),
        teams=teams,
        roles=roles,
        csv_url=csv_url,
        heatmap_rows=HEATMAP_ROWS,
        **_gap_context(gaps),
    )


def render_login(form_token: str, message: str | None = None) -> str:
    """The dashboard's login form with its token; `message` says why the last attempt failed."""
    return _render(
        "login.html", stylesheet=STYLESHEET_URL, inline_css=None, message=message, form_token=form_token
    )


def render_message(title: str, message: str, link: str, link_text: str) -> str:
    """A short page for a request the dashboard cannot answer (an unknown team in a hand-made URL)."""
    return _render(
        "message.html",
        stylesheet=STYLESHEET_URL,
        inline_css=None,
        title=title,
        message=message,
        link=link,
        link_text=link_text,
    )
