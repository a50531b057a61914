"""The report pages' rendering without a database or a browser: escaping of customer text, suppressed
figures shown as hidden (never as zero), the heatmap's colour classes and the charts' gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

from service.learning.schemas import LearningDayTeamUse, LearningDayUse, SkillProficiency
from service.reports.dashboard.charts import Value, bar_chart, line_chart, nice_ceiling
from service.reports.dashboard.pages import colour_class, kpi_tiles, render_dashboard, render_gap_report
from service.reports.schemas import (
    ClosingItem,
    Effectiveness,
    Figure,
    GapReport,
    Heatmap,
    HeatmapCell,
    KirkpatrickLevels,
    KpiPeriod,
    KpiReport,
    NudgeKpis,
    ReportFilters,
    SkillColumn,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
EVIL_TEAM = '<script>alert("x")</script>'


def cell(team: str, skill_id: int, employees: int, value: float | None) -> HeatmapCell:
    hidden = value is None
    return HeatmapCell(
        team=team,
        skill_id=skill_id,
        employees=employees,
        with_gap=None if hidden else 2,
        mean_gap=value,
        weighted_gap=value,
        suppressed=hidden,
    )


def gap_report(url: str = "javascript:alert(1)") -> GapReport:
    return GapReport(
        tenant="acme",
        generated_at=NOW,
        filters=ReportFilters(),
        min_group_size=5,
        employees=12,
        suppressed=False,
        heatmap=Heatmap(
            teams=[EVIL_TEAM, "tiny", "all teams"],
            skills=[SkillColumn(skill_id=1, label="SQL & <b>friends</b>", has_content=False)],
            cells=[cell(EVIL_TEAM, 1, 9, 1.234), cell("tiny", 1, 3, None), cell("all teams", 1, 12, 0.9)],
        ),
        top_gaps_by_team=[],
        top_gaps_by_role=[],
        uncovered_skills=[],
        closing_items=[
            ClosingItem(
                item_id=7,
                title="Bad link",
                url=url,
                minutes=10,
                language="en",
                source="lms",
                external_id="x",
                skills=["SQL"],
                employees=12,
                gap_closable=3.0,
                suppressed=False,
            )
        ],
    )


def figure(value: float | None, suppressed: bool = False) -> Figure:
    return Figure(value=value, employees=3 if suppressed else 12, suppressed=suppressed)


def kpi_report() -> KpiReport:
    series = [
        KpiPeriod(
            period=label,
            start=start,
            participation_rate=figure(None if hidden else rate, hidden),
            completion_rate=figure(0.5),
            minutes_per_employee=figure(None if hidden else 40.0, hidden),
            active_path_share=figure(0.2),
        )
        for label, start, rate, hidden in [
            ("2026-09", date(2026, 9, 1), 0.3, False),
            ("2026-10", date(2026, 10, 1), 0.0, True),
            ("2026-11", date(2026, 11, 1), 0.6, False),
        ]
    ]
    return KpiReport(
        tenant="acme",
        generated_at=NOW,
        filters=ReportFilters(),
        min_group_size=5,
        period="month",
        start=date(2026, 9, 1),
        end=date(2026, 11, 2),
        employees=12,
        suppressed=False,
        participation_rate=figure(0.4167),
        completion_rate=figure(None, suppressed=True),
        minutes_per_employee=figure(0.0),
        active_path_share=figure(None),
        series=series,
        effectiveness=Effectiveness(
            pairs=6, mean_before=figure(1.5), mean_after=figure(2.0), mean_change=figure(0.5)
        ),
        kirkpatrick=KirkpatrickLevels(
            reaction=figure(0.8),
            reaction_count=9,
            learning=figure(None),
            learning_pass_rate=figure(None),
            learning_count=0,
            behaviour=figure(None, suppressed=True),
            behaviour_count=0,
            results=[],
        ),
        roi=None,
    )


class Cells(HTMLParser):
    """The heatmap's td elements: their attributes and text, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str]] = []
        self._open: dict[str, str] | None = None
        self.scripts = 0
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.scripts += 1
        if tag == "a":
            self.hrefs.append(found.get("href", ""))
        if tag == "td" and "data-team" in found:
            self._open = {**found, "text": ""}
            self.cells.append(self._open)

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._open = None


