"""Charts for the console's reports: horizontal bars as inline SVG, drawn on the server.

Pure: numbers and words in, SVG markup out. No JavaScript and no style attribute (the CSP
forbids inline styles): geometry is presentation attributes, colours are classes in
templates/assets/console.css. Each bar has its label above it and its value at its end, so the
chart reads at a glance at any width; the viewBox scales to the column's width (a phone shows it
whole, without sideways scroll). The SVG is `role="img"` named by its <title>: a screen reader
reads the table the page puts beside each chart, which holds the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# The drawing's own units; the SVG scales to its column (CSS: width 100%, height auto).
WIDTH = 400
# Room at the right of the longest bar for its value.
VALUE_ROOM = 92
ROW = 44
LABEL_Y = 15
BAR_Y = 21
BAR_HEIGHT = 16
TOP = 4
MAX_LABEL = 48


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its length (any non-negative number) and the value as it is written."""

    label: str
    value: float
    text: str


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def bar_chart(bars: Sequence[Bar], *, title: str, chart_id: str) -> Markup:
    """An SVG of `bars`, longest value full width; `title` names it for assistive technology."""
    if any(bar.value < 0 for bar in bars):
        raise ValueError("a bar chart draws non-negative values")
    largest = max((bar.value for bar in bars), default=0) or 1
    span = WIDTH - VALUE_ROOM
    height = TOP + ROW * max(len(bars), 1)
    title_id = f"{chart_id}-title"
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(title_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
    ]
    for i, bar in enumerate(bars):
        y = TOP + i * ROW
        length = round(span * bar.value / largest, 1)
        # A value above zero stays visible however small it is beside the largest.
        if bar.value > 0:
            length = max(length, 2.0)
        parts.append(
            f'<g class="chart-row"><text class="chart-label" x="0" y="{y + LABEL_Y}" font-size="14">'
            f"{escape(_label(bar.label))}</text>"
            f'<rect class="chart-track" x="0" y="{y + BAR_Y}" width="{span}" height="{BAR_HEIGHT}" rx="2"/>'
            f'<rect class="chart-bar" x="0" y="{y + BAR_Y}" width="{length}" height="{BAR_HEIGHT}" rx="2"/>'
            f'<text class="chart-value" x="{round(length + 6, 1)}" y="{y + BAR_Y + BAR_HEIGHT - 3}" '
            f'font-size="14">{escape(bar.text)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
