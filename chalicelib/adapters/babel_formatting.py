"""Money and dates as a shopper of a given language writes them, through Babel (CLDR data).

Pages, emails and labels all format through here, so ¥3,300 reads the same everywhere.
`locale` is one of our language tags (en, ja, zh-Hans, ko) or any locale Babel knows
(`de`, `fr_FR`), so a merchant's own documents can use theirs.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.numbers import format_currency

from ..domain.money import Money

# Our tags and the Babel locale each is written in. English money reads "$33.00" (en_US's
# narrow symbols for the order's own currency); English dates read "3 December 2026", one
# spelling for every English-speaking market (the same choice as the verdict messages).
_MONEY_LOCALES = {"en": "en_US", "ja": "ja_JP", "zh-Hans": "zh_Hans_CN", "ko": "ko_KR"}
_DATE_LOCALES = {"en": "en_GB", "ja": "ja_JP", "zh-Hans": "zh_Hans_CN", "ko": "ko_KR"}
_FALLBACK = "en"
# The decimals part of a CLDR currency pattern ("¤#,##0.00", "#,##0.00 ¤").
_DECIMALS = re.compile(r"0\.0+")


@cache
def _babel_locale(tag: str, table: tuple[tuple[str, str], ...]) -> Locale:
    mapped = dict(table).get(tag)
    if mapped is not None:
        return Locale.parse(mapped)
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(dict(table)[_FALLBACK])


def _locale_for_money(tag: str) -> Locale:
    return _babel_locale(tag, tuple(_MONEY_LOCALES.items()))


def _locale_for_dates(tag: str) -> Locale:
    return _babel_locale(tag, tuple(_DATE_LOCALES.items()))


def format_money(money: Money, locale: str) -> str:
    """`money` as a shopper of `locale` reads a price: ¥3,300, ₩33,000, $33.00, 33,00 €.

    The number of decimals is the currency's minor unit as Stripe counts it (JPY and KRW have
    none), never CLDR's own digits, so what is shown is exactly what is charged or paid.
    """
    babel_locale = _locale_for_money(locale)
    pattern = babel_locale.currency_formats["standard"].pattern
    exponent = money.exponent
    decimals = "0." + "0" * exponent if exponent else "0"
    pattern = _DECIMALS.sub(decimals, pattern)
    text = format_currency(
        money.to_decimal(), money.currency, format=pattern, locale=babel_locale,
        currency_digits=False,
    )
    # Japanese CLDR writes the full-width ￥; shops and receipts in Japan print ¥.
    return text.replace("\uffe5", "¥")


def format_date(day: date, locale: str) -> str:
    """A calendar day as a shopper of `locale` writes it: 3 December 2026, 2026年12月3日, 2026년 12월 3일."""
    if isinstance(day, datetime):
        day = day.date()
    return babel_format_date(day, format="long", locale=_locale_for_dates(locale))


def format_datetime(moment: datetime, locale: str, zone: tzinfo | None = None) -> str:
    """An instant as a date and a time of day to the minute, in `zone` (else the instant's own):
    3 Dec 2026, 23:30 · 2026/12/04 8:30."""
    if zone is not None:
        moment = moment.astimezone(zone)
    babel_locale = _locale_for_dates(locale)
    day = babel_format_date(moment.date(), format="medium", locale=babel_locale)
    time_of_day = babel_format_time(moment, format="short", tzinfo=moment.tzinfo, locale=babel_locale)
    pattern = str(babel_locale.datetime_formats["medium"])
    return pattern.replace("{1}", day).replace("{0}", time_of_day)


def zone_abbreviation(moment: datetime, zone: tzinfo) -> str:
    """The zone's short name at `moment`, as the tz database writes it (JST, KST, CET, EST, UTC);
    an offset-only name (Asia/Dubai's "+04") reads "UTC+04"."""
    name = moment.astimezone(zone).tzname() or ""
    if not name or name[0] in "+-":
        return f"UTC{name}"
    return name


def format_zoned_datetime(moment: datetime, locale: str, zone: tzinfo) -> str:
    """An instant in the store's `zone`, with the zone named: 3 Dec 2026, 14:05 JST ·
    2026/12/03 14:05 JST. Timelines show this so a shopper abroad knows whose clock it is."""
    return f"{format_datetime(moment, locale, zone)} {zone_abbreviation(moment, zone)}"