def parse(html: str) -> Cells:
    parser = Cells()
    parser.feed(html)
    return parser


def test_customer_text_is_escaped_and_only_web_links_are_linked() -> None:
    html = render_gap_report(gap_report())
    page = parse(html)
    assert page.scripts == 0 and EVIL_TEAM not in html and "&lt;script&gt;" in html
    assert "<b>friends</b>" not in html
    assert [c["data-team"] for c in page.cells] == [EVIL_TEAM, "tiny", "all teams"]
    assert not any(href.startswith("javascript") for href in page.hrefs)
    assert "https://lms.example/x" in parse(render_gap_report(gap_report("https://lms.example/x"))).hrefs
    assert "<style>" in html and "/static/" not in html  # standalone: the stylesheet is inline


def test_suppressed_cells_read_as_hidden_with_the_reason() -> None:
    cells = {c["data-team"]: c for c in parse(render_gap_report(gap_report())).cells}
    assert cells[EVIL_TEAM]["text"] == "1.23" and cells[EVIL_TEAM]["class"].split()[1] == "q4"
    tiny = cells["tiny"]
    assert tiny["text"] == "n<5" and "suppressed" in tiny["class"].split() and tiny["data-value"] == ""
    assert "fewer than 5 employees" in tiny["title"]


def test_kpi_tiles_tell_suppressed_from_missing_from_zero() -> None:
    tiles = {tile.key: tile for row in kpi_tiles(kpi_report()) for tile in row.tiles}
    assert tiles["participation"].value == "42%" and tiles["participation"].state == ""
    assert tiles["completion"].value == "n<5" and tiles["completion"].state == "suppressed"
    assert "fewer than 5 employees" in tiles["completion"].title
    assert tiles["minutes"].value == "0" and tiles["minutes"].state == ""
    assert tiles["active_paths"].state == "empty" and tiles["roi"].state == "empty"
    assert tiles["effectiveness"].value == "+0.50" and tiles["effectiveness"].unit == "levels"
    html = render_dashboard(
        gap_report(), kpi_report(), [EVIL_TEAM, "tiny"], ["analyst"], "/v1/reports/gaps?format=csv", "t0k"
    )
    assert (
        'data-kpi="kirkpatrick_3"' in html and '<link rel="stylesheet" href="/static/dashboard.css">' in html
    )


@pytest.mark.parametrize(
    ("value", "expected"), [(0.0, "q0"), (0.1, "q1"), (0.25, "q2"), (0.99, "q3"), (2.5, "q6"), (4.9, "q7")]
)
def test_colour_classes_are_fixed_bins_of_the_weighted_gap(value: float, expected: str) -> None:
    assert colour_class(value) == expected


def test_a_suppressed_period_breaks_the_line_and_gets_a_marker_not_a_zero() -> None:
    values = [Value(0.3, False), Value(None, True), Value(0.6, False)]
    chart = line_chart("rates", ["a", "b", "c"], [("participation", "#000", values)], str, y_max=1.0)
    assert len(chart.lines[0].segments) == 2 and len(chart.lines[0].markers) == 2
    assert [m.tooltip.split(":")[0] for m in chart.suppressed] == ["b"]
    bars = bar_chart(
        "minutes",
        ["a", "b", "c"],
        [Value(40, False), Value(None, True), Value(10, False)],
        "#000",
        str,
        "min",
    )
    assert len(bars.bars) == 2 and len(bars.suppressed) == 1 and not bars.empty
    higher, lower = bars.bars
    assert higher.height == pytest.approx(4 * lower.height)
    with pytest.raises(ValueError, match="3 periods"):
        line_chart("rates", ["a", "b", "c"], [("x", "#000", values[:2])], str)


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1.0), (0.7, 1.0), (3.1, 5.0), (12, 20.0), (26, 50.0), (240, 250.0)]
)
def test_axes_end_at_a_round_number(value: float, expected: float) -> None:
    assert nice_ceiling(value) == expected


def test_many_periods_get_evenly_thinned_labels_ending_with_the_latest() -> None:
    weeks = [f"2026-W{n:02d}" for n in range(1, 27)]
    chart = line_chart("weekly", weeks, [("x", "#000", [Value(0.1, False)] * 26)], str, y_max=1.0)
    labels = [tick.label for tick in chart.x_ticks]
    assert len(labels) <= 8 and labels[-1] == "2026-W26"
    gaps = {round(b.position - a.position, 6) for a, b in zip(chart.x_ticks, chart.x_ticks[1:], strict=False)}
    assert len(gaps) == 1


