"""The reports' pure parts: percentiles, the default and refused periods, and CSV cells no
spreadsheet runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.services.console_reports import Durations, PeriodError, parse_period, safe_cell

H = timedelta(hours=1)


def test_median_and_90th_percentile_by_nearest_rank() -> None:
    durations = Durations.of([H * n for n in (10, 1, 2, 3, 4, 5, 6, 7, 8, 9)])
    assert (durations.count, durations.median, durations.p90) == (10, 5.5 * H, 9 * H)
    assert Durations.of([3 * H]) == Durations(1, 3 * H, 3 * H)
    assert Durations.of([]) == Durations(0, None, None)


def test_no_period_is_the_last_30_days_today_included() -> None:
    period = parse_period(None, "", now=datetime(2026, 12, 3, 20, tzinfo=UTC))
    assert (period.first_day, period.last_day) == (date(2026, 11, 4), date(2026, 12, 3))


@pytest.mark.parametrize(("first", "last", "problems"), [
    ("2026-02-30", "2026-03-01", {"from": "day"}),
    ("2026-03-01", "tomorrow", {"to": "day"}),
    ("20260301", "", {"from": "day", "to": "day"}),
    ("2026-03-02", "2026-03-01", {"to": "order"}),
    ("2026-01-01", "2026-06-30", {"to": "length"}),
])
def test_a_bad_period_names_its_field_and_problem(first: str, last: str, problems: dict[str, str]) -> None:
    with pytest.raises(PeriodError) as refused:
        parse_period(first, last, now=datetime(2026, 12, 3, tzinfo=UTC))
    assert refused.value.problems == problems


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'])
def test_a_cell_that_could_start_a_formula_gets_an_apostrophe(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


def test_other_cells_are_left_as_they_are() -> None:
    assert [safe_cell(c) for c in ("R-1234-5678", "", "a=b", "3600")] == ["R-1234-5678", "", "a=b", "3600"]
