"""Charts as SVG drawn on the server: no JavaScript, crisp on a projector, styled by app.css classes
(so dark mode and a strict CSP both hold). Each chart carries a title and a one-sentence summary;
the page puts a table of the same numbers beside it."""
from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

from conference.organizer.dashboard.stats import HourCount, InterestFigure

MAX_BARS = 72


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


def hours_chart(hours: list[HourCount], chart_id: str = "hours-chart") -> Markup:
    """Vertical bars: connections per hour (or per group of hours when the event is long)."""
    bars, size = coarsen(hours)
    width, height, left, right, top, bottom = 800, 320, 64, 12, 16, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_top(max((b.count for b in bars), default=0))
    unit = "hour" if size == 1 else f"{size} hours"
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMidYMid meet">',
             f'<title id="{chart_id}-title">Connections per {unit}</title>',
             f'<desc id="{chart_id}-desc">{escape(hours_summary(hours))}</desc>']
    for tick in (0, peak // 2, peak):
        y = top + plot_h - plot_h * tick / peak
        parts.append(f'<line class="chart-grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-axis" x="{left - 8}" y="{y + 5:.1f}" text-anchor="end">{tick:,}</text>')
    if bars:
        slot = plot_w / len(bars)
        label_every = max(1, math.ceil(len(bars) / 8))
        for i, bar in enumerate(bars):
            h = plot_h * bar.count / peak
            bar_w = min(max(slot * 0.8, 1), 48)  # a few bars stay bars, not slabs
            x = left + i * slot + (slot - bar_w) / 2
            parts.append(f'<rect class="chart-bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{bar_w:.1f}" height="{h:.1f}"><title>{escape(bar.label)}: '
                         f'{bar.count:,}</title></rect>')
            if i % label_every == 0:
                cx = left + i * slot + slot / 2
                day = f"{bar.start:%a} {bar.start.day}"
                parts.append(f'<text class="chart-axis" x="{cx:.1f}" y="{height - bottom + 22}" '
                             f'text-anchor="middle">{bar.start:%H}:00</text>')
                parts.append(f'<text class="chart-axis chart-axis-minor" x="{cx:.1f}" y="{height - bottom + 44}" '
                             f'text-anchor="middle">{escape(day)}</text>')
    else:
        parts.append(f'<text class="chart-label" x="{width / 2}" y="{height / 2}" text-anchor="middle">'
                     'No connections yet</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def interests_summary(figures: list[InterestFigure]) -> str:
    live = [f for f in figures if f.offered.raw or f.sought.raw]
    if not live:
        return "Nobody has chosen an interest yet."
    # Chosen by the published figures only: a suppressed count never ranks above a shown one.
    most_sought = max(live, key=lambda f: f.sought.low)
    most_offered = max(live, key=lambda f: f.offered.low)
    return (f"Most sought: {most_sought.name} ({most_sought.sought.shown} people). "
            f"Most offered: {most_offered.name} ({most_offered.offered.shown} people).")


def interests_chart(figures: list[InterestFigure], chart_id: str = "interests-chart") -> Markup:
    """Two horizontal bars per interest: people who can help with it, and people looking for it."""
    row_h, top, label_w, width = 34, 44, 300, 800
    bar_w = width - label_w - 70
    height = top + row_h * max(len(figures), 1) + 8
    peak = nice_top(max([f.offered.plot for f in figures] + [f.sought.plot for f in figures] + [0]))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMidYMin meet">',
             f'<title id="{chart_id}-title">Interests: people offering help and people looking for it</title>',
             f'<desc id="{chart_id}-desc">{escape(interests_summary(figures))}</desc>',
             f'<rect class="chart-bar" x="{label_w}" y="8" width="16" height="12"/>',
             f'<text class="chart-axis" x="{label_w + 22}" y="19">Can help with</text>',
             f'<rect class="chart-bar-alt" x="{label_w + 170}" y="8" width="16" height="12"/>',
             f'<text class="chart-axis" x="{label_w + 192}" y="19">Looking for</text>']
    for i, figure in enumerate(figures):
        y = top + i * row_h
        name = figure.name if len(figure.name) <= 34 else figure.name[:33] + "…"
        if figure.retired:
            name += " (retired)"
        parts.append(f'<text class="chart-label" x="{label_w - 10}" y="{y + 19}" text-anchor="end">'
                     f'<title>{escape(figure.name)}</title>{escape(name)}</text>')
        for offset, count, css in ((2, figure.offered, "chart-bar"), (16, figure.sought, "chart-bar-alt")):
            w = bar_w * count.plot / peak
            parts.append(f'<rect class="{css}" x="{label_w}" y="{y + offset}" width="{w:.1f}" height="12"/>')
            parts.append(f'<text class="chart-value" x="{label_w + w + 6:.1f}" y="{y + offset + 11}">'
                         f'{escape(count.shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