# --- Nudges and Learning Days -------------------------------------------------------------------

EVIL_SKILL = 'Feedback & <img src=x onerror="alert(1)">'


def team_use(team: str | None, employees: int, planned: float, used: float) -> LearningDayTeamUse:
    hidden = 0 < employees < 5
    return LearningDayTeamUse(
        team=team,
        employees=employees,
        planned_minutes=None if hidden else planned,
        used_minutes=None if hidden else used,
        share=None if hidden else round(used / planned, 4),
        suppressed=hidden,
    )


def demo_like_kpis() -> KpiReport:
    """The KPI report as the demo's history makes it: ten employees nudged, seven of them done within
    the week, eight pulse answers (eNPS +50, mean 8.5), a team whose Learning Days are reportable, a
    team of three whose are not, and a skill reached by five people beside one reached by two."""
    return kpi_report().model_copy(
        update={
            "nudges": NudgeKpis(
                effect_days=7,
                nudges_sent=10,
                nudged_employees=10,
                completion_after_nudge=Figure(value=0.7, employees=10, suppressed=False),
                completion_without_nudge=Figure(value=0.3571, employees=10, suppressed=False),
                pulse_answers=8,
                pulse_mean=Figure(value=8.5, employees=8, suppressed=False),
                pulse_enps=Figure(value=50.0, employees=8, suppressed=False),
            ),
            "learning_days": LearningDayUse(
                overall=team_use(None, 10, 4800.0, 2976.0),
                teams=[team_use("platform", 7, 3360.0, 2400.0), team_use(EVIL_TEAM, 3, 1440.0, 576.0)],
            ),
            "time_to_proficiency": [
                SkillProficiency(
                    skill_id=4, skill=EVIL_SKILL, employees=2, median_days=None, suppressed=True
                ),
                SkillProficiency(skill_id=1, skill="SQL", employees=5, median_days=15.0, suppressed=False),
            ],
        }
    )


def small_group_kpis() -> KpiReport:
    """A team of three: every figure of the section rests on fewer than five people."""
    return kpi_report().model_copy(
        update={
            "employees": 3,
            "nudges": NudgeKpis(
                effect_days=7,
                nudges_sent=0,  # what the report says for a group under five, not a real zero
                nudged_employees=3,
                completion_after_nudge=Figure(value=None, employees=3, suppressed=True),
                completion_without_nudge=Figure(value=None, employees=3, suppressed=True),
                pulse_answers=3,
                pulse_mean=Figure(value=None, employees=3, suppressed=True),
                pulse_enps=Figure(value=None, employees=3, suppressed=True),
            ),
            "learning_days": LearningDayUse(
                overall=team_use(None, 3, 0, 0), teams=[team_use("tiny", 3, 0, 0)]
            ),
            "time_to_proficiency": [
                SkillProficiency(skill_id=1, skill="SQL", employees=3, median_days=None, suppressed=True)
            ],
        }
    )


class Section(HTMLParser):
    """The "Nudges and Learning Days" panel as a browser parses it: its tiles (label, value, note and
    tooltip by data-kpi) and its table rows (each cell's text, class and tooltip)."""

    FIELDS = ("tile-label", "tile-value", "tile-note")

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.found = False
        self.text = ""
        self.tiles: dict[str, dict[str, str]] = {}
        self.rows: dict[str, list[dict[str, str]]] = {}
        self._tile: dict[str, str] | None = None
        self._field: str | None = None
        self._row: list[dict[str, str]] | None = None
        self._cell: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "section" and found.get("id") == "nudges-learning-days":
            self.inside = self.found = True
        if not self.inside:
            return
        if "data-kpi" in found:
            self._tile = {"title": found.get("title", "")}
            self.tiles[found["data-kpi"]] = self._tile
        elif tag == "div" and self._tile is not None and found.get("class") in self.FIELDS:
            self._field = found["class"]
            self._tile[self._field] = ""
        if tag == "tr" and ("data-team" in found or "data-skill-id" in found):
            self._row = []
            self.rows[found.get("data-team") or found["data-skill-id"]] = self._row
        if tag == "td" and self._row is not None:
            self._cell = {"text": "", "class": found.get("class", ""), "title": found.get("title", "")}
            self._row.append(self._cell)

    def handle_data(self, data: str) -> None:
        if not self.inside:
            return
        self.text += data
        if self._tile is not None and self._field is not None:
            self._tile[self._field] += data
        if self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.inside = False
        elif tag == "div" and self._field is not None:
            self._field = None
        elif tag == "td":
            self._cell = None
        elif tag == "tr":
            self._row = None


