"""Orders refuse what a store could not have sold, naming each wrong field, and add up exactly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from chalicelib.domain.errors import RetourError, ValidationError
from chalicelib.domain.locale import normalize_locale
from chalicelib.domain.money import Money
from tests.builders import a_line, an_order

NAIVE = datetime(2026, 11, 1, 10, 0)


def fields_refused(**overrides: Any) -> tuple[str, ...]:
    """The fields an order built with `overrides` is refused for."""
    with pytest.raises(ValidationError) as caught:
        an_order(**overrides)
    return caught.value.fields


def test_the_builders_default_order_is_valid() -> None:
    # Every refusal below changes one thing; this shows the rest of the order is acceptable.
    order = an_order()
    assert order.number == "1001"
    assert order.line("L1") is not None


# --- each problem names its field ---------------------------------------------------------------

def test_a_duplicate_line_id_names_the_second_line() -> None:
    assert fields_refused(lines=[a_line(id="L1"), a_line(id="L1")]) == ("lines[1].id",)


def test_a_line_of_zero_quantity_is_refused() -> None:
    assert fields_refused(lines=[a_line(id="L1"), a_line(id="L2", quantity=0)]) == ("lines[1].quantity",)


def test_a_line_of_negative_quantity_is_refused() -> None:
    assert fields_refused(lines=[a_line(quantity=-1)]) == ("lines[0].quantity",)


@pytest.mark.parametrize("name", ["unit_price", "tax", "discount"])
def test_a_negative_line_amount_is_refused(name: str) -> None:
    line_overrides: dict[str, Any] = {name: -1}
    assert f"lines[0].{name}" in fields_refused(lines=[a_line(**line_overrides)])


def test_a_negative_shipping_total_is_refused() -> None:
    assert fields_refused(shipping_total=-600) == ("shipping_total",)


def test_a_discount_above_the_line_price_is_refused() -> None:
    # Two tees at 3300: the line is worth 6600, and a 6601 discount would pay the shopper.
    assert fields_refused(lines=[a_line(quantity=2, unit_price=3300, discount=6601)]) == ("lines[0].discount",)


def test_a_discount_of_the_whole_line_price_is_allowed() -> None:
    line = a_line(quantity=2, unit_price=3300, discount=6600, tax=0)
    assert an_order(lines=[line]).line("L1") == line
    assert line.paid == Money(0, "JPY")


def test_a_discount_is_compared_with_all_units_of_the_line_not_one() -> None:
    # `discount` is the total for the line's units: 4000 off two 3300 tees is fine.
    assert an_order(lines=[a_line(quantity=2, unit_price=3300, discount=4000)]).total == Money(3800, "JPY")


def test_a_line_in_another_currency_is_refused_for_each_of_its_amounts() -> None:
    fields = fields_refused(currency="JPY", lines=[a_line(currency="USD")])
    assert set(fields) == {"lines[0].unit_price", "lines[0].tax", "lines[0].discount"}


def test_one_amount_in_another_currency_is_refused() -> None:
    assert fields_refused(lines=[a_line(tax=Money(600, "USD"))]) == ("lines[0].tax",)


def test_shipping_in_another_currency_is_refused() -> None:
    assert fields_refused(currency="JPY", shipping_total=Money(600, "USD")) == ("shipping_total",)


@pytest.mark.parametrize("name", ["placed_at", "delivered_at", "fulfilled_at"])
def test_a_date_without_a_time_zone_is_refused(name: str) -> None:
    # A naive time would shift a return window by up to a day depending on the server's zone.
    assert fields_refused(**{name: NAIVE}) == (name,)


def test_an_order_not_yet_delivered_is_valid() -> None:
    assert an_order(delivered_at=None).delivered_at is None


@pytest.mark.parametrize(
    "email",
    ["", "aiko", "aiko@example", "aiko@@example.jp", "aiko @example.jp", "@example.jp",
     "aiko@example.", "a" * 250 + "@x.jp"],
)
def test_a_bad_email_is_refused(email: str) -> None:
    assert fields_refused(email=email) == ("email",)


def test_an_email_is_matched_trimmed_and_in_lower_case() -> None:
    assert an_order(email="  Aiko@Example.JP ").customer_email == "aiko@example.jp"


def test_an_order_without_lines_is_refused() -> None:
    assert fields_refused(lines=[]) == ("lines",)


def test_an_order_without_a_number_is_refused() -> None:
    assert fields_refused(number="  ") == ("number",)


def test_every_problem_of_an_order_is_reported_at_once() -> None:
    # A store fixing its export should see every mistake in one round trip, not one per try.
    fields = fields_refused(
        email="aiko",
        placed_at=NAIVE,
        lines=[a_line(id="L1"), a_line(id="L1", quantity=0), a_line(id="L3", tax=-1)],
    )
    assert set(fields) == {"email", "placed_at", "lines[1].id", "lines[1].quantity", "lines[2].tax"}


def test_an_invalid_order_is_a_retour_error_with_a_message_per_problem() -> None:
    with pytest.raises(RetourError) as caught:
        an_order(email="aiko", lines=[])
    assert caught.value.code == "invalid_request"
    assert "email" in caught.value.message and "line" in caught.value.message


# --- exact amounts ---------------------------------------------------------------------------------

def test_a_line_paid_is_its_units_less_discount_plus_tax() -> None:
    line = a_line(currency="USD", quantity=3, unit_price=1999, discount=600, tax=431)
    assert line.gross == Money(5997, "USD")
    assert line.paid == Money(5828, "USD")


def test_an_order_total_is_every_line_paid_plus_shipping() -> None:
    order = an_order(
        currency="USD",
        shipping_total=499,
        lines=[
            a_line(id="L1", currency="USD", quantity=3, unit_price=1999, discount=600, tax=431),
            a_line(id="L2", currency="USD", quantity=1, unit_price=250, discount=0, tax=20),
        ],
    )
    assert order.total == Money(6597, "USD")
    assert str(order.total) == "65.97 USD"


def test_a_yen_order_totals_whole_yen() -> None:
    # PRODUCT.md's order: two 3300-yen tees with 600 tax, 600 shipping, is 7800 yen, not 78.00.
    order = an_order(currency="JPY")
    assert order.total == Money(7800, "JPY")
    assert str(order.total) == "7800 JPY"


def test_a_won_order_totals_whole_won() -> None:
    order = an_order(
        currency="KRW", shipping_total=3000,
        lines=[a_line(currency="KRW", quantity=1, unit_price=39000, tax=3545, discount=0)],
    )
    assert order.total == Money(45545, "KRW")


# --- locales ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh_CN", "zh-Hans"), ("zh-Hans", "zh-Hans"),
        ("ZH-hans", "zh-Hans"), ("ja", "ja"), ("ja-JP", "ja"), ("ko", "ko"), (" ko-KR ", "ko"),
        ("en", "en"), ("en-US", "en"), ("en_GB", "en"),
    ],
)
def test_a_language_tag_is_normalized_to_a_supported_locale(tag: str, locale: str) -> None:
    assert normalize_locale(tag) == locale


@pytest.mark.parametrize("tag", ["fr", "de-DE", "zh-TW", "zh-Hant", "", "english"])
def test_a_language_we_do_not_speak_is_refused(tag: str) -> None:
    # zh-TW and zh-Hant are Traditional Chinese: mapping them to Simplified would be wrong.
    with pytest.raises(ValidationError) as caught:
        normalize_locale(tag)
    assert caught.value.fields == ("locale",)
