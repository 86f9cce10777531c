"""Charts as SVG drawn on the server: no JavaScript, crisp on a projector, styled by app.css classes
(so dark mode and a strict CSP both hold). Each chart carries a title and a one-sentence summary;
the page puts a table of the same numbers beside it.

This module works out each chart's geometry as a `Plot` (numbers and text only); the markup is the
`plot` macro of templates/organizer/_charts.html, rendered with autoescaping by this module's own
Jinja environment, so a chart can be drawn outside a request too."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from conference.organizer.dashboard.stats import HourCount, InterestFigure

MAX_BARS = 72
TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)


@dataclass(frozen=True)
class Label:
    """A line of text; `title` is its tooltip (the whole name when the text is shortened)."""
    x: float
    y: float
    text: str
    css: str = "chart-axis"
    anchor: str = ""           # SVG text-anchor: "", "middle" or "end"
    title: str = ""


@dataclass(frozen=True)
class Bar:
    """A rectangle; `label` is its tooltip ("" for none)."""
    x: float
    y: float
    width: float
    height: float
    label: str = ""
    css: str = "chart-bar"


@dataclass(frozen=True)
class Tick:
    """A grid line across the plot at `y`, with its value beside the axis."""
    x1: float
    x2: float
    y: float
    value: Label


@dataclass(frozen=True)
class Plot:
    chart_id: str
    width: int
    height: int
    align: str                 # SVG preserveAspectRatio alignment, e.g. "xMidYMid"
    title: str
    summary: str
    ticks: tuple[Tick, ...] = ()
    bars: tuple[Bar, ...] = ()
    labels: tuple[Label, ...] = ()


def draw(plot: Plot) -> Markup:
    """The plot as SVG markup."""
    return Markup(_env.get_template("organizer/_charts.html").module.plot(plot).strip())


def nice_top(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^k that is at least `value` (an axis maximum)."""
    if value <= 0:
        return 1
    power = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def coarsen(hours: list[HourCount], limit: int = MAX_BARS) -> tuple[list[HourCount], int]:
    """Few enough bars to read: hours summed into 2, 3, 4, 6, 12 or 24-hour groups when there are many."""
    for size in (1, 2, 3, 4, 6, 12, 24, 48, 168):
        if math.ceil(len(hours) / size) <= limit:
            break
    if size == 1:
        return hours, 1
    grouped = [HourCount(hours[i].start, sum(h.count for h in hours[i:i + size]))
               for i in range(0, len(hours), size)]
    return grouped, size


def hours_summary(hours: list[HourCount]) -> str:
    if not hours:
        return "No connections yet."
    total = sum(h.count for h in hours)
    busiest = max(hours, key=lambda h: h.count)
    span = "1 hour" if len(hours) == 1 else f"{len(hours):,} hours"
    return f"{total:,} connections over {span}; the busiest hour was {busiest.label} with {busiest.count:,}."


def hours_plot(hours: list[HourCount], chart_id: str = "hours-chart") -> Plot:
    """Vertical bars: connections per hour (or per group of hours when the event is long)."""
    bars, size = coarsen(hours)
    width, height, left, right, top, bottom = 800, 320, 64, 12, 16, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_top(max((b.count for b in bars), default=0))
    unit = "hour" if size == 1 else f"{size} hours"
    ticks = []
    for tick in (0, peak // 2, peak):
        y = top + plot_h - plot_h * tick / peak
        ticks.append(Tick(left, width - right, y, Label(left - 8, y + 5, f"{tick:,}", anchor="end")))
    rects, labels = [], []
    if bars:
        slot = plot_w / len(bars)
        label_every = max(1, math.ceil(len(bars) / 8))
        for i, bar in enumerate(bars):
            h = plot_h * bar.count / peak
            bar_w = float(min(max(slot * 0.8, 1), 48))  # a few bars stay bars, not slabs
            x = left + i * slot + (slot - bar_w) / 2
            rects.append(Bar(x, top + plot_h - h, bar_w, h, f"{bar.label}: {bar.count:,}"))
            if i % label_every == 0:
                cx = left + i * slot + slot / 2
                labels.append(Label(cx, height - bottom + 22, f"{bar.start:%H}:00", anchor="middle"))
                labels.append(Label(cx, height - bottom + 44, f"{bar.start:%a} {bar.start.day}",
                                    css="chart-axis chart-axis-minor", anchor="middle"))
    else:
        labels.append(Label(width / 2, height / 2, "No connections yet", css="chart-label", anchor="middle"))
    return Plot(chart_id, width, height, "xMidYMid", f"Connections per {unit}", hours_summary(hours),
                tuple(ticks), tuple(rects), tuple(labels))


def hours_chart(hours: list[HourCount], chart_id: str = "hours-chart") -> Markup:
    """Connections per hour as SVG."""
    return draw(hours_plot(hours, chart_id))


def interests_summary(figures: list[InterestFigure]) -> str:
    live = [f for f in figures if f.offered.raw or f.sought.raw]
    if not live:
        return "Nobody has chosen an interest yet."
    # Chosen by the published figures only: a suppressed count never ranks above a shown one.
    most_sought = max(live, key=lambda f: f.sought.low)
    most_offered = max(live, key=lambda f: f.offered.low)
    return (f"Most sought: {most_sought.name} ({most_sought.sought.shown} people). "
            f"Most offered: {most_offered.name} ({most_offered.offered.shown} people).")


def interests_plot(figures: list[InterestFigure], chart_id: str = "interests-chart") -> Plot:
    """Two horizontal bars per interest: people who can help with it, and people looking for it."""
    row_h, top, label_w, width = 34, 44, 300, 800
    bar_w = width - label_w - 70
    height = top + row_h * max(len(figures), 1) + 8
    peak = nice_top(max([f.offered.plot for f in figures] + [f.sought.plot for f in figures] + [0]))
    bars = [Bar(label_w, 8, 16, 12), Bar(label_w + 170, 8, 16, 12, css="chart-bar-alt")]
    labels = [Label(label_w + 22, 19, "Can help with"), Label(label_w + 192, 19, "Looking for")]
    for i, figure in enumerate(figures):
        y = top + i * row_h
        name = figure.name if len(figure.name) <= 34 else figure.name[:33] + "…"
        if figure.retired:
            name += " (retired)"
        labels.append(Label(label_w - 10, y + 19, name, css="chart-label", anchor="end", title=figure.name))
        for offset, count, css in ((2, figure.offered, "chart-bar"), (16, figure.sought, "chart-bar-alt")):
            w = bar_w * count.plot / peak
            bars.append(Bar(label_w, y + offset, w, 12, css=css))
            labels.append(Label(label_w + w + 6, y + offset + 11, count.shown, css="chart-value"))
    return Plot(chart_id, width, height, "xMidYMin", "Interests: people offering help and people looking for it",
                interests_summary(figures), bars=tuple(bars), labels=tuple(labels))


def interests_chart(figures: list[InterestFigure], chart_id: str = "interests-chart") -> Markup:
    """Offered and sought per interest as SVG."""
    return draw(interests_plot(figures, chart_id))
