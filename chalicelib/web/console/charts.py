"""Charts for the console's reports: the geometry of horizontal bar charts, drawn on the server.

Pure: numbers and words in, the positions and lengths of each bar out. The SVG itself is a
Jinja template (templates/console/_chart.html, autoescaped like every page), with no JavaScript
and no style attribute (the CSP forbids inline styles): geometry is presentation attributes,
colours are classes in templates/assets/console.css. Each bar has its label above it and its
value at its end, so the chart reads at a glance at any width; the viewBox scales to the
column's width (a phone shows it whole, without sideways scroll). The SVG is `role="img"` named
by its <title>: a screen reader reads the table the page puts beside each chart, which holds the
same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class DrawnBar:
    """One bar placed in the drawing: the label's and the bar's baselines, its length, its words."""

    label: str
    text: str
    label_y: int
    bar_y: int
    value_y: int
    length: float
    value_x: float


@dataclass(frozen=True, slots=True)
class BarChart:
    """A chart ready to draw (templates/console/_chart.html)."""

    chart_id: str
    title: str
    width: int
    height: int
    track: int
    bar_height: int
    bars: tuple[DrawnBar, ...]

    @property
    def title_id(self) -> str:
        return f"{self.chart_id}-title"


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def bar_chart(bars: Sequence[Bar], *, title: str, chart_id: str) -> BarChart:
    """`bars` laid out, the longest value full width; `title` names the chart for assistive technology."""
    if any(bar.value < 0 for bar in bars):
        raise ValueError("a bar chart draws non-negative values")
    largest = max((bar.value for bar in bars), default=0) or 1
    span = WIDTH - VALUE_ROOM
    drawn = []
    for i, bar in enumerate(bars):
        y = TOP + i * ROW
        length = round(span * bar.value / largest, 1)
        # A value above zero stays visible however small it is beside the largest.
        if bar.value > 0:
            length = max(length, 2.0)
        drawn.append(DrawnBar(label=_label(bar.label), text=bar.text, label_y=y + LABEL_Y, bar_y=y + BAR_Y,
                              value_y=y + BAR_Y + BAR_HEIGHT - 3, length=length, value_x=round(length + 6, 1)))
    return BarChart(chart_id=chart_id, title=title, width=WIDTH, height=TOP + ROW * max(len(bars), 1),
                    track=span, bar_height=BAR_HEIGHT, bars=tuple(drawn))
