"""Amounts typed as people write money, read into minor units by the currency's exponent."""

from __future__ import annotations

import pytest

from chalicelib.domain.typed_amount import (
    MAX_MINOR,
    NOT_AN_AMOUNT,
    TOO_LARGE,
    TOO_MANY_DECIMALS,
    TypedAmountError,
    parse_typed_amount,
)


@pytest.mark.parametrize(("typed", "currency", "minor"), [
    ("25", "USD", 2500),
    ("12.5", "USD", 1250),
    ("-10.50", "USD", -1050),
    ("−10.50", "USD", -1050),  # a typographic minus
    ("+3", "EUR", 300),
    ("1,234.56", "USD", 123456),
    ("1.234,56", "EUR", 123456),
    ("1 234,56", "EUR", 123456),
    ("1'234.50", "CHF", 123450),
    ("12,50", "EUR", 1250),
    ("1,234", "USD", 123400),  # a lone comma before three digits groups thousands
    ("$ 5", "USD", 500),
    ("-$5.25", "USD", -525),
    ("5.25 usd", "USD", 525),
    ("¥3,300", "JPY", 3300),
    ("3.300", "JPY", 3300),  # no decimals in yen: the point can only group
    ("３３００", "JPY", 3300),  # full-width digits from a Japanese keyboard
    ("₩33,000", "KRW", 33000),
    ("1.234", "KWD", 1234),  # three decimals
])
def test_an_amount_as_people_type_it(typed: str, currency: str, minor: int) -> None:
    assert parse_typed_amount(typed, currency) == minor


@pytest.mark.parametrize(("typed", "currency", "code"), [
    ("2.505", "USD", TOO_MANY_DECIMALS),  # never rounded, never read as 2,505 dollars
    ("1.5", "JPY", TOO_MANY_DECIMALS),
    ("", "USD", NOT_AN_AMOUNT),
    ("ten", "USD", NOT_AN_AMOUNT),
    ("12abc", "USD", NOT_AN_AMOUNT),
    ("--5", "USD", NOT_AN_AMOUNT),
    ("1e5", "USD", NOT_AN_AMOUNT),
    ("1,23,4", "USD", NOT_AN_AMOUNT),
    ("1,2.3,4", "USD", NOT_AN_AMOUNT),
    ("5.", "USD", NOT_AN_AMOUNT),
    ("5", "XXX", NOT_AN_AMOUNT),
    (str(MAX_MINOR + 1), "JPY", TOO_LARGE),
])
def test_what_is_not_an_amount_is_refused_with_its_reason(typed: str, currency: str, code: str) -> None:
    with pytest.raises(TypedAmountError) as refused:
        parse_typed_amount(typed, currency)
    assert refused.value.code == code
