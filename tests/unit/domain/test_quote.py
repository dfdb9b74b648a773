"""The quote: exact money for a return, and the caps that keep it within what was paid."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.money import Money
from chalicelib.domain.notes import MAX_NOTE
from chalicelib.domain.order import Address, Order, OrderLine, Payment
from chalicelib.domain.policy import DEFAULT_POLICY, Fees, Policy, Resolutions
from chalicelib.domain.quote import Quote, Selection, quote
from chalicelib.domain.shipping import SHIPPING_REFUND_OCCASIONS


def a_line(currency: str = "JPY", **overrides: Any) -> OrderLine:
    line = OrderLine(
        id="L1", sku="TEE-NAVY-M", title="Organic tee", quantity=2,
        unit_price=Money(3300, currency), tax=Money(600, currency), discount=Money(0, currency),
        product_type="apparel",
    )
    return replace(line, **overrides)


def an_order(*lines: OrderLine, currency: str = "JPY", shipping: int = 600) -> Order:
    return Order(
        number="1001", email="aiko@example.jp", customer_name="山田 愛子", locale="ja",
        currency=currency, placed_at=datetime(2026, 11, 1, 10, tzinfo=timezone.utc),
        delivered_at=datetime(2026, 11, 3, 9, tzinfo=timezone.utc),
        shipping_address=Address("山田 愛子", "1-2-3 Jingumae", "Shibuya-ku", "150-0001", "JP"),
        payment=Payment("stripe", "pi_1001"), shipping_total=Money(shipping, currency),
        lines=lines or (a_line(currency),),
    )


def a_policy(restocking: int = 0, shipping: tuple[Money, ...] = (), bonus: int = 10,
             **overrides: Any) -> Policy:
    return replace(
        DEFAULT_POLICY,
        fees=Fees(restocking_percent=restocking, return_shipping=shipping),
        resolutions=Resolutions(store_credit_bonus_percent=bonus),
        **overrides,
    )


def pick(line_id: str = "L1", quantity: int = 1, reason: str = "changed_mind", note: str = "") -> Selection:
    return Selection(line_id, quantity, reason, note)


def amounts(q: Quote) -> tuple[int, int, int, int, int]:
    return (q.items.minor, q.tax.minor, q.fees.minor, q.bonus.minor, q.total.minor)


def test_one_unit_of_the_product_md_order_refunds_its_price_and_tax_share() -> None:
    q = quote(an_order(), [pick(quantity=1)], a_policy(), resolution="refund")

    assert q.amounts() == {"currency": "JPY", "items": 3300, "tax": 300, "fees": 0, "bonus": 0, "shipping": 0, "total": 3600}


def test_the_line_discount_is_prorated_to_the_units_returned() -> None:
    line = a_line("USD", quantity=3, unit_price=Money(1000, "USD"), discount=Money(100, "USD"),
                  tax=Money(0, "USD"))
    order = an_order(line, currency="USD")

    one = quote(order, [pick(quantity=1)], a_policy(), resolution="refund")

    assert one.items == Money(967, "USD")


def test_the_returns_of_a_line_add_up_to_exactly_what_was_paid_for_it() -> None:
    line = a_line("USD", quantity=3, unit_price=Money(1000, "USD"), discount=Money(101, "USD"),
                  tax=Money(250, "USD"))
    order = an_order(line, currency="USD")

    parts = [quote(order, [pick(quantity=1)], a_policy(), resolution="refund", returned_before={"L1": done})
             for done in range(3)]

    assert sum(p.total.minor for p in parts) == line.paid.minor == 3149
    assert [p.total.minor for p in parts] == [1051, 1049, 1049]


def test_the_tax_share_goes_by_largest_remainder() -> None:
    line = a_line("KRW", quantity=3, unit_price=Money(10000, "KRW"), tax=Money(1000, "KRW"))
    order = an_order(line, currency="KRW", shipping=0)

    taxes = [quote(order, [pick(quantity=1)], a_policy(), resolution="refund",
                   returned_before={"L1": done}).tax.minor for done in range(3)]

    assert taxes == [334, 333, 333]


def test_restocking_is_a_percent_of_the_item_value_per_line() -> None:
    order = an_order(a_line(), a_line(id="L2", sku="SOCKS"))
    policy = a_policy(restocking=15)

    q = quote(order, [pick("L1", 1), pick("L2", 2, reason="damaged", note="torn seam")], policy,
              resolution="refund")

    assert [line.fees.minor for line in q.lines] == [495, 0]
    assert (q.restocking_fee.minor, q.fees.minor) == (495, 495)
    assert [line.fees_waived for line in q.lines] == [False, True]


def test_restocking_rounds_half_away_from_zero() -> None:
    line = a_line("USD", quantity=1, unit_price=Money(1005, "USD"), tax=Money(0, "USD"))

    q = quote(an_order(line, currency="USD"), [pick()], a_policy(restocking=10), resolution="refund")

    assert q.fees == Money(101, "USD")


# (what, return shipping fees, reasons of the two lines, expected fees)
SHIPPING_CASES = [
    ("the fee in the order currency is charged once per return", (Money(800, "JPY"),),
     ("changed_mind", "too_small"), 800),
    ("a fee in another currency does not apply", (Money(595, "USD"),), ("changed_mind", "too_small"), 0),
    ("a reason that waives fees waives the whole parcel's fee", (Money(800, "JPY"), Money(595, "USD")),
     ("changed_mind", "wrong_item"), 0),
    ("no fee set, no fee", (), ("changed_mind", "too_small"), 0),
]


@pytest.mark.parametrize(("what", "fees", "reasons", "expected"), SHIPPING_CASES,
                         ids=[case[0] for case in SHIPPING_CASES])
def test_return_shipping_is_a_fee_per_return_in_the_order_currency(
    what: str, fees: tuple[Money, ...], reasons: tuple[str, str], expected: int
) -> None:
    order = an_order(a_line(), a_line(id="L2", sku="SOCKS"))

    q = quote(order, [pick("L1", reason=reasons[0]), pick("L2", reason=reasons[1])], a_policy(shipping=fees),
              resolution="refund")

    assert (q.return_shipping_fee.minor, q.fees.minor) == (expected, expected)
    assert sum(line.fees.minor for line in q.lines) == expected


def test_fees_never_make_a_return_cost_the_shopper_money() -> None:
    line = a_line(quantity=1, unit_price=Money(300, "JPY"), tax=Money(30, "JPY"))

    q = quote(an_order(line), [pick()], a_policy(restocking=50, shipping=(Money(5000, "JPY"),)),
              resolution="refund")

    assert amounts(q) == (300, 30, 330, 0, 0)


def test_store_credit_adds_the_bonus_on_the_value_after_fees() -> None:
    q = quote(an_order(), [pick(quantity=2)], a_policy(shipping=(Money(800, "JPY"),), bonus=10),
              resolution="store_credit")

    assert amounts(q) == (6600, 600, 800, 640, 7040)
    assert q.refund_value == Money(6400, "JPY")


def test_a_refund_gets_no_bonus() -> None:
    q = quote(an_order(), [pick(quantity=2)], a_policy(bonus=10), resolution="refund")

    assert q.bonus.is_zero()


def test_nothing_is_refunded_beyond_what_is_left_on_the_payment() -> None:
    order = an_order()  # 6600 + 600 tax + 600 shipping = 7800
    q = quote(order, [pick(quantity=2)], a_policy(), resolution="refund", already_refunded=Money(2000, "JPY"))

    assert q.total == Money(5800, "JPY")
    assert q.items + q.tax - q.fees + q.bonus == q.total


def test_an_order_already_refunded_in_full_quotes_zero() -> None:
    order = an_order()

    q = quote(order, [pick(quantity=2)], a_policy(), resolution="store_credit", already_refunded=order.total)

    assert q.total.is_zero()


def test_the_quote_records_the_policy_version_and_the_resolution() -> None:
    q = quote(an_order(), [pick()], a_policy().with_version(4), resolution="store_credit")

    assert (q.policy_version, q.resolution) == (4, "store_credit")


# (what, selections, policy overrides, resolution, fields named)
INVALID_CASES: list[tuple[str, list[Selection], dict[str, Any], str, tuple[str, ...]]] = [
    ("an unknown line", [pick("L9")], {}, "refund", ("lines[0].line_id",)),
    ("a quantity larger than the line", [pick(quantity=3)], {}, "refund", ("lines[0].quantity",)),
    ("a quantity of zero", [pick(quantity=0)], {}, "refund", ("lines[0].quantity",)),
    ("a missing required note", [pick(reason="damaged", note="  ")], {}, "refund", ("lines[0].note",)),
    ("an unknown reason", [pick(reason="bored")], {}, "refund", ("lines[0].reason",)),
    ("a resolution the store does not offer", [pick()],
     {"resolutions": Resolutions(store_credit=False)}, "store_credit", ("resolution",)),
    ("an unknown resolution", [pick()], {}, "swap", ("resolution",)),
    ("an exchange when the store offers none", [pick()], {"exchanges": "off"}, "exchange", ("resolution",)),
    ("an exchange without its variant", [pick()], {}, "exchange", ("lines[0].exchange_for",)),
    ("a line chosen twice", [pick(), pick()], {}, "refund", ("lines[1].line_id",)),
    ("no lines", [], {}, "refund", ("lines",)),
    ("every problem at once", [pick("L9", reason="bored"), pick(quantity=5, reason="damaged")], {}, "gift",
     ("resolution", "lines[0].line_id", "lines[0].reason", "lines[1].quantity", "lines[1].note")),
]


@pytest.mark.parametrize(("what", "selections", "policy_overrides", "resolution", "fields"), INVALID_CASES,
                         ids=[case[0] for case in INVALID_CASES])
def test_a_bad_selection_is_refused_naming_the_field(
    what: str, selections: list[Selection], policy_overrides: dict[str, Any], resolution: str,
    fields: tuple[str, ...],
) -> None:
    policy = replace(a_policy(), **policy_overrides)

    with pytest.raises(ValidationError) as error:
        quote(an_order(), selections, policy, resolution=resolution)

    assert error.value.fields == fields


def test_units_in_earlier_returns_cannot_be_quoted_again() -> None:
    with pytest.raises(ValidationError) as error:
        quote(an_order(), [pick(quantity=2)], a_policy(), resolution="refund", returned_before={"L1": 1})

    assert error.value.fields == ("lines[0].quantity",)


def test_already_refunded_in_another_currency_is_refused() -> None:
    with pytest.raises(ValidationError) as error:
        quote(an_order(), [pick()], a_policy(), resolution="refund", already_refunded=Money(1, "USD"))

    assert error.value.fields == ("already_refunded",)


# Property tests ---------------------------------------------------------------------------------

CURRENCIES = ["JPY", "KRW", "USD", "EUR", "CNY", "BHD"]
REASONS = [reason.code for reason in DEFAULT_POLICY.reasons]


@st.composite
def lines_in(draw: st.DrawFn, currency: str) -> OrderLine:
    quantity = draw(st.integers(1, 6))
    unit_price = draw(st.integers(0, 200_000))
    return OrderLine(
        id="", sku="SKU", title="Thing", quantity=quantity, unit_price=Money(unit_price, currency),
        tax=Money(draw(st.integers(0, 40_000)), currency),
        discount=Money(draw(st.integers(0, unit_price * quantity)), currency),
    )


@st.composite
def returns(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(CURRENCIES))
    lines = [replace(line, id=f"L{i}") for i, line in enumerate(draw(st.lists(lines_in(currency), min_size=1, max_size=4)))]
    order = an_order(*lines, currency=currency, shipping=draw(st.integers(0, 3000)))
    policy = a_policy(
        restocking=draw(st.integers(0, 100)), bonus=draw(st.integers(0, 100)),
        shipping=draw(st.sampled_from([(), (Money(draw(st.integers(0, 5000)), currency),)])),
        original_shipping_refund=tuple(draw(st.lists(st.sampled_from(SHIPPING_REFUND_OCCASIONS), unique=True))),
    )
    returned_before = {line.id: draw(st.integers(0, line.quantity - 1)) for line in lines}
    chosen = draw(st.lists(st.sampled_from(lines), min_size=1, unique_by=lambda line: line.id))
    selections = [
        Selection(line.id, draw(st.integers(1, line.quantity - returned_before[line.id])),
                  draw(st.sampled_from(REASONS)), note="see photos")
        for line in chosen
    ]
    return {
        "order": order, "selections": selections, "policy": policy,
        "resolution": draw(st.sampled_from(["refund", "store_credit"])),
        "already_refunded": Money(draw(st.integers(0, order.total.minor)), currency),
        "returned_before": returned_before,
        "at": datetime(2026, 11, 3, tzinfo=timezone.utc) + timedelta(hours=draw(st.integers(0, 24 * 20))),
    }


@given(returns())
def test_quote_parts_always_sum_to_the_total(args: dict[str, Any]) -> None:
    q = quote(**args)

    assert q.items + q.tax - q.fees + q.bonus + q.shipping == q.total
    for part in ("items", "tax", "fees", "bonus"):
        assert sum(getattr(line, part).minor for line in q.lines) == getattr(q, part).minor
    # The original shipping is the return's own line, beside the lines.
    assert sum(line.total.minor for line in q.lines) + q.shipping.minor == q.total.minor
    assert q.shipping <= args["order"].shipping_total
    for line in q.lines:
        assert line.items + line.tax - line.fees + line.bonus == line.total
    assert q.restocking_fee + q.return_shipping_fee == q.fees


@given(returns())
def test_a_quote_never_pays_back_more_than_was_paid_per_line_and_per_order(args: dict[str, Any]) -> None:
    q = quote(**args)
    order: Order = args["order"]

    assert q.refund_value <= order.total - args["already_refunded"]
    if q.resolution == "refund":
        assert q.total == q.refund_value
    for quoted in q.lines:
        line = order.line(quoted.line_id)
        assert line is not None
        assert quoted.items <= line.gross - line.discount
        assert quoted.tax <= line.tax
        assert quoted.total - quoted.bonus <= line.paid
    for amount in (q.items, q.tax, q.fees, q.bonus, q.shipping, q.total):
        assert not amount.is_negative()


@given(st.sampled_from(CURRENCIES).flatmap(lines_in), st.data())
def test_returning_a_line_piece_by_piece_pays_exactly_what_it_cost(line: OrderLine, data: st.DataObject) -> None:
    line = replace(line, id="L1")
    order = an_order(line, currency=line.unit_price.currency)
    done, paid = 0, Money.zero(order.currency)
    while done < line.quantity:
        quantity = data.draw(st.integers(1, line.quantity - done))
        q = quote(order, [pick(quantity=quantity)], a_policy(), resolution="refund",
                  returned_before={"L1": done})
        paid, done = paid + q.total, done + quantity

    assert paid == line.paid


@given(returns().filter(lambda args: args["order"].currency in ("JPY", "KRW")))
def test_zero_decimal_currencies_never_produce_a_fraction(args: dict[str, Any]) -> None:
    q = quote(**args)

    for amount in (q.items, q.tax, q.fees, q.bonus, q.total, *(line.total for line in q.lines)):
        assert type(amount.minor) is int
    assert all(type(value) is int for key, value in q.amounts().items() if key != "currency")


def test_a_note_past_the_one_note_limit_is_refused_naming_its_line_and_the_limit() -> None:
    quote(an_order(), [pick(note="x" * MAX_NOTE)], a_policy(), resolution="refund")
    with pytest.raises(ValidationError) as error:
        quote(an_order(), [pick(note="x" * (MAX_NOTE + 1))], a_policy(), resolution="refund")

    assert error.value.fields == ("lines[0].note",)
    assert "line 'L1'" in error.value.message and str(MAX_NOTE) in error.value.message
