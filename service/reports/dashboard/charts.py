"""Chart geometry for the report pages: line and bar charts laid out in Python, drawn by the templates
as inline SVG, so the pages need no script, no CDN and render the same in every browser.

A value is a `Point` of the series; a period whose figure was suppressed (about fewer than 5
employees) is drawn as a gap with a marker, never as zero, so a reader cannot mistake it for "none".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 560
HEIGHT = 240
MARGIN_LEFT = 48
MARGIN_RIGHT = 16
MARGIN_TOP = 16
MARGIN_BOTTOM = 36
MAX_X_LABELS = 8

Format = Callable[[float], str]


@dataclass(frozen=True)
class Value:
    """One period's figure: None with suppressed=False means there was nothing to measure."""

    value: float | None
    suppressed: bool


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Marker:
    """A dot (or a suppressed-period marker) with the tooltip the reader sees on hover."""

    x: float
    y: float
    tooltip: str


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    segments: list[str]  # SVG polyline `points`, broken where a period has no value
    markers: list[Marker]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    tooltip: str


@dataclass(frozen=True)
class Chart:
    """Everything a template needs to draw one chart; coordinates are in the viewBox's units."""

    title: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    lines: list[Line]
    bars: list[Bar]
    bar_colour: str
    legend: list[tuple[str, str]]  # (name, colour) of each series
    suppressed: list[Marker]  # periods whose figure is hidden, drawn as "n<5" on the axis
    empty: bool  # no value at all: the template says so instead of drawing empty axes


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 (times a power of ten) at or above value, for a readable axis."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power + 1e-9:
            return step * power
    return 10.0 * power


def _frame(labels: Sequence[str], y_max: float, y_format: Format) -> tuple[list[Tick], list[Tick], float]:
    """x ticks at band centres (thinned to at most MAX_X_LABELS), y ticks at quarters; returns the band."""
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    band = plot_width / max(len(labels), 1)
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    shown = set(range(len(labels) - 1, -1, -every))  # evenly spaced, always with the latest period
    x_ticks = [
        Tick(MARGIN_LEFT + band * (index + 0.5), label)
        for index, label in enumerate(labels)
        if index in shown
    ]
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    y_ticks = [
        Tick(MARGIN_TOP + plot_height * (1 - step / 4), y_format(y_max * step / 4)) for step in range(5)
    ]
    return x_ticks, y_ticks, band


def _y(value: float, y_max: float) -> float:
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    return MARGIN_TOP + plot_height * (1 - min(max(value / y_max, 0.0), 1.0))


def _chart(
    title: str,
    x_ticks: list[Tick],
    y_ticks: list[Tick],
    lines: list[Line],
    bars: list[Bar],
    bar_colour: str,
    bar_name: str,
    suppressed: list[Marker],
    empty: bool,
) -> Chart:
    return Chart(
        title=title,
        width=WIDTH,
        height=HEIGHT,
        left=MARGIN_LEFT,
        top=MARGIN_TOP,
        right=WIDTH - MARGIN_RIGHT,
        bottom=HEIGHT - MARGIN_BOTTOM,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        lines=lines,
        bars=bars,
        bar_colour=bar_colour,
        legend=[(line.name, line.colour) for line in lines] or [(bar_name, bar_colour)],
        suppressed=suppressed,
        empty=empty,
    )


def _suppressed_markers(
    labels: Sequence[str], values: Sequence[Sequence[Value]], band: float
) -> list[Marker]:
    """One marker per period where some series is hidden (and none shows a value there)."""
    markers = []
    for index, label in enumerate(labels):
        column = [series[index] for series in values]
        if any(v.suppressed for v in column) and all(v.value is None for v in column):
            x = MARGIN_LEFT + band * (index + 0.5)
            markers.append(
                Marker(x, HEIGHT - MARGIN_BOTTOM - 8, f"{label}: suppressed, fewer than 5 employees")
            )
    return markers


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[Value]]],
    y_format: Format,
    y_max: float | None = None,
) -> Chart:
    """Lines of (name, colour, one value per label) over the same periods, on one y axis from 0."""
    for name, _, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} periods")
    known = [v.value for _, _, values in series for v in values if v.value is not None]
    top = y_max if y_max is not None else nice_ceiling(max(known, default=0.0))
    x_ticks, y_ticks, band = _frame(labels, top, y_format)
    lines = []
    for name, colour, values in series:
        segments: list[str] = []
        current: list[str] = []
        markers = []
        for index, value in enumerate(values):
            if value.value is None:
                if current:
                    segments.append(" ".join(current))
                current = []
                continue
            x, y = MARGIN_LEFT + band * (index + 0.5), _y(value.value, top)
            current.append(f"{x:.1f},{y:.1f}")
            markers.append(Marker(x, y, f"{labels[index]}: {name} {y_format(value.value)}"))
        if current:
            segments.append(" ".join(current))
        lines.append(Line(name, colour, segments, markers))
    hidden = _suppressed_markers(labels, [values for _, _, values in series], band)
    return _chart(title, x_ticks, y_ticks, lines, [], "", "", hidden, not known)


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[Value],
    colour: str,
    y_format: Format,
    name: str,
    value_format: Format | None = None,
) -> Chart:
    """One bar per period from 0; a suppressed period gets a marker instead of a bar. An axis of
    only zeros is "empty": nothing happened, and the template says so."""
    value_format = value_format or y_format
    if len(values) != len(labels):
        raise ValueError(f"{len(values)} values for {len(labels)} periods")
    known = [v.value for v in values if v.value is not None]
    top = nice_ceiling(max(known, default=0.0))
    x_ticks, y_ticks, band = _frame(labels, top, y_format)
    width = band * 0.62
    bars = []
    for index, value in enumerate(values):
        if value.value is None:
            continue
        y = _y(value.value, top)
        bars.append(
            Bar(
                MARGIN_LEFT + band * (index + 0.5) - width / 2,
                y,
                width,
                HEIGHT - MARGIN_BOTTOM - y,
                f"{labels[index]}: {name} {value_format(value.value)}",
            )
        )
    hidden = _suppressed_markers(labels, [values], band)
    return _chart(title, x_ticks, y_ticks, [], bars, colour, name, hidden, not any(v > 0 for v in known))
