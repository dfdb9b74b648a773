"""The original shipping: when the policy pays it back, how much, and only once per order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.money import Money
from chalicelib.domain.order import ORIGINAL_SHIPPING, Address
from chalicelib.domain.policy import DEFAULT_POLICY, Policy, policy_document
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.reservations import CountReturned, Release, Reserve
from chalicelib.domain.return_request import Condition, ReceivedLine, ReturnRequest
from chalicelib.domain.shipping import EEA_COUNTRIES, ShippingRefundOccasion, withdrawal_ends
from tests.builders import a_line, an_order

# Delivered 3 Nov 2026 09:00 UTC (tests/builders.py); 14 days later is 17 Nov.
DELIVERED = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
SOON = DELIVERED + timedelta(days=2)
BERLIN = Address(name="Anna Schmidt", line1="Torstraße 1", city="Berlin", postal_code="10119", country="DE")


def eu_order(**overrides: Any) -> Any:
    """A Berlin order in EUR: two tees (2 × 30.00 + 6.00 tax) and 4.90 shipping."""
    fields: dict[str, Any] = {
        "currency": "EUR", "shipping_address": BERLIN, "shipping_total": 490,
        "lines": (a_line(currency="EUR", unit_price=3000, tax=600),),
    }
    fields.update(overrides)
    return an_order(**fields)


def policy(*occasions: ShippingRefundOccasion, **overrides: Any) -> Policy:
    return replace(DEFAULT_POLICY, original_shipping_refund=occasions, **overrides)


def both(reason: str = "changed_mind") -> list[Selection]:
    return [Selection("L1", 2, reason, note="torn seam")]


def one(reason: str = "changed_mind") -> list[Selection]:
    return [Selection("L1", 1, reason, note="torn seam")]


def test_by_default_the_original_shipping_is_never_paid_back() -> None:
    q = quote(eu_order(), both(), DEFAULT_POLICY, resolution="refund", at=SOON)

    assert q.shipping == Money(0, "EUR")
    assert q.amounts()["shipping"] == 0
    assert q.total == Money(6600, "EUR")


def test_whole_order_pays_it_back_when_every_unit_comes_back() -> None:
    q = quote(eu_order(), both(), policy("whole_order"), resolution="refund", at=SOON)

    assert q.shipping == Money(490, "EUR")
    assert q.total == Money(6600 + 490, "EUR")
    assert q.amounts()["shipping"] == 490


def test_whole_order_counts_the_units_of_earlier_returns() -> None:
    first = quote(eu_order(), one(), policy("whole_order"), resolution="refund", at=SOON)
    second = quote(eu_order(), one(), policy("whole_order"), resolution="refund", at=SOON,
                   returned_before={"L1": 1})

    assert first.shipping.is_zero()
    assert second.shipping == Money(490, "EUR")


def test_whole_order_needs_every_line_of_the_order() -> None:
    order = eu_order(lines=(a_line(currency="EUR", id="L1"), a_line(currency="EUR", id="L2", quantity=1)))

    q = quote(order, both(), policy("whole_order"), resolution="refund", at=SOON)

    assert q.shipping.is_zero()


def test_a_fee_waiving_reason_pays_it_back_even_for_one_unit() -> None:
    damaged = quote(eu_order(), one("damaged"), policy("fee_waiving_reasons"), resolution="refund", at=SOON)
    changed_mind = quote(eu_order(), one(), policy("fee_waiving_reasons"), resolution="refund", at=SOON)

    assert damaged.shipping == Money(490, "EUR")
    assert changed_mind.shipping.is_zero()


def test_eu_withdrawal_pays_it_back_for_a_whole_order_to_an_eea_address_within_14_days() -> None:
    q = quote(eu_order(), both(), policy("eu_withdrawal"), resolution="refund", at=SOON)

    assert q.shipping == Money(490, "EUR")


def test_eu_withdrawal_keeps_it_on_a_partial_return() -> None:
    q = quote(eu_order(), one(), policy("eu_withdrawal"), resolution="refund", at=SOON)

    assert q.shipping.is_zero()


@pytest.mark.parametrize("country", ["NO", "IS", "LI", "FR", "ie"])
def test_eu_withdrawal_covers_the_eea_and_not_only_the_eu(country: str) -> None:
    order = eu_order(shipping_address=replace(BERLIN, country=country))

    assert quote(order, both(), policy("eu_withdrawal"), resolution="refund", at=SOON).shipping == Money(490, "EUR")


@pytest.mark.parametrize("country", ["CH", "GB", "JP", "US"])
def test_outside_the_eea_eu_withdrawal_alone_never_pays_it_back(country: str) -> None:
    order = eu_order(shipping_address=replace(BERLIN, country=country))

    assert quote(order, both(), policy("eu_withdrawal"), resolution="refund", at=SOON).shipping.is_zero()


def test_outside_the_eea_another_listed_occasion_still_applies() -> None:
    order = eu_order(shipping_address=replace(BERLIN, country="CH"))

    q = quote(order, one("damaged"), policy("eu_withdrawal", "fee_waiving_reasons"), resolution="refund", at=SOON)

    assert q.shipping == Money(490, "EUR")


def test_the_eea_list_holds_the_27_member_states_and_iceland_liechtenstein_norway() -> None:
    assert len(EEA_COUNTRIES) == 30
    assert {"IS", "LI", "NO"} <= EEA_COUNTRIES
    assert not {"CH", "GB"} & EEA_COUNTRIES


def test_the_withdrawal_period_ends_at_midnight_after_the_14th_day_in_the_stores_zone() -> None:
    # Delivered 3 Nov 09:00 UTC = 3 Nov 18:00 in Tokyo; the period runs to 17 Nov 24:00 Tokyo time.
    tokyo = policy("eu_withdrawal", time_zone="Asia/Tokyo")
    last_moment = datetime(2026, 11, 17, 14, 59, 59, tzinfo=UTC)  # 17 Nov 23:59:59 in Tokyo

    assert withdrawal_ends(DELIVERED, tokyo.zone) == datetime(2026, 11, 18, tzinfo=tokyo.zone)
    assert quote(eu_order(), both(), tokyo, resolution="refund", at=last_moment).shipping == Money(490, "EUR")
    assert quote(eu_order(), both(), tokyo, resolution="refund",
                 at=last_moment + timedelta(seconds=1)).shipping.is_zero()


def test_the_day_of_delivery_is_the_stores_day_not_utcs() -> None:
    # Delivered 3 Nov 23:30 UTC is already 4 Nov in Berlin: the period ends 18 Nov 24:00 Berlin time.
    late = eu_order(delivered_at=datetime(2026, 11, 3, 23, 30, tzinfo=UTC))
    berlin = policy("eu_withdrawal", time_zone="Europe/Berlin")

    assert quote(late, both(), berlin, resolution="refund",
                 at=datetime(2026, 11, 18, 22, 59, tzinfo=UTC)).shipping == Money(490, "EUR")
    assert quote(late, both(), berlin, resolution="refund",
                 at=datetime(2026, 11, 18, 23, 0, tzinfo=UTC)).shipping.is_zero()


def test_an_order_not_delivered_yet_is_within_the_withdrawal_period() -> None:
    q = quote(eu_order(delivered_at=None), both(), policy("eu_withdrawal", window_starts="placed"),
              resolution="refund", at=SOON)

    assert q.shipping == Money(490, "EUR")


def test_a_return_already_holding_it_means_no_second_refund() -> None:
    q = quote(eu_order(), one("damaged"), policy("fee_waiving_reasons"), resolution="refund", at=SOON,
              returned_before={"L1": 1, ORIGINAL_SHIPPING: 1})

    assert q.shipping.is_zero()


def test_it_takes_only_what_the_payment_still_holds_after_the_lines() -> None:
    # 66.00 + 4.90 paid. With 68.00 already refunded, 2.90 is left and the lines take it all.
    mostly_refunded = quote(eu_order(), both(), policy("whole_order"), resolution="refund", at=SOON,
                            already_refunded=Money(6800, "EUR"))
    # With 3.00 already refunded, the lines are whole (66.00) and the shipping gets the 1.90 left.
    partly_refunded = quote(eu_order(), both(), policy("whole_order"), resolution="refund", at=SOON,
                            already_refunded=Money(300, "EUR"))

    assert (mostly_refunded.shipping, mostly_refunded.refund_value) == (Money(0, "EUR"), Money(290, "EUR"))
    assert (partly_refunded.shipping, partly_refunded.refund_value) == (Money(190, "EUR"), Money(6790, "EUR"))


def test_store_credit_earns_no_bonus_on_the_shipping() -> None:
    q = quote(eu_order(), both(), policy("whole_order"), resolution="store_credit", at=SOON)

    assert q.bonus == Money(660, "EUR")
    assert q.total == Money(6600 + 660 + 490, "EUR")


def test_the_policy_refuses_an_unknown_or_repeated_occasion() -> None:
    with pytest.raises(ValidationError) as unknown:
        policy("always")  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as twice:
        policy("whole_order", "whole_order")

    assert unknown.value.fields == ("original_shipping_refund",)
    assert twice.value.fields == ("original_shipping_refund",)


def test_the_policy_document_lists_the_occasions() -> None:
    assert policy_document(policy("eu_withdrawal", "fee_waiving_reasons"))["original_shipping_refund"] == [
        "eu_withdrawal", "fee_waiving_reasons"]
    assert policy_document(DEFAULT_POLICY)["original_shipping_refund"] == []


# The once-only hold ---------------------------------------------------------------------------------

def a_return(selections: list[Selection], occasions: tuple[ShippingRefundOccasion, ...] = ("whole_order",)) -> ReturnRequest:
    order = eu_order()
    priced = quote(order, selections, policy(*occasions), resolution="refund", at=SOON)
    return ReturnRequest.request(rma="R-7Q4K-9M2P", order=order, selections=tuple(selections), quote=priced,
                                 needs_approval=False, at=SOON)


def test_the_return_paying_it_holds_it_on_the_order() -> None:
    assert a_return(both()).reservations({"L1": 2}) == (Reserve("L1", 2, 2), Reserve(ORIGINAL_SHIPPING, 1, 1))
    assert a_return(one()).reservations({"L1": 2}) == (Reserve("L1", 1, 2),)


def test_a_return_closing_without_its_parcel_gives_it_back() -> None:
    cancelled = a_return(both()).cancel(at=SOON, actor="shopper")

    assert Release(ORIGINAL_SHIPPING, 1) in cancelled.reservation_changes(new_events=1)


def test_the_parcels_arrival_counts_it_as_paid() -> None:
    received = a_return(both()).receive(at=SOON, actor="warehouse")

    assert CountReturned(ORIGINAL_SHIPPING, 1) in received.reservation_changes(new_events=1)
    assert received.quote.shipping == Money(490, "EUR")


def test_a_partial_receipt_pays_no_shipping_and_gives_it_back() -> None:
    received = a_return(both()).receive(
        at=SOON, actor="warehouse", received=(ReceivedLine("L1", 1, Condition.AS_DESCRIBED),))

    assert received.quote.shipping.is_zero()
    assert received.quote.total == received.quote.items + received.quote.tax - received.quote.fees
    assert Release(ORIGINAL_SHIPPING, 1) in received.reservation_changes(new_events=1)


# Property: an order returned piece by piece pays exactly what was paid, shipping once -------------

@given(st.lists(st.integers(1, 3), min_size=1, max_size=4), st.data())
def test_an_order_returned_piece_by_piece_pays_back_exactly_its_total(quantities: list[int], data: st.DataObject) -> None:
    lines = tuple(a_line(currency="EUR", id=f"L{i}", quantity=q, unit_price=data.draw(st.integers(0, 9999)),
                         tax=data.draw(st.integers(0, 999))) for i, q in enumerate(quantities))
    order = eu_order(lines=lines, shipping_total=data.draw(st.integers(0, 2000)))
    choices: list[tuple[ShippingRefundOccasion, ...]] = [("whole_order",), ("eu_withdrawal",),
                                                          ("whole_order", "eu_withdrawal")]
    occasions = data.draw(st.sampled_from(choices))
    done: dict[str, int] = {}
    paid = Money.zero("EUR")
    while any(done.get(line.id, 0) < line.quantity for line in lines):
        line = data.draw(st.sampled_from([line for line in lines if done.get(line.id, 0) < line.quantity]))
        units = data.draw(st.integers(1, line.quantity - done.get(line.id, 0)))
        q = quote(order, [Selection(line.id, units, "changed_mind")], policy(*occasions), resolution="refund",
                  returned_before=done, at=SOON)
        paid += q.total
        done = {**done, line.id: done.get(line.id, 0) + units}
        if not q.shipping.is_zero():
            done[ORIGINAL_SHIPPING] = 1

    assert paid == order.total


def test_no_order_line_may_take_the_id_of_the_shipping_hold() -> None:
    with pytest.raises(ValidationError) as refused:
        eu_order(lines=(a_line(currency="EUR", id=ORIGINAL_SHIPPING),))

    assert refused.value.fields == ("lines[0].id",)
