"""A receipt with each line's condition, and a partial one that pays only the units that arrived."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY, Fees, Policy
from chalicelib.domain.quote import Quote, Selection, quote
from chalicelib.domain.reservations import CountReturned
from chalicelib.domain.return_request import Condition, EventKind, ReceivedLine, ReturnRequest
from tests.builders import a_line, an_order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)
FEES = replace(DEFAULT_POLICY, fees=Fees(restocking_percent=10, return_shipping=(Money(500, "JPY"),)))


def a_return(policy: Policy = FEES, *, resolution: str = "refund", l1: int = 2, l2: int = 3) -> ReturnRequest:
    """An approved return of L1 (2 units at 3300 + 600 tax for the two) and L2 (3 units at 1999 + 450 tax)."""
    order = an_order(lines=(a_line(id="L1", quantity=2), a_line(id="L2", quantity=3, unit_price=1999, tax=450)))
    selections = (Selection("L1", l1, "too_small"), Selection("L2", l2, "changed_mind"))
    if resolution == "store_credit":
        policy = replace(policy, resolutions=replace(policy.resolutions, store_credit=True,
                                                     store_credit_bonus_percent=10))
    priced = quote(order, selections, policy, resolution=resolution)
    return ReturnRequest.request(rma="R-7Q4K-9M2P", order=order, selections=selections, quote=priced,
                                 needs_approval=False, at=NOW)


def received(**lines: tuple[int, Condition]) -> tuple[ReceivedLine, ...]:
    return tuple(ReceivedLine(line_id, units, condition) for line_id, (units, condition) in lines.items())


def test_a_full_receipt_with_conditions_pays_the_quote_and_records_each_lines_condition() -> None:
    approved = a_return()
    arrived = approved.receive(at=LATER, actor="staff:agent@retour.local", source_ip="203.0.113.7", received=received(
        L1=(2, Condition.DAMAGED), L2=(3, Condition.AS_DESCRIBED)))
    assert arrived.quote == approved.quote
    event = arrived.events[-1]
    assert event.kind == EventKind.RECEIVED and event.actor == "staff:agent@retour.local"
    assert event.source_ip == "203.0.113.7"
    assert [(r.line_id, r.units, r.condition) for r in arrived.receipt] == [
        ("L1", 2, Condition.DAMAGED), ("L2", 3, Condition.AS_DESCRIBED)]


def test_the_scan_without_conditions_still_receives_everything_as_described() -> None:
    arrived = a_return().receive(at=LATER, actor="warehouse")
    assert arrived.events[-1].received == ()
    assert [(r.units, r.condition) for r in arrived.receipt] == [(2, Condition.AS_DESCRIBED), (3, Condition.AS_DESCRIBED)]
    assert arrived.reservation_changes(new_events=1) == (CountReturned("L1", 2), CountReturned("L2", 3))


def test_a_partial_receipt_pays_only_the_units_that_arrived() -> None:
    approved = a_return()
    arrived = approved.receive(at=LATER, actor="staff:warehouse@retour.local", received=received(
        L1=(2, Condition.AS_DESCRIBED), L2=(1, Condition.NOT_AS_DESCRIBED)))
    whole, partial = approved.quote.lines[1], arrived.quote.lines[1]
    # L2: 3 units of 1999 (+150 tax each); one arrived: a third of items, tax and fees (the
    # first unit takes the leftover minor units, as the quote values units).
    assert partial.quantity == 1
    assert partial.items + partial.tax == Money(1999 + 150, "JPY")
    assert partial.fees == whole.fees.allocate([1, 1, 1])[0]
    assert partial.total == partial.items + partial.tax - partial.fees + partial.bonus
    assert arrived.quote.lines[0] == approved.quote.lines[0]
    assert arrived.quote.total == arrived.quote.lines[0].total + partial.total
    assert arrived.quote.fees == arrived.quote.restocking_fee + arrived.quote.return_shipping_fee
    assert arrived.quote.refund_value < approved.quote.refund_value


def test_units_that_did_not_arrive_go_back_to_the_order_line() -> None:
    arrived = a_return().receive(at=LATER, actor="staff:a@x", received=received(
        L1=(0, Condition.MISSING), L2=(2, Condition.DAMAGED)))
    assert arrived.reservation_changes(new_events=1) == (
        CountReturned("L1", 0, released=2), CountReturned("L2", 2, released=1))
    assert arrived.quote.lines[0].total.is_zero()


def test_a_partial_receipt_of_store_credit_cuts_the_bonus_with_the_units() -> None:
    approved = a_return(resolution="store_credit")
    arrived = approved.receive(at=LATER, actor="staff:a@x", received=received(
        L1=(1, Condition.AS_DESCRIBED), L2=(3, Condition.AS_DESCRIBED)))
    assert arrived.quote.bonus < approved.quote.bonus
    assert arrived.quote.total == arrived.quote.items + arrived.quote.tax - arrived.quote.fees + arrived.quote.bonus


@pytest.mark.parametrize("lines", [
    received(L1=(0, Condition.AS_DESCRIBED), L2=(3, Condition.AS_DESCRIBED)),   # none arrived, yet "as described"
    received(L1=(2, Condition.MISSING), L2=(3, Condition.AS_DESCRIBED)),        # missing, yet two arrived
    received(L1=(3, Condition.AS_DESCRIBED), L2=(3, Condition.AS_DESCRIBED)),   # more than asked for
    received(L1=(2, Condition.AS_DESCRIBED)),                                   # a line left out
    received(L1=(0, Condition.MISSING), L2=(0, Condition.MISSING)),             # nothing at all
])
def test_a_receipt_that_does_not_add_up_is_refused(lines: tuple[ReceivedLine, ...]) -> None:
    with pytest.raises(ValidationError):
        a_return().receive(at=LATER, actor="staff:a@x", received=lines)


def test_a_return_paid_before_its_parcel_keeps_its_quote_and_counts_every_unit() -> None:
    approved = a_return()
    paid = approved.credit(at=LATER, actor="system")
    arrived = paid.receive(at=LATER, actor="staff:a@x", received=received(
        L1=(1, Condition.DAMAGED), L2=(3, Condition.AS_DESCRIBED)))
    assert arrived.quote == paid.quote and arrived.status == "credited"
    assert arrived.reservation_changes(new_events=1) == (CountReturned("L1", 2), CountReturned("L2", 3))


@given(items=st.integers(0, 10**7), tax=st.integers(0, 10**6), fee_share=st.integers(0, 100),
       bonus=st.integers(0, 10**5), quantity=st.integers(1, 7), data=st.data())
def test_a_partial_receipt_never_pays_more_and_its_parts_add_up(items: int, tax: int, fee_share: int, bonus: int,
                                                               quantity: int, data: st.DataObject) -> None:
    fees = (items + tax) * fee_share // 100
    arrived = data.draw(st.integers(0, quantity))
    whole = _one_line_quote(items, tax, fees, bonus, quantity)
    part = whole.received({"L1": arrived}).lines[0]
    for name in ("items", "tax", "fees", "bonus", "total"):
        assert Money.zero("JPY") <= getattr(part, name) <= getattr(whole.lines[0], name)
    assert part.fees <= part.items + part.tax
    assert part.total == part.items + part.tax - part.fees + part.bonus
    assert (part.total - part.bonus) <= (whole.lines[0].total - whole.lines[0].bonus)


def _one_line_quote(items: int, tax: int, fees: int, bonus: int, quantity: int) -> Quote:
    def jpy(minor: int) -> Money:
        return Money(minor, "JPY")

    base = quote(an_order(), (Selection("L1", 1, "too_small"),), DEFAULT_POLICY, resolution="refund")
    line = replace(base.lines[0], quantity=quantity, items=jpy(items), tax=jpy(tax), fees=jpy(fees), bonus=jpy(bonus),
                   total=jpy(items + tax - fees + bonus))
    return replace(base, lines=(line,), items=line.items, tax=line.tax, fees=line.fees, bonus=line.bonus,
                   total=line.total, restocking_fee=line.fees, return_shipping_fee=jpy(0))


def test_an_internal_note_keeps_the_status_the_clock_and_approval_links() -> None:
    approved = a_return().with_version(3)
    noted = approved.add_note("  Called the shopper: parcel posted Monday.  ", at=LATER,
                              actor="staff:agent@retour.local", source_ip="203.0.113.7")
    assert noted.status == approved.status
    assert noted.events[-1].detail == "Called the shopper: parcel posted Monday."
    assert noted.status_changed_at == approved.status_changed_at
    assert noted.shopper_events == approved.events
    assert noted.with_version(4).decision_version == approved.decision_version
    with pytest.raises(ValidationError):
        approved.add_note("x" * 1001, at=LATER, actor="staff:a@x")
    with pytest.raises(ValidationError):
        approved.add_note("   ", at=LATER, actor="staff:a@x")
