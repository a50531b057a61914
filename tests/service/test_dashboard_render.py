"""The report pages' rendering without a database or a browser: escaping of customer text, suppressed
figures shown as hidden (never as zero), the heatmap's colour classes and the charts' gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest

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
