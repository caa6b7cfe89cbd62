"""Server-rendered SVG charts — no database, no JavaScript.

Pure string building with every text escaped. The page's Content-Security-Policy forbids
inline styles, so colours and fonts are SVG presentation attributes, never `style=""`.
Each chart is `role="img"` with a `<title>` and `<desc>`; the table next to it holds the
same numbers as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR = "#0b5cab"
BAR_EMPTY = "#e6e9ef"
INK = "#1d2330"
MUTED = "#5b6475"
GRID = "#d9dee7"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to measure (shown as "—")
    text: str  # the value as people read it, e.g. "45,5%"


def _svg_open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    cid = escape(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{cid}" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="{escape(FONT)}">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]


def horizontal_bars(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    maximum: float = 100.0,
    width: int = 600,
) -> Markup:
    """One bar per row, label above its bar: long OPD names stay readable on a phone."""
    label_h, bar_h, gap, top = 18, 16, 10, 6
    row_h = label_h + bar_h + gap
    height = top + max(1, len(bars)) * row_h
    value_w = 70
    track_w = width - value_w
    parts = _svg_open(chart_id, width, height, title, desc)
    for i, bar in enumerate(bars):
        y = top + i * row_h
        share = 0.0 if bar.value is None or maximum <= 0 else min(bar.value / maximum, 1.0)
        parts.append(
            f'<g><text x="0" y="{y + 13}" font-size="13" fill="{INK}">{escape(bar.label)}</text>'
            f'<rect x="0" y="{y + label_h}" width="{track_w}" height="{bar_h}" rx="3" '
            f'fill="{BAR_EMPTY}"/>'
            f'<rect x="0" y="{y + label_h}" width="{share * track_w:.1f}" height="{bar_h}" '
            f'rx="3" fill="{BAR}"/>'
            f'<text x="{width}" y="{y + label_h + 13}" font-size="13" fill="{INK}" '
            f'text-anchor="end">{escape(bar.text)}</text></g>'
        )
    if not bars:
        parts.append(f'<text x="0" y="20" font-size="13" fill="{MUTED}">—</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def column_trend(
    columns: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    width: int = 600,
    height: int = 220,
) -> Markup:
    """Vertical columns over time (weeks), with the count above each column."""
    left, bottom, top = 4, 34, 22
    plot_h = height - bottom - top
    n = max(1, len(columns))
    slot = (width - left) / n
    col_w = slot * 0.64
    peak = max((c.value or 0 for c in columns), default=0) or 1
    parts = _svg_open(chart_id, width, height, title, desc)
    baseline = height - bottom
    parts.append(
        f'<line x1="{left}" y1="{baseline}" x2="{width}" y2="{baseline}" stroke="{GRID}"/>'
    )
    for i, col in enumerate(columns):
        value = col.value or 0
        h = plot_h * value / peak
        x = left + i * slot + (slot - col_w) / 2
        cx = x + col_w / 2
        parts.append(
            f'<g><rect x="{x:.1f}" y="{baseline - h:.1f}" width="{col_w:.1f}" height="{h:.1f}" '
            f'rx="2" fill="{BAR}"/>'
            f'<text x="{cx:.1f}" y="{baseline - h - 5:.1f}" font-size="12" fill="{INK}" '
            f'text-anchor="middle">{escape(col.text)}</text>'
            f'<text x="{cx:.1f}" y="{baseline + 16}" font-size="11" fill="{MUTED}" '
            f'text-anchor="middle">{escape(col.label)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
