"""The reports' bar charts (charts.py's geometry drawn by templates/console/_chart.html): SVG a
phone scales, named for assistive technology, untrusted words escaped, bars as long as their
values, and nothing the CSP would refuse."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from chalicelib.adapters.jinja_templates import environment
from chalicelib.web.console import charts
from chalicelib.web.console.charts import VALUE_ROOM, WIDTH, Bar

SVG = "{http://www.w3.org/2000/svg}"


def bar_chart(bars: list[Bar], *, title: str, chart_id: str) -> str:
    """The chart as the reports page draws it: the geometry through the page's own template."""
    drawing = environment("en").from_string('{% from "console/_chart.html" import bar_chart %}{{ bar_chart(chart) }}')
    return drawing.render(chart=charts.bar_chart(bars, title=title, chart_id=chart_id))


def parsed(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_a_chart_is_an_image_named_by_its_title_that_scales_to_its_column() -> None:
    svg = parsed(bar_chart([Bar("Too small", 3, "3")], title="Returns by reason", chart_id="reasons"))

    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "reasons-title"
    title = svg.find(f"{SVG}title")
    assert title is not None and title.get("id") == "reasons-title" and title.text == "Returns by reason"
    assert svg.get("viewBox") == f"0 0 {WIDTH} 48" and svg.get("width") == "100%"


def test_bars_are_as_long_as_their_values_and_each_shows_its_label_and_value() -> None:
    svg = parsed(bar_chart([Bar("A", 10, "10 returns"), Bar("B", 5, "5 returns"), Bar("C", 0, "0")],
                           title="t", chart_id="c"))

    bars = [float(r.get("width", "")) for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-bar"]
    assert bars == [WIDTH - VALUE_ROOM, (WIDTH - VALUE_ROOM) / 2, 0]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["A", "10 returns", "B", "5 returns", "C", "0"]


def test_a_tiny_value_beside_a_huge_one_still_shows_a_bar() -> None:
    svg = parsed(bar_chart([Bar("big", 100_000, "x"), Bar("small", 1, "y")], title="t", chart_id="c"))

    bars = [float(r.get("width", "")) for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-bar"]
    assert bars[1] >= 2


def test_words_from_shoppers_and_the_catalogue_are_escaped() -> None:
    markup = str(bar_chart([Bar('<script>alert(1)</script>"', 1, "<b>1</b>")], title="<i>t</i>",
                           chart_id="c"))

    assert "<script>" not in markup and "<b>" not in markup and "<i>" not in markup
    parsed(markup)  # still well-formed


def test_a_long_label_is_cut_to_fit_the_drawing() -> None:
    svg = parsed(bar_chart([Bar("SKU-" + "X" * 80, 1, "1")], title="t", chart_id="c"))

    label = next(svg.iter(f"{SVG}text")).text or ""
    assert len(label) <= 48 and label.endswith("…")


def test_no_bars_draws_an_empty_chart_and_a_negative_value_is_refused() -> None:
    assert parsed(bar_chart([], title="t", chart_id="c")).find(f"{SVG}title") is not None
    with pytest.raises(ValueError):
        charts.bar_chart([Bar("x", -1, "-1")], title="t", chart_id="c")


def test_a_chart_needs_no_inline_style_or_script() -> None:
    markup = str(bar_chart([Bar("A", 1, "1")], title="t", chart_id="c"))

    assert not re.search(r"\sstyle\s*=|<style|<script|\son[a-z]+\s*=", markup, re.IGNORECASE)