def section_of(kpis: KpiReport) -> tuple[Section, str]:
    html = render_dashboard(gap_report(), kpis, [EVIL_TEAM, "tiny"], ["analyst"], "/csv", "t0k")
    parser = Section()
    parser.feed(html)
    assert parser.found, "the dashboard has a Nudges and Learning Days section"
    return parser, html


def test_the_nudges_and_learning_days_section_shows_the_kpi_reports_figures() -> None:
    section, html = section_of(demo_like_kpis())
    assert "Nudges and Learning Days" in section.text
    tiles = section.tiles
    assert list(tiles) == ["nudge_completion", "nudge_completion_without", "pulse_enps", "learning_day_use"]
    assert tiles["nudge_completion"]["tile-value"] == "70%"
    assert "(10 nudges to 10 employees)" in tiles["nudge_completion"]["tile-note"]
    assert tiles["nudge_completion_without"]["tile-value"] == "36%"
    assert tiles["pulse_enps"]["tile-value"] == "+50"
    assert tiles["pulse_enps"]["tile-note"] == "8 answers · mean 8.5 of 10"
    assert tiles["learning_day_use"]["tile-value"] == "62%"
    assert tiles["learning_day_use"]["tile-note"] == "2,976 of 4,800 planned minutes used"
    assert all(tile["title"].startswith("Based on") for tile in tiles.values())
    platform = [cell["text"] for cell in section.rows["platform"]]
    assert platform == ["platform", "7", "3,360", "2,400", "71%"]
    assert [cell["text"] for cell in section.rows["1"]] == ["SQL", "5", "15"]
    # Team names and skill labels come from customers' files: text, never markup.
    assert EVIL_TEAM in section.rows and EVIL_SKILL in section.text
    assert "<img" not in html and "&lt;img" in html and parse(html).scripts == 0


def test_a_group_under_five_shows_no_number_in_the_section() -> None:
    section, _ = section_of(demo_like_kpis())
    tiny_team = section.rows[EVIL_TEAM]
    assert [cell["text"] for cell in tiny_team[2:]] == ["n<5"]
    assert "suppressed" in tiny_team[2]["class"].split() and "fewer than 5 employees" in tiny_team[2]["title"]
    small_skill = section.rows["4"]
    assert small_skill[2]["text"] == "n<5" and "fewer than 5 employees" in small_skill[2]["title"]

    small, _ = section_of(small_group_kpis())
    for key, tile in small.tiles.items():
        assert tile["tile-value"] == "n<5", key
        assert "fewer than 5 employees" in tile["title"], key
        # No count behind a hidden figure either: not the report's 0 nudges, not the 3 answers.
        note = tile["tile-note"].replace("fewer than 5", "").replace("within 7 days", "")
        assert not any(ch.isdigit() for ch in note), (key, note)
    assert small.tiles["pulse_enps"]["tile-note"] == "fewer than 5 answers"
    assert [cell["text"] for cell in small.rows["tiny"][2:]] == ["n<5"]
    assert [cell["text"] for cell in small.rows["1"][2:]] == ["n<5"]


def test_a_hidden_report_hides_the_whole_section() -> None:
    """A selection of 1 to 4 people: the report has no Learning Day figures and no time to
    proficiency at all (service.reports.team_reports), and the section says they are hidden."""
    hidden_all = small_group_kpis().model_copy(
        update={"suppressed": True, "learning_days": None, "time_to_proficiency": []}
    )
    section, _ = section_of(hidden_all)
    assert section.tiles["learning_day_use"]["tile-value"] == "n<5"
    assert section.rows == {}
    assert section.text.count("hidden for privacy") == 2
    assert "Nobody reached" not in section.text
