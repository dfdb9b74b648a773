"""Money and dates as each shopper writes them: zero-decimal currencies never grow decimals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.adapters.babel_formatting import format_date, format_datetime, format_money
from chalicelib.domain.money import Money

MONEY_SHOWN = [
    (Money(3300, "JPY"), "ja", "¥3,300"),
    (Money(3300, "JPY"), "en", "¥3,300"),
    (Money(33000, "KRW"), "ko", "₩33,000"),
    (Money(33000, "KRW"), "en", "₩33,000"),
    (Money(3300, "USD"), "en", "$33.00"),
    (Money(3300, "EUR"), "de", "33,00\xa0€"),
    (Money(3300, "EUR"), "fr_FR", "33,00\xa0€"),
    (Money(3300, "EUR"), "en", "€33.00"),
    (Money(3390, "CNY"), "zh-Hans", "¥33.90"),
    (Money(123456789, "JPY"), "ja", "¥123,456,789"),
    (Money(1234, "KWD"), "en", "KWD1.234"),
    (Money(-300, "JPY"), "ja", "-¥300"),
    (Money(0, "USD"), "en", "$0.00"),
]


@pytest.mark.parametrize(("money", "locale", "expected"), MONEY_SHOWN,
                         ids=[f"{m.currency}-{loc}" for m, loc, _ in MONEY_SHOWN])
def test_money_is_written_as_shoppers_of_the_locale_read_prices(money: Money, locale: str, expected: str) -> None:
    assert format_money(money, locale) == expected


def test_an_unknown_locale_falls_back_to_english() -> None:
    assert format_money(Money(3300, "USD"), "xx-nonsense") == "$33.00"
    assert format_date(date(2026, 12, 3), "tlh-nope") == "3 December 2026"


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "3 December 2026"), ("ja", "2026年12月3日"), ("zh-Hans", "2026年12月3日"), ("ko", "2026년 12월 3일"),
])
def test_dates_are_written_in_the_shoppers_language(locale: str, expected: str) -> None:
    assert format_date(date(2026, 12, 3), locale) == expected


def test_an_instant_is_shown_in_the_given_time_zone() -> None:
    moment = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    assert format_datetime(moment, "ja", ZoneInfo("Asia/Tokyo")).startswith("2026/12/04 8:30")
    assert format_datetime(moment, "en") == "3 Dec 2026, 23:30"
    assert format_datetime(moment, "ko", ZoneInfo("Asia/Seoul")) == "2026. 12. 4. AM 8:30"
