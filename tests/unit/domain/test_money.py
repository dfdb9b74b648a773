"""Money: integer minor units of a known currency, never mixed, split so the parts add up."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.currency import ISO_4217
from chalicelib.domain.errors import CurrencyMismatchError, ValidationError
from chalicelib.domain.money import Money, total

# Amounts up to 10**15 minor units: the ceiling the admin API accepts.
amounts = st.integers(min_value=-(10**15), max_value=10**15)
currencies = st.sampled_from(sorted(ISO_4217))
# At least one positive weight: an allocation over nothing but zeros is refused (tested below).
weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(any)


# --- what Money refuses ---------------------------------------------------------------------

@pytest.mark.parametrize("minor", [33.0, 0.1, Decimal("3300"), "3300", True, False, None])
def test_an_amount_that_is_not_an_integer_is_refused(minor: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        Money(minor, "USD")
    assert caught.value.fields == ("amount",)


@pytest.mark.parametrize("currency", ["XYZ", "usd", "jpy", "", "US", "USDT", "XAU"])
def test_an_unknown_currency_is_refused(currency: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money(100, currency)
    assert caught.value.fields == ("currency",)


def test_amounts_in_different_currencies_cannot_be_added_or_subtracted() -> None:
    yen, dollars = Money(3300, "JPY"), Money(3300, "USD")
    with pytest.raises(CurrencyMismatchError):
        yen + dollars
    with pytest.raises(CurrencyMismatchError):
        yen - dollars


def test_amounts_in_different_currencies_cannot_be_compared() -> None:
    yen, won = Money(100, "JPY"), Money(100, "KRW")
    with pytest.raises(CurrencyMismatchError):
        yen < won
    with pytest.raises(CurrencyMismatchError):
        yen >= won


def test_a_currency_mismatch_is_a_validation_error_about_the_currency() -> None:
    # The web layer maps ValidationError to a 400 naming the field.
    with pytest.raises(ValidationError) as caught:
        Money(1, "EUR") + Money(1, "USD")
    assert caught.value.fields == ("currency",)


def test_the_same_number_in_two_currencies_is_not_the_same_amount() -> None:
    assert Money(100, "JPY") != Money(100, "USD")
    assert Money(100, "JPY") == Money(100, "JPY")


def test_a_total_in_one_currency_refuses_an_amount_in_another() -> None:
    with pytest.raises(CurrencyMismatchError):
        total([Money(100, "USD"), Money(100, "EUR")], "USD")


def test_the_total_of_nothing_is_zero_in_the_given_currency() -> None:
    assert total([], "KRW") == Money(0, "KRW")


def test_money_is_multiplied_only_by_whole_numbers() -> None:
    assert Money(3300, "JPY") * 2 == Money(6600, "JPY")
    assert 3 * Money(1999, "USD") == Money(5997, "USD")
    with pytest.raises(TypeError):
        Money(3300, "JPY") * 1.5  # type: ignore[operator]


def test_same_currency_arithmetic_is_exact() -> None:
    assert Money(1999, "USD") + Money(1, "USD") == Money(2000, "USD")
    assert Money(500, "EUR") - Money(501, "EUR") == Money(-1, "EUR")
    assert -Money(600, "CNY") == Money(-600, "CNY")
    assert Money(1, "USD") < Money(2, "USD") <= Money(2, "USD")


# --- zero-, two- and three-decimal currencies --------------------------------------------------

@pytest.mark.parametrize(
    ("money", "major"),
    [
        (Money(3300, "JPY"), Decimal("3300")),   # 3300 yen, not 33.00 yen
        (Money(50000, "KRW"), Decimal("50000")),
        (Money(3300, "USD"), Decimal("33.00")),
        (Money(5, "EUR"), Decimal("0.05")),
        (Money(1234, "KWD"), Decimal("1.234")),  # three-decimal dinar
        (Money(-250, "CNY"), Decimal("-2.50")),
    ],
)
def test_an_amount_reads_in_major_units_by_its_currency(money: Money, major: Decimal) -> None:
    assert money.to_decimal() == major
    assert str(money) == f"{major} {money.currency}"


@pytest.mark.parametrize(
    ("major", "currency", "minor"),
    [
        ("33.00", "USD", 3300),
        ("33", "USD", 3300),
        ("0.05", "EUR", 5),
        ("3300", "JPY", 3300),
        ("50000", "KRW", 50000),
        ("1.234", "KWD", 1234),
        (Decimal("-2.50"), "CNY", -250),
    ],
)
def test_a_major_unit_amount_becomes_minor_units(major: str | Decimal, currency: str, minor: int) -> None:
    assert Money.from_decimal(major, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("major", "currency"),
    [("33.5", "JPY"), ("0.1", "KRW"), ("33.005", "USD"), ("1.2345", "KWD")],
)
def test_a_major_unit_amount_finer_than_the_minor_unit_is_refused(major: str, currency: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Money.from_decimal(major, currency)
    assert caught.value.fields == ("amount",)


def test_a_major_unit_amount_in_an_unknown_currency_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Money.from_decimal("33.00", "XYZ")
    assert caught.value.fields == ("currency",)


@pytest.mark.parametrize("major", ["abc", "", "Infinity", "-Infinity", "NaN"])
def test_a_major_unit_amount_that_is_not_a_finite_number_is_refused(major: str) -> None:
    # The error family is the contract with the web layer: anything else becomes a 500.
    with pytest.raises(ValidationError) as caught:
        Money.from_decimal(major, "USD")
    assert caught.value.fields == ("amount",)


@given(amounts, currencies)
def test_minor_units_survive_a_trip_through_major_units(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert Money.from_decimal(str(money.to_decimal()), currency) == money


# --- percentages --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("minor", "percent", "expected"),
    [
        (3300, 10, 330),
        (25, 10, 3),        # 2.5 rounds up, not to the even 2
        (15, 10, 2),        # 1.5 rounds up too
        (24, 10, 2),        # 2.4 rounds down
        (-25, 10, -3),      # half away from zero on refunds that go the other way
        (-24, 10, -2),
        (5, "12.5", 1),     # 0.625
        (4, Decimal("12.5"), 1),  # 0.5 exactly
        (3, Decimal("12.5"), 0),  # 0.375
        (9999, 0, 0),
        (9999, 100, 9999),
    ],
)
def test_a_percentage_rounds_half_away_from_zero(minor: int, percent: int | str | Decimal, expected: int) -> None:
    assert Money(minor, "JPY").percent(percent) == Money(expected, "JPY")


# --- allocation ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("minor", "weights", "parts"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (2, [1, 1, 1], [1, 1, 0]),           # ties: earlier parts get the leftover unit
        (1000, [1, 2, 3], [167, 333, 500]),  # 166.67 has the largest remainder
        (101, [0, 1, 1], [0, 51, 50]),       # a zero weight gets nothing
        (100, [1, 0], [100, 0]),
        (0, [3, 7], [0, 0]),
        (600, [6600, 1500], [489, 111]),     # order tax over two lines by their value
    ],
)
def test_an_allocation_splits_by_largest_remainder(minor: int, weights: list[int], parts: list[int]) -> None:
    assert Money(minor, "JPY").allocate(weights) == [Money(part, "JPY") for part in parts]


@pytest.mark.parametrize("bad_weights", [[], [0, 0, 0], [1, -1], [1.5, 1], [True, 1]])
def test_an_allocation_over_nothing_or_over_bad_weights_is_refused(bad_weights: list[Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        Money(100, "USD").allocate(bad_weights)
    assert caught.value.fields == ("weights",)


@given(amounts, weights, currencies)
def test_an_allocation_always_adds_up_to_the_whole(minor: int, weights: list[int], currency: str) -> None:
    parts = Money(minor, currency).allocate(weights)
    assert len(parts) == len(weights)
    assert total(parts, currency) == Money(minor, currency)


@given(amounts, weights)
def test_every_allocated_part_is_within_one_minor_unit_of_its_exact_share(
    minor: int, weights: list[int]
) -> None:
    parts = Money(minor, "USD").allocate(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(minor * weight, sum(weights))
        assert abs(part.minor - exact) < 1


@given(amounts, weights)
def test_every_allocated_part_is_whole_minor_units_of_the_same_currency(
    minor: int, weights: list[int]
) -> None:
    for part in Money(minor, "KRW").allocate(weights):
        assert type(part.minor) is int
        assert part.currency == "KRW"


@given(amounts, weights)
def test_a_part_with_zero_weight_gets_nothing(minor: int, weights: list[int]) -> None:
    parts = Money(minor, "EUR").allocate(weights)
    assert all(part.is_zero() for part, weight in zip(parts, weights, strict=True) if weight == 0)
