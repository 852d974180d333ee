"""Charts drawn on the server as SVG: the pages' Content-Security-Policy forbids inline scripts, and
a phone needs nothing but the markup. Each chart is an ``<svg role="img">`` with a ``<title>`` and a
``<desc>`` listing its numbers, scales to the width of its container (``viewBox``, no fixed width),
and the page shows the same numbers beside it in a table for screen readers and for copying.

No domain here: labels and values come in, escaped markup goes out. Colours are the site's (the
states' colours of static/css): met green, behind amber, missed red, n/a grey, each with a pattern
of its own in the legend's text so colour is never the only sign."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLOURS = {
    "met": "#2e7d32",
    "behind": "#b26a00",
    "missed": "#c62828",
    "na": "#9e9e9e",
    "bar": "#1565c0",
    "line": "#1565c0",
}


@dataclass(frozen=True)
class Segment:
    key: str  # a colour key of COLOURS
    label: str
    value: float


def _num(value: float) -> str:
    return f"{value:g}"


def _svg(width: int, height: int, title: str, desc: str, body: str) -> SafeString:
    return mark_safe(  # noqa: S308 — every text in body and title was escaped here
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title><desc>{escape(desc)}</desc>{body}</svg>'
    )


def bar_chart(
    title: str, rows: Sequence[tuple[str, float]], *, maximum: float | None = None, unit: str = ""
) -> SafeString:
    """Horizontal bars, one per (label, value), the value written at the bar's end."""
    width, label_w, row_h = 320, 110, 24
    top = max([maximum or 0, *[v for _, v in rows]]) or 1
    height = max(row_h, row_h * len(rows)) + 4
    parts = []
    for i, (label, value) in enumerate(rows):
        y = 2 + i * row_h
        bar = (width - label_w - 44) * (value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">{escape(label[:10])}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="{row_h - 8}" fill="{COLOURS["bar"]}" rx="2"/>'
            f'<text x="{label_w + bar + 4:.1f}" y="{y + 16}" font-size="12">{escape(_num(value))}{escape(unit)}</text>'
        )
    desc = "; ".join(f"{label}: {_num(value)}{unit}" for label, value in rows)
    return _svg(width, height, title, desc, "".join(parts))


def stacked_bars(title: str, rows: Sequence[tuple[str, Sequence[Segment]]]) -> SafeString:
    """One horizontal bar per row, split into segments (e.g. classes met / behind / missed)."""
    width, label_w, row_h = 320, 110, 24
    height = max(row_h, row_h * len(rows)) + 4
    parts = []
    descs = []
    for i, (label, segments) in enumerate(rows):
        y = 2 + i * row_h
        total = sum(s.value for s in segments) or 1
        x = float(label_w)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12">{escape(label[:10])}</text>'
        )
        for s in segments:
            w = (width - label_w - 4) * s.value / total
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                    f'fill="{COLOURS.get(s.key, COLOURS["bar"])}">'
                    f"<title>{escape(s.label)}: {escape(_num(s.value))}</title></rect>"
                )
                if w >= 14:
                    parts.append(
                        f'<text x="{x + w / 2:.1f}" y="{y + 16}" text-anchor="middle" font-size="11" fill="#fff">'
                        f"{escape(_num(s.value))}</text>"
                    )
            x += w
        descs.append(f"{label}: " + ", ".join(f"{s.label} {_num(s.value)}" for s in segments))
    return _svg(width, height, title, "; ".join(descs), "".join(parts))


def line_chart(
    title: str, points: Sequence[tuple[str, float]], *, low: float = 0, high: float | None = None
) -> SafeString:
    """A line through (label, value) points, the labels under them and the values above."""
    width, height, pad = 320, 140, 28
    if not points:
        return _svg(width, 40, title, "", "")
    high = high if high is not None else max(v for _, v in points)
    span = (high - low) or 1
    step = (width - 2 * pad) / max(1, len(points) - 1)
    coords = [
        (pad + i * step, height - pad - (height - 2 * pad) * (value - low) / span)
        for i, (_, value) in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#bbb"/>',
        f'<polyline points="{path}" fill="none" stroke="{COLOURS["line"]}" stroke-width="2"/>',
    ]
    for (label, value), (x, y) in zip(points, coords, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLOURS["line"]}"/>'
            f'<text x="{x:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="11">{escape(_num(value))}</text>'
            f'<text x="{x:.1f}" y="{height - pad + 14}" text-anchor="middle" font-size="11">{escape(label)}</text>'
        )
    desc = "; ".join(f"{label}: {_num(value)}" for label, value in points)
    return _svg(width, height, title, desc, "".join(parts))
