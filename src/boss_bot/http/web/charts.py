"""Charts as server-side SVG: the geometry is computed here, ``_charts.html`` draws it.

Why SVG from the server: no chart library to vendor and keep up to date, nothing for the browser
to run, and the Content-Security-Policy stays strict (colours and sizes are SVG presentation
attributes, not inline styles). Each chart also carries its numbers as a table (shown on demand
under the chart) for screen readers and for copying.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

#: Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#666666")

WIDTH, HEIGHT = 520, 210
LEFT, RIGHT, TOP, BOTTOM = 70, 8, 12, 30
MAX_X_LABELS = 8

Fmt = Callable[[float], str]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class Polyline:
    points: str
    stroke: str
    title: str


@dataclass(frozen=True)
class Dot:
    cx: float
    cy: float
    fill: str
    title: str


@dataclass
class Chart:
    """One SVG chart and the table of its numbers."""

    id: str
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    rects: list[Rect] = field(default_factory=list)
    lines: list[Polyline] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    grid: list[tuple[float, float, float]] = field(default_factory=list)  # x1, x2, y
    legend: list[tuple[str, str]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    empty: bool = False


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def nice_bytes(value: float) -> float:
    """:func:`nice_max` in the unit the axis shows (KiB, MiB, …), so its labels are round."""
    unit = 1.0
    while value / unit >= 1024 and unit < 1024**4:
        unit *= 1024
    return unit * nice_max(value / unit)


def _frame(chart: Chart, top: float, fmt: Fmt, x_names: Sequence[str]) -> tuple[float, float]:
    """Axes: y grid lines and labels (0, half, top), x labels; returns (plot width, height)."""
    plot_w = chart.width - LEFT - RIGHT
    plot_h = chart.height - TOP - BOTTOM
    for frac in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - frac)
        chart.grid.append((LEFT, chart.width - RIGHT, y))
        chart.labels.append(Label(LEFT - 6, y + 4, fmt(top * frac), "end"))
    n = len(x_names)
    every = max(1, math.ceil(n / MAX_X_LABELS))
    slot = plot_w / max(n, 1)
    for i, name in enumerate(x_names):
        if i % every == 0 or i == n - 1:
            chart.labels.append(Label(LEFT + slot * (i + 0.5), chart.height - 10, name))
    return plot_w, plot_h


def stacked_bars(
    chart_id: str,
    title: str,
    x_names: Sequence[str],
    series: dict[str, list[float]],
    fmt: Fmt,
    nice: Callable[[float], float] = nice_max,
) -> Chart:
    """One bar per x, stacked by series (e.g. jobs per day, by platform)."""
    chart = Chart(chart_id, title, headers=["", *series.keys(), "total"])
    totals = [sum(values[i] for values in series.values()) for i in range(len(x_names))]
    top = nice(max(totals, default=0))
    plot_w, plot_h = _frame(chart, top, fmt, x_names)
    slot = plot_w / max(len(x_names), 1)
    for i, name in enumerate(x_names):
        base = 0.0
        for j, (key, values) in enumerate(series.items()):
            v = values[i]
            if v <= 0:
                continue
            h = plot_h * v / top
            y = TOP + plot_h * (1 - (base + v) / top)
            chart.rects.append(
                Rect(
                    LEFT + slot * i + slot * 0.15,
                    y,
                    slot * 0.7,
                    h,
                    colour(j),
                    f"{name} · {key}: {fmt(v)}",
                )
            )
            base += v
        chart.rows.append([name, *(fmt(v[i]) for v in series.values()), fmt(totals[i])])
    chart.legend = [(key, colour(j)) for j, key in enumerate(series)]
    chart.empty = not any(totals)
    return chart


def grouped_bars(
    chart_id: str,
    title: str,
    x_names: Sequence[str],
    series: dict[str, list[float]],
    fmt: Fmt,
    nice: Callable[[float], float] = nice_max,
) -> Chart:
    """Side-by-side bars per x (e.g. bytes down and up per day)."""
    chart = Chart(chart_id, title, headers=["", *series.keys()])
    top = nice(max((v for values in series.values() for v in values), default=0))
    plot_w, plot_h = _frame(chart, top, fmt, x_names)
    slot = plot_w / max(len(x_names), 1)
    width = slot * 0.8 / max(len(series), 1)
    for i, name in enumerate(x_names):
        for j, (key, values) in enumerate(series.items()):
            v = values[i]
            if v > 0:
                h = plot_h * v / top
                chart.rects.append(
                    Rect(
                        LEFT + slot * (i + 0.1) + width * j,
                        TOP + plot_h - h,
                        width,
                        h,
                        colour(j),
                        f"{name} · {key}: {fmt(v)}",
                    )
                )
        chart.rows.append([name, *(fmt(values[i]) for values in series.values())])
    chart.legend = [(key, colour(j)) for j, key in enumerate(series)]
    chart.empty = not any(v for values in series.values() for v in values)
    return chart


def lines(
    chart_id: str,
    title: str,
    x_names: Sequence[str],
    series: dict[str, list[float | None]],
    fmt: Fmt,
    top: float = 1.0,
) -> Chart:
    """One line per series; a None (no data that day) breaks nothing, it is simply skipped."""
    chart = Chart(chart_id, title, headers=["", *series.keys()])
    plot_w, plot_h = _frame(chart, top, fmt, x_names)
    slot = plot_w / max(len(x_names), 1)
    for j, (key, values) in enumerate(series.items()):
        points = []
        for i, v in enumerate(values):
            if v is None:
                continue
            x, y = LEFT + slot * (i + 0.5), TOP + plot_h * (1 - min(v, top) / top)
            points.append(f"{x:.1f},{y:.1f}")
            chart.dots.append(Dot(x, y, colour(j), f"{x_names[i]} · {key}: {fmt(v)}"))
        if len(points) > 1:
            chart.lines.append(Polyline(" ".join(points), colour(j), key))
    for i, name in enumerate(x_names):
        chart.rows.append([name, *("—" if v[i] is None else fmt(v[i]) for v in series.values())])  # type: ignore[arg-type]
    chart.legend = [(key, colour(j)) for j, key in enumerate(series)]
    chart.empty = not chart.dots
    return chart


def split(chart_id: str, title: str, parts: Sequence[tuple[str, float]], fmt: Fmt) -> Chart:
    """One horizontal bar divided in proportion (e.g. api / cli / fallback)."""
    chart = Chart(chart_id, title, height=64, headers=["", "count", "share"])
    total = sum(v for _, v in parts)
    x = float(RIGHT)  # no axis: the bar uses the whole width
    plot_w = chart.width - 2 * RIGHT
    for j, (name, v) in enumerate(parts):
        share = v / total if total else 0.0
        if v > 0:
            chart.rects.append(
                Rect(x, 12, plot_w * share, 28, colour(j), f"{name}: {fmt(v)} ({share:.0%})")
            )
            x += plot_w * share
        chart.rows.append([name, fmt(v), f"{share:.0%}"])
    chart.legend = [(name, colour(j)) for j, (name, _) in enumerate(parts)]
    chart.empty = total == 0
    return chart


__all__ = [
    "PALETTE",
    "Chart",
    "grouped_bars",
    "lines",
    "nice_bytes",
    "nice_max",
    "split",
    "stacked_bars",
]
