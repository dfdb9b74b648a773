"""Line reservations as the return decides them: what creating it holds, what each move changes.

No repository here: both adapters only persist these changes (tests/integration covers that).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import ConflictError
from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.reservations import CountReturned, Release, Reserve
from chalicelib.domain.return_request import ReturnRequest
from tests.builders import a_line, an_order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=2)


def a_return(*, needs_approval: bool = False, quantities: tuple[int, int] = (1, 2)) -> ReturnRequest:
    """A return of units of two lines of a three-line order (L1: 2 units, L2: 3, L3: 1)."""
    order = an_order(lines=(a_line(id="L1", quantity=2), a_line(id="L2", quantity=3), a_line(id="L3", quantity=1)))
    selections = (Selection("L1", quantities[0], "too_small"), Selection("L2", quantities[1], "changed_mind"))
    priced = quote(order, selections, DEFAULT_POLICY, resolution="refund")
    return ReturnRequest.request(
        rma="R-7Q4K-9M2P", order=order, selections=selections, quote=priced,
        needs_approval=needs_approval, at=NOW,
    )


ORDER_UNITS = {"L1": 2, "L2": 3, "L3": 1}


def test_creating_a_return_reserves_each_chosen_line_under_the_orders_units() -> None:
    assert a_return().reservations(ORDER_UNITS) == (Reserve("L1", 1, 2), Reserve("L2", 2, 3))


@pytest.mark.parametrize("order_units", [{"L1": 2, "L2": 1}, {"L1": 2}])
def test_a_line_asking_more_than_the_order_holds_is_refused_before_anything_is_written(
    order_units: dict[str, int],
) -> None:
    with pytest.raises(ConflictError) as raised:
        a_return().reservations(order_units)
    assert raised.value.code == "units_already_requested"


def test_the_parcels_arrival_counts_the_units_as_returned() -> None:
    received = a_return().receive(at=LATER, actor="warehouse")
    assert received.reservation_changes(new_events=1) == (CountReturned("L1", 1), CountReturned("L2", 2))


@pytest.mark.parametrize(
    "close",
    [
        lambda r: r.cancel(at=LATER),
        lambda r: r.expire(at=LATER, actor="system:return_expiry", ship_within_days=30),
    ],
    ids=["cancelled", "expired"],
)
def test_closing_without_the_parcel_gives_the_units_back(close: Callable[[ReturnRequest], ReturnRequest]) -> None:
    closed = close(a_return())
    assert closed.reservation_changes(new_events=1) == (Release("L1", 1), Release("L2", 2))


def test_a_rejected_exception_gives_the_units_back() -> None:
    rejected = a_return(needs_approval=True).reject(at=LATER, actor="merchant:m@example.com", note="worn")
    assert rejected.reservation_changes(new_events=1) == (Release("L1", 1), Release("L2", 2))


def test_an_approval_or_money_moving_leaves_the_reservations_alone() -> None:
    approved = a_return(needs_approval=True).approve(at=LATER, actor="merchant:m@example.com")
    assert approved.reservation_changes(new_events=1) == ()
    received = approved.receive(at=LATER, actor="warehouse")
    refunding = received.start_refund(Money(100, "JPY"), at=LATER, actor="system:refunds")
    assert refunding.reservation_changes(new_events=1) == ()
    assert refunding.mark_refunded("re_1", at=LATER, actor="system:refunds").reservation_changes(new_events=1) == ()


def test_only_the_moves_being_saved_count() -> None:
    received = a_return().receive(at=LATER, actor="warehouse")
    refunding = received.start_refund(Money(100, "JPY"), at=LATER, actor="system:refunds")
    # The arrival was saved with its own move: saving the refund's start changes nothing.
    assert refunding.reservation_changes(new_events=1) == ()
    # Saved together, the arrival's change rides with them.
    assert refunding.reservation_changes(new_events=2) == (CountReturned("L1", 1), CountReturned("L2", 2))
    assert refunding.reservation_changes(new_events=0) == ()


def test_a_parcel_arriving_after_the_money_moved_still_counts_as_returned() -> None:
    paid = a_return().start_refund(Money(100, "JPY"), at=NOW, actor="system:refunds")
    arrived = paid.receive(at=LATER, actor="warehouse")
    assert arrived.status == "refunding"
    assert arrived.reservation_changes(new_events=1) == (CountReturned("L1", 1), CountReturned("L2", 2))
