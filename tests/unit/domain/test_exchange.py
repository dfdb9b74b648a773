"""Exchanges in the pure domain: which variants are offered, what the swap moves, how stock follows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.catalog import Product, Variant
from chalicelib.domain.errors import ConflictError, ValidationError
from chalicelib.domain.exchange import OutOfStockError, choose_exchange, exchange_options
from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY, Policy
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.reservations import StockFulfil, StockRelease, StockReserve
from chalicelib.domain.return_request import (
    AWAITING_PAYMENT,
    EXCHANGED,
    ExchangeOrderLine,
    ReturnRequest,
    exchange_order_number,
)
from tests.builders import a_line, an_order

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
ANY_PRICE = replace(DEFAULT_POLICY, exchanges="any_price")
# A tee sold as M at 3300 (two units, 600 tax); S at the same price, L dearer, XS cheaper, XL gone.
TEE = Product("tee", "Organic tee", (
    Variant("TEE-NAVY-S", (("size", "S"),), 3300, 5),
    Variant("TEE-NAVY-M", (("size", "M"),), 3300, 2),
    Variant("TEE-NAVY-L", (("size", "L"),), 3800, 1),
    Variant("TEE-NAVY-XS", (("size", "XS"),), 2500, 4),
    Variant("TEE-NAVY-XL", (("size", "XL"),), 3300, 0),
))
ORDER = an_order(lines=(a_line(product_id="tee", options=(("size", "M"),)),))
LINE = ORDER.lines[0]


def an_exchange(sku: str, *, policy: Policy = ANY_PRICE, quantity: int = 1, needs_approval: bool = False
                ) -> ReturnRequest:
    choice = choose_exchange(LINE, TEE, policy, "JPY", sku=sku, quantity=quantity)
    selections = (Selection("L1", quantity, "too_small"),)
    priced = quote(ORDER, selections, policy, resolution="exchange", exchanges={"L1": choice})
    return ReturnRequest.request(rma="R-7Q4K-9M2P", order=ORDER, selections=selections, quote=priced,
                                 needs_approval=needs_approval, at=NOW)


def test_a_line_is_offered_the_other_in_stock_variants_of_its_product() -> None:
    offered = exchange_options(LINE, TEE, ANY_PRICE, "JPY")
    assert [o.sku for o in offered] == ["TEE-NAVY-S", "TEE-NAVY-L", "TEE-NAVY-XS"]
    assert [o.difference.minor for o in offered] == [0, 500, -800]


def test_the_policy_limits_exchanges_to_the_same_price_or_turns_them_off() -> None:
    assert [o.sku for o in exchange_options(LINE, TEE, DEFAULT_POLICY, "JPY")] == ["TEE-NAVY-S"]
    assert exchange_options(LINE, TEE, replace(DEFAULT_POLICY, exchanges="off"), "JPY") == ()


def test_a_line_without_its_product_or_priced_in_another_currency_has_no_exchange() -> None:
    assert exchange_options(replace(LINE, product_id=""), TEE, ANY_PRICE, "JPY") == ()
    assert exchange_options(LINE, replace(TEE, currency="EUR"), ANY_PRICE, "JPY") == ()


def test_an_out_of_stock_choice_names_what_is_available() -> None:
    with pytest.raises(OutOfStockError) as error:
        choose_exchange(LINE, TEE, ANY_PRICE, "JPY", sku="TEE-NAVY-XL", quantity=1)
    assert "TEE-NAVY-S (S)" in str(error.value) and "TEE-NAVY-L (L)" in str(error.value)
    assert error.value.code == "out_of_stock"
    with pytest.raises(OutOfStockError):
        choose_exchange(LINE, TEE, ANY_PRICE, "JPY", sku="TEE-NAVY-L", quantity=2)


def test_a_variant_the_line_does_not_offer_is_a_validation_error() -> None:
    for sku in ("TEE-NAVY-M", "NOPE"):
        with pytest.raises(ValidationError):
            choose_exchange(LINE, TEE, ANY_PRICE, "JPY", sku=sku, quantity=1)
    with pytest.raises(ValidationError):
        choose_exchange(LINE, TEE, DEFAULT_POLICY, "JPY", sku="TEE-NAVY-L", quantity=1)


def test_an_even_exchange_moves_no_money_and_is_approved_at_once() -> None:
    even = an_exchange("TEE-NAVY-S")
    assert even.quote.total == Money(0, "JPY") and even.quote.difference == Money(0, "JPY")
    assert even.quote.amounts()["replacement"] == 3300 and even.status == "approved"
    assert even.payment is None and even.lines[0].exchange_for == "TEE-NAVY-S"


def test_a_dearer_exchange_waits_for_the_difference_to_be_paid() -> None:
    dearer = an_exchange("TEE-NAVY-L")
    assert dearer.quote.total == Money(-500, "JPY") and dearer.quote.to_pay == Money(500, "JPY")
    assert dearer.status == AWAITING_PAYMENT and dearer.payment is not None
    paid = dearer.attach_payment_intent("pi_1").record_payment("pi_1", Money(500, "JPY"), at=NOW)
    assert paid.status == "approved" and paid.payment is not None and paid.payment.status == "succeeded"


def test_a_payment_for_another_amount_or_intent_confirms_nothing() -> None:
    dearer = an_exchange("TEE-NAVY-L", needs_approval=True).attach_payment_intent("pi_1")
    for intent, amount in (("pi_2", 500), ("pi_1", 499)):
        with pytest.raises(ConflictError):
            dearer.record_payment(intent, Money(amount, "JPY"), at=NOW)
    assert dearer.record_payment("pi_1", Money(500, "JPY"), at=NOW).status == "pending_approval"


def test_a_cheaper_exchange_refunds_the_difference_never_more_than_was_paid() -> None:
    cheaper = an_exchange("TEE-NAVY-XS")
    assert cheaper.quote.total == Money(800, "JPY") and cheaper.status == "approved"
    # A line bought at 300 a unit: the difference to a 2500 variant is capped at what was paid.
    bargain = an_order(lines=(a_line(product_id="tee", options=(("size", "M"),), unit_price=3300, discount=6000,
                                     tax=0),))
    choice = choose_exchange(bargain.lines[0], TEE, ANY_PRICE, "JPY", sku="TEE-NAVY-XS", quantity=1)
    priced = quote(bargain, (Selection("L1", 1, "too_small"),), ANY_PRICE, resolution="exchange",
                   exchanges={"L1": choice})
    assert priced.total == Money(300, "JPY")


def test_stock_is_promised_on_request_taken_by_the_replacement_order_and_released_on_cancel() -> None:
    even = an_exchange("TEE-NAVY-S")
    assert even.stock_reservations() == (StockReserve("tee", "TEE-NAVY-S", 1),)
    made = even.create_exchange_order((ExchangeOrderLine("L1", "TEE-NAVY-S", 1),), at=NOW, actor="system")
    assert made.exchange_order is not None and made.exchange_order.number == exchange_order_number(even.rma)
    assert made.stock_changes(new_events=1) == (StockFulfil("tee", "TEE-NAVY-S", 1),)
    assert even.cancel(at=NOW).stock_changes(new_events=1) == (StockRelease("tee", "TEE-NAVY-S", 1),)
    # Cancelling after the replacement order was made gives nothing back twice.
    with pytest.raises(ConflictError):
        made.create_exchange_order((ExchangeOrderLine("L1", "TEE-NAVY-S", 1),), at=NOW, actor="system")


def test_an_unpaid_dearer_exchange_expires_and_releases_its_stock() -> None:
    expired = an_exchange("TEE-NAVY-L").expire(at=NOW + timedelta(days=1), actor="system:expiry")
    assert expired.status == "expired"
    assert expired.stock_changes(new_events=1) == (StockRelease("tee", "TEE-NAVY-L", 1),)


def test_an_exchange_ends_exchanged_after_its_parcel_and_replacement_order() -> None:
    even = an_exchange("TEE-NAVY-S")
    made = even.create_exchange_order((ExchangeOrderLine("L1", "TEE-NAVY-S", 1),), at=NOW, actor="system")
    with pytest.raises(ConflictError):
        made.mark_exchanged(at=NOW, actor="system")
    done = made.receive(at=NOW, actor="warehouse").mark_exchanged(at=NOW, actor="system")
    assert done.status == EXCHANGED


def test_a_cheaper_exchange_ends_exchanged_when_its_difference_is_refunded() -> None:
    cheaper = an_exchange("TEE-NAVY-XS").receive(at=NOW, actor="warehouse")
    made = cheaper.create_exchange_order((ExchangeOrderLine("L1", "TEE-NAVY-XS", 1),), at=NOW, actor="system")
    refunding = made.start_refund(made.quote.total, at=NOW, actor="system")
    assert refunding.mark_refunded("re_1", at=NOW, actor="system").status == EXCHANGED


def test_stock_running_out_turns_the_exchange_into_the_fallback_and_owes_a_paid_difference() -> None:
    paid = an_exchange("TEE-NAVY-L").attach_payment_intent("pi_1").record_payment("pi_1", Money(500, "JPY"), at=NOW)
    fallback = quote(ORDER, (Selection("L1", 1, "too_small"),), ANY_PRICE, resolution="refund")
    fell = paid.exchange_unavailable(fallback, at=NOW, actor="system")
    assert fell.resolution == "refund" and fell.quote.total == fallback.total and fell.exchange_fell_through
    assert fell.stock_changes(new_events=1) == (StockRelease("tee", "TEE-NAVY-L", 1),)
    assert fell.owes_difference_refund
    back = fell.record_difference_refunded("re_9", at=NOW, actor="system")
    assert not back.owes_difference_refund and back.payment is not None and back.payment.status == "refunded"


def test_an_exchange_takes_no_counter_offer() -> None:
    pending = an_exchange("TEE-NAVY-S", needs_approval=True)
    offer = quote(ORDER, (Selection("L1", 1, "too_small"),), ANY_PRICE, resolution="store_credit")
    with pytest.raises(ValidationError):
        pending.make_offer(offer, at=NOW, actor="merchant", note="credit only", terms="store_credit")


def test_a_replacement_order_number_leads_back_to_its_rma() -> None:
    from chalicelib.domain.return_request import exchange_order_number, rma_of_exchange_order

    assert rma_of_exchange_order(exchange_order_number("R-7Q4K-9M2P")) == "R-7Q4K-9M2P"
    assert rma_of_exchange_order(" x-7q4k-9m2p ") == "R-7Q4K-9M2P"
    # An order number or an RMA is not a replacement order's number.
    assert rma_of_exchange_order("X7Q4K9M2P") is None
    assert rma_of_exchange_order("R-7Q4K-9M2P") is None
    assert rma_of_exchange_order("X-1001") is None
