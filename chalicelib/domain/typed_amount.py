"""An amount of money as a person types it ("12.50", "-1,234.56", "1 234,56", "¥3,300", "−5"),
read into whole minor units of a currency by its exponent.

People write money with their own separators: with both "." and "," the last one is the decimal
mark; a lone "," before three digits groups thousands (a lone "." is a decimal point), except
where the currency's decimals say otherwise. An amount with more decimals than the currency has (2.505 USD, 1.5 JPY) is
refused, never rounded: money typed is money meant.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Final

from .currency import is_known_currency, minor_unit_exponent

# Symbols and words a person may type around the figure; the currency's own code too.
_SYMBOLS: Final = "$€£¥￥₩₹₽฿₫₪₺₴₱₦₡₲₭₮₸₼₾﷼元円圆원"
_MINUSES: Final = "\u2212\u2012\u2013\u2014\u2015\ufe63\uff0d"
_GROUP_SPACES: Final = " \u00a0\u202f\u2009'’"
_FIGURE: Final = re.compile(r"[0-9][0-9.,]*")
# The largest adjustment a form takes, in minor units (a typo of many digits is refused).
MAX_MINOR: Final = 10**12


class TypedAmountError(ValueError):
    """Why a typed amount is not an amount: `code` is one of the codes below."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


NOT_AN_AMOUNT: Final = "not_an_amount"
TOO_MANY_DECIMALS: Final = "too_many_decimals"
TOO_LARGE: Final = "too_large"


def parse_typed_amount(text: str, currency: str) -> int:
    """`text` in minor units of `currency` (negative when it says so); TypedAmountError if it is not
    an amount, has more decimals than the currency, or is past MAX_MINOR."""
    if not is_known_currency(currency):
        raise TypedAmountError(NOT_AN_AMOUNT)
    typed = unicodedata.normalize("NFKC", text or "")
    for minus in _MINUSES:
        typed = typed.replace(minus, "-")
    typed = re.sub(re.escape(currency), "", typed, flags=re.IGNORECASE).strip()
    negative = False
    signs = 0
    edges = _SYMBOLS + " \u00a0"
    while typed and (typed[0] in edges or typed[0] in "+-"):
        if typed[0] in "+-":
            signs += 1
            negative = typed[0] == "-"
        typed = typed[1:]
    typed = typed.rstrip(edges)
    if signs > 1:
        raise TypedAmountError(NOT_AN_AMOUNT)
    for space in _GROUP_SPACES:
        typed = typed.replace(space, ",") if space not in " \u00a0\u202f\u2009" else typed.replace(space, "")
    if not _FIGURE.fullmatch(typed) or typed[-1] in ".,":
        raise TypedAmountError(NOT_AN_AMOUNT)
    digits = _plain_digits(typed, minor_unit_exponent(currency))
    try:
        value = Decimal(digits)
    except InvalidOperation as error:  # pragma: no cover - the pattern leaves only digits and one point
        raise TypedAmountError(NOT_AN_AMOUNT) from error
    scaled = value.scaleb(minor_unit_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise TypedAmountError(TOO_MANY_DECIMALS)
    minor = int(scaled)
    if minor > MAX_MINOR:
        raise TypedAmountError(TOO_LARGE)
    return -minor if negative else minor


def _plain_digits(typed: str, exponent: int) -> str:
    """"1,234.56" -> "1234.56": which separator is the decimal mark, the groups checked."""
    marks = [(i, c) for i, c in enumerate(typed) if c in ".,"]
    if not marks:
        return typed
    kinds = {c for _, c in marks}
    decimal: int | None = None
    if len(kinds) == 2:
        decimal = marks[-1][0]
        if sum(1 for _, c in marks if c == marks[-1][1]) > 1:
            raise TypedAmountError(NOT_AN_AMOUNT)
    elif len(marks) == 1:
        after = len(typed) - marks[0][0] - 1
        # "1,234" is a thousand and more (unless the currency has three decimals) and "12,50" is
        # 12.5; "2.505" is a decimal point (so refused in dollars), except in a currency without
        # decimals, where "3.300" can only be three thousand three hundred.
        grouped = after == 3 and (exponent == 0 or (marks[0][1] == "," and exponent != 3))
        if not grouped:
            decimal = marks[0][0]
    whole = typed[:decimal] if decimal is not None else typed
    groups = re.split(r"[.,]", whole)
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        raise TypedAmountError(NOT_AN_AMOUNT)
    fraction = typed[decimal + 1:] if decimal is not None else ""
    return "".join(groups) + ("." + fraction if fraction else "")
