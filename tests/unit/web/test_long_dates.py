"""The verdicts' dates are written exactly as Babel's CLDR data writes a long date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from babel.dates import format_date
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.web.i18n import BABEL_LOCALES, format_day


@pytest.mark.parametrize("locale", sorted(BABEL_LOCALES))
def test_every_day_of_a_year_reads_as_babel_writes_it(locale: str) -> None:
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert format_day(day, locale) == format_date(day, format="long", locale=BABEL_LOCALES[locale])
        day += timedelta(days=1)


@given(st.dates(min_value=date(1, 1, 1)), st.sampled_from(sorted(BABEL_LOCALES)))
def test_any_date_reads_as_babel_writes_it(day: date, locale: str) -> None:
    assert format_day(day, locale) == format_date(day, format="long", locale=BABEL_LOCALES[locale])
