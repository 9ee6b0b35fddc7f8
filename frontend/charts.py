"""Charts drawn on the server as inline SVG: bar charts and line charts, nothing else.

The SVG carries a ``<title>`` and ``role="img"`` with a description, and every chart is paired in
its template with a table of the same numbers, so the figures are readable without sight and
without JavaScript.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil, log10

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

PALETTE = ("#1c58d9", "#2e9e5b", "#d98e04", "#b3261e", "#7b3fc4", "#0b7f8c", "#6b7280")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    colour: str = PALETTE[0]


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1.0
    exponent = 10 ** int(log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exponent:
            return float(step * exponent)
    return float(ceil(value))  # pragma: no cover


def _n(value: object) -> object:
    """Numbers as SVG-friendly text (format_html escapes its arguments to strings first)."""
    if isinstance(value, float):
        return f"{value:.1f}"
    return value


def _fmt(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    width: int = 640,
    height: int = 260,
    colours: Sequence[str] | None = None,
) -> SafeString:
    """Vertical bars, one per label, with the value above each bar (counts: whole ticks)."""
    left, right, top, bottom = 44, 12, 16, 80
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max(values, default=0))
    if all(float(v).is_integer() for v in values):
        top_value = max(4.0, ceil(top_value / 4) * 4.0)
    parts: list[str] = []
    parts.extend(_grid(left, top, plot_w, plot_h, top_value, unit))
    count = max(len(values), 1)
    slot = plot_w / count
    bar_w = min(slot * 0.65, 64)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + slot * i + (slot - bar_w) / 2
        h = plot_h * (value / top_value) if top_value else 0
        y = top + plot_h - h
        colour = colours[i % len(colours)] if colours else PALETTE[0]
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="3">'
                "<title>{}: {}{}</title></rect>",
                _n(x),
                _n(y),
                _n(bar_w),
                _n(h),
                _n(colour),
                _n(label),
                _n(_fmt(value)),
                _n(unit),
            )
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                _n(x + bar_w / 2),
                _n(y - 4),
                _n(_fmt(value)),
            )
        )
        lx, ly = left + slot * i + slot / 2, top + plot_h + 14
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" transform="rotate(-30 {} {})">{}</text>',
                _n(lx),
                _n(ly),
                _n(lx),
                _n(ly),
                _n(_short(label, 18)),
            )
        )
    return _svg(width, height, title, parts)


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    unit: str = "",
    width: int = 900,
    height: int = 280,
    max_value: float | None = None,
) -> SafeString:
    """One polyline per series; gaps (``None``) break the line. Points carry tooltips."""
    left, right, top, bottom = 52, 32, 16, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    all_values = [v for s in series for v in s.values if v is not None]
    top_value = max_value if max_value is not None else _nice_max(max(all_values, default=0))
    parts: list[str] = list(_grid(left, top, plot_w, plot_h, top_value, unit))
    count = len(x_labels)
    step = plot_w / max(count - 1, 1)

    def point(i: int, v: float) -> tuple[float, float]:
        x = left + (step * i if count > 1 else plot_w / 2)
        return x, top + plot_h - plot_h * (v / top_value if top_value else 0)

    for i, label in enumerate(x_labels):
        # Every label when few, else every other one, to keep them legible.
        if count <= 8 or i % 2 == 0:
            x, _ = point(i, 0)
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                    _n(x),
                    _n(top + plot_h + 18),
                    _n(label),
                )
            )
    for s in series:
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(s.values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x, y = point(i, v)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3.5" fill="{}"><title>{} {}: {}{}</title></circle>',
                    _n(x),
                    _n(y),
                    _n(s.colour),
                    _n(s.label),
                    _n(x_labels[i]),
                    _n(_fmt(v)),
                    _n(unit),
                )
            )
        if segment:
            segments.append(segment)
        for seg in segments:
            parts.append(
                format_html(
                    '<polyline class="line" points="{}" stroke="{}"/>', " ".join(seg), s.colour
                )
            )
    return _svg(width, height, title, parts)


def _grid(left: int, top: int, w: int, h: int, top_value: float, unit: str) -> list[str]:
    parts: list[str] = []
    for i in range(5):
        y = top + h - h * i / 4
        parts.append(
            format_html(
                '<line class="grid-line" x1="{}" x2="{}" y1="{}" y2="{}"/>',
                _n(left),
                _n(left + w),
                _n(y),
                _n(y),
            )
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end">{}{}</text>',
                _n(left - 6),
                _n(y + 4),
                _n(_fmt(top_value * i / 4)),
                _n(unit),
            )
        )
    parts.append(
        format_html(
            '<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>', left, left + w, top + h, top + h
        )
    )
    return parts


def _short(label: str, limit: int = 14) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(width: int, height: int, title: str, parts: list[str]) -> SafeString:
    # Every part is already a SafeString from format_html: joined without escaping again.
    body = format_html_join("", "{}", ((part,) for part in parts))
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        width,
        height,
        title,
        title,
        body,
    )
