"""Shopper-facing words for verdicts, from the one catalog (chalicelib/locales, `make catalogs`
after changing a message; tests/unit/test_catalogs.py holds the catalogs complete)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..adapters.babel_formatting import format_date
from ..domain.eligibility import ParamValue, ReasonCode, Verdict
from ..domain.errors import ValidationError
from ..domain.locale import DEFAULT_LOCALE, normalize_locale
from ..locales import N_, catalog


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message whose wording depends on a count for extraction."""
    return (singular, plural)


# One message per reason code; {date} and {request_until} are dates, {days} and {limit} counts.
MESSAGES: dict[ReasonCode, str | tuple[str, str]] = {
    "within_window": N_("Returnable until {date}"),
    "abuse_limit": N_(
        "You can request this return — the store will review it first because of your recent returns"
    ),
    "window_passed": N_plural(
        "Outside the return window by {days} day — you can ask the store for an exception",
        "Outside the return window by {days} days — you can ask the store for an exception",
    ),
    "window_closed": N_("The return window for this item ended on {date}"),
    "final_sale": N_("Final sale items can't be returned"),
    "rule_not_returnable": N_("This item can't be returned"),
    "not_delivered_yet": N_("This item hasn't been delivered yet — you can return it once it arrives"),
    "not_shipped_yet": N_("This item hasn't shipped yet — you can return it once it's on its way"),
    "fully_returned": N_("This item has already been returned"),
    "already_requested": N_("This item is already in a return that's in progress"),
}

# The count that picks the plural form, for messages that have one.
_COUNTED_BY: dict[ReasonCode, str] = {"window_passed": "days_late"}


def supported_or_default(locale: str) -> str:
    """The supported locale for a language tag; English for anything we do not speak."""
    try:
        return normalize_locale(locale)
    except ValidationError:
        return DEFAULT_LOCALE


def format_day(day: date, locale: str) -> str:
    """A calendar date as a shopper of `locale` writes it in a sentence (3 December 2026, 2026年12月3日)."""
    return format_date(day, supported_or_default(locale))


def verdict_message(verdict: Verdict, locale: str) -> str:
    """The verdict in plain words, in `locale` (English for an unsupported locale)."""
    locale = supported_or_default(locale)
    words = catalog(locale)
    params = verdict.message_params
    values: dict[str, Any] = {
        name: format_day(value, locale) if isinstance(value, date) else value
        for name, value in params.items()
    }
    message = MESSAGES[verdict.reason_code]
    if isinstance(message, tuple):
        count = _count(params.get(_COUNTED_BY[verdict.reason_code], 0))
        values["days"] = count
        text = words.ngettext(message[0], message[1], count)
    else:
        text = words.gettext(message)
    return text.format(**values)


def verdict_to_json(verdict: Verdict, locale: str) -> dict[str, Any]:
    """The `verdict` object of a line in the lookup answer."""
    return {
        "status": verdict.status,
        "reason_code": verdict.reason_code,
        "message": verdict_message(verdict, locale),
        "returnable_until": verdict.returnable_until.isoformat() if verdict.returnable_until else None,
        "quantity_available": verdict.quantity_available,
    }


def _count(value: ParamValue) -> int:
    return value if isinstance(value, int) else 0

