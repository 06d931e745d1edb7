"""Small server-rendered SVG charts for the admin dashboard: no JavaScript, no third-party library.

Each function returns finished, escaped SVG markup. Every bar or point carries a `<title>` with its
exact value (a tooltip), the chart has `role="img"` and an `aria-label`, and the page prints the same
numbers in a table beside it. Colours come from CSS classes (`templates/admin/analytics/dashboard.html`),
so the admin's light and dark themes both apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Number = int | float | Decimal


def _fmt(value: Number, *, money: bool = False) -> str:
    if money:
        return f"${Decimal(value):,.2f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def hbar_chart(
    rows: Sequence[tuple[str, Number, str]],
    *,
    label: str,
    width: int = 640,
    label_width: int = 210,
    row_height: int = 30,
    css_class: str = "bar",
) -> SafeString:
    """Horizontal bars: one row per (label, value, note). The value and the note print after the bar."""
    value_space = 150
    bar_space = width - label_width - value_space
    top = max((float(v) for _, v, _ in rows), default=0.0) or 1.0
    height = row_height * max(len(rows), 1) + 6
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(label)}">']
    for i, (name, value, note) in enumerate(rows):
        y = 3 + i * row_height
        w = bar_space * float(value) / top
        text = _fmt(value) + (f" · {note}" if note else "")
        parts.append(
            f"<g><title>{escape(name)}: {escape(text)}</title>"
            f'<text class="label" x="{label_width - 8}" y="{y + row_height / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(name)}</text>"
            f'<rect class="{css_class}" x="{label_width}" y="{y + 4}" width="{max(w, 1 if value else 0):.1f}" '
            f'height="{row_height - 8}" rx="2"></rect>'
            f'<text class="value" x="{label_width + w + 6:.1f}" y="{y + row_height / 2 + 4:.1f}">'
            f"{escape(text)}</text></g>"
        )
    if not rows:
        parts.append(f'<text class="label" x="{label_width}" y="20">No data in this range</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # safe: every interpolated string above is escaped


def paired_hbar_chart(
    rows: Sequence[tuple[str, Number, Number]],
    *,
    label: str,
    legend: tuple[str, str],
    width: int = 640,
    label_width: int = 210,
) -> SafeString:
    """Two bars per row (e.g. learners who started vs completed a module), with a legend."""
    value_space = 80
    bar_space = width - label_width - value_space
    top = max((float(max(a, b)) for _, a, b in rows), default=0.0) or 1.0
    row_height = 40
    height = 26 + row_height * max(len(rows), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(label)}">',
        f'<rect class="bar" x="{label_width}" y="4" width="12" height="12"></rect>'
        f'<text class="label" x="{label_width + 18}" y="14">{escape(legend[0])}</text>'
        f'<rect class="bar2" x="{label_width + 150}" y="4" width="12" height="12"></rect>'
        f'<text class="label" x="{label_width + 168}" y="14">{escape(legend[1])}</text>',
    ]
    for i, (name, a, b) in enumerate(rows):
        y = 24 + i * row_height
        for j, (value, cls, what) in enumerate(((a, "bar", legend[0]), (b, "bar2", legend[1]))):
            w = bar_space * float(value) / top
            yy = y + 2 + j * 16
            parts.append(
                f"<g><title>{escape(name)} · {escape(what)}: {_fmt(value)}</title>"
                f'<rect class="{cls}" x="{label_width}" y="{yy}" width="{max(w, 1 if value else 0):.1f}" '
                f'height="14" rx="2"></rect>'
                f'<text class="value" x="{label_width + w + 6:.1f}" y="{yy + 11}">{_fmt(value)}</text></g>'
            )
        parts.append(f'<text class="label" x="{label_width - 8}" y="{y + 21}" text-anchor="end">{escape(name)}</text>')
    if not rows:
        parts.append(f'<text class="label" x="{label_width}" y="40">No modules with lessons yet</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # safe: every interpolated string above is escaped


def time_chart(
    points: Sequence[tuple[date, Number | None]],
    *,
    label: str,
    kind: str = "columns",
    money: bool = False,
    width: int = 640,
    height: int = 180,
) -> SafeString:
    """A daily series as columns (counts) or a line (levels such as MRR). `None` values are gaps."""
    left, right, top_pad, bottom = 64, 12, 12, 24
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    values = [float(v) for _, v in points if v is not None]
    top = _nice_max(max(values, default=0.0))
    n = max(len(points), 1)
    step = plot_w / n
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(label)}">',
        # Axis: zero line, and gridlines at the top value and its half.
        f'<line class="axis" x1="{left}" y1="{top_pad + plot_h}" x2="{width - right}" y2="{top_pad + plot_h}"></line>'
        f'<line class="grid" x1="{left}" y1="{top_pad}" x2="{width - right}" y2="{top_pad}"></line>'
        f'<text class="label" x="{left - 6}" y="{top_pad + 4}" text-anchor="end">{_fmt(top, money=money)}</text>'
        f'<line class="grid" x1="{left}" y1="{top_pad + plot_h / 2}" x2="{width - right}" y2="{top_pad + plot_h / 2}">'
        "</line>"
        f'<text class="label" x="{left - 6}" y="{top_pad + plot_h / 2 + 4}" text-anchor="end">'
        f"{_fmt(top / 2, money=money)}</text>"
        f'<text class="label" x="{left - 6}" y="{top_pad + plot_h + 4}" text-anchor="end">'
        f"{_fmt(0, money=money)}</text>",
    ]

    def y_of(value: float) -> float:
        return top_pad + plot_h - plot_h * value / top

    if kind == "columns":
        gap = 1 if step > 3 else 0
        for i, (day, value) in enumerate(points):
            if value is None:
                continue
            x, y = left + i * step, y_of(float(value))
            parts.append(
                f"<g><title>{day:%Y-%m-%d}: {_fmt(value, money=money)}</title>"
                f'<rect class="bar" x="{x:.2f}" y="{y:.2f}" width="{max(step - gap, 0.5):.2f}" '
                f'height="{top_pad + plot_h - y:.2f}"></rect></g>'
            )
    else:
        coords = [
            (left + (i + 0.5) * step, y_of(float(value)), day, value)
            for i, (day, value) in enumerate(points)
            if value is not None
        ]
        if coords:
            path = " ".join(f"{x:.2f},{y:.2f}" for x, y, _, _ in coords)
            parts.append(f'<polyline class="line" points="{path}"></polyline>')
            # Invisible wide targets so every day's value shows on hover, without cluttering the line.
            for x, y, day, value in coords:
                parts.append(
                    f"<g><title>{day:%Y-%m-%d}: {_fmt(value, money=money)}</title>"
                    f'<circle class="point" cx="{x:.2f}" cy="{y:.2f}" r="{3 if len(coords) <= 62 else 1.5}">'
                    "</circle></g>"
                )
    if points:
        parts.append(
            f'<text class="label" x="{left}" y="{height - 6}">{points[0][0]:%b %-d, %Y}</text>'
            f'<text class="label" x="{width - right}" y="{height - 6}" text-anchor="end">'
            f"{points[-1][0]:%b %-d, %Y}</text>"
        )
    if not values:
        parts.append(f'<text class="label" x="{left + 8}" y="{top_pad + plot_h / 2}">No data in this range</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # safe: every interpolated string above is escaped
