"""Cancelling a return with fakes: who may, until when, what is stored, who is told, and lost races."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.in_memory import InMemoryOrderRepository
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.errors import ConflictError, NotFoundError, StaleWriteError
from chalicelib.domain.order import Order
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import NotCancellableError, ReturnRequest
from chalicelib.services.cancel_return import cancel_return
from chalicelib.services.issue_label import issue_label
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Outbox:
    cancelled: list[tuple[str, str, str]] = field(default_factory=list)
    broken: bool = False

    def return_requested(self, request: ReturnRequest, order: Order) -> None:
        raise AssertionError("cancelling never confirms a new return")

    def return_cancelled(self, request: ReturnRequest, order: Order) -> None:
        if self.broken:
            raise RuntimeError("SES is down")
        self.cancelled.append((request.rma, request.status, order.number))


@dataclass
class Deps:
    orders: Any = field(default_factory=InMemoryOrderRepository)
    returns: Any = field(default_factory=InMemoryReturnRepository)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    shopper_notifier: Outbox = field(default_factory=Outbox)


@pytest.fixture
def deps() -> Deps:
    deps = Deps()
    for number in ("1001", "1002"):
        deps.orders.save(OrderIn.model_validate(an_order_document(number=number)).to_domain(), now=NOW)
    return deps


def a_return(deps: Deps, *, number: str = "1001", pending: bool = False, rma: str = "R-0000-0001") -> ReturnRequest:
    order = deps.orders.get(number)
    selections = (Selection("L1", 2, "too_small"),)
    priced = quote(order, selections, DEFAULT_POLICY, resolution="refund")
    request = ReturnRequest.request(rma=rma, order=order, selections=selections, quote=priced,
                                    needs_approval=pending, at=NOW)
    stored: ReturnRequest = deps.returns.create(request, line_quantities={"L1": 2, "L2": 1}, now=NOW)
    return stored


def test_a_return_waiting_for_the_store_is_cancelled_its_units_freed_and_the_shopper_told(deps: Deps) -> None:
    created = a_return(deps, pending=True)
    assert deps.returns.units_of_order("1001").in_open_returns == {"L1": 2}
    deps.clock.at = NOW + timedelta(hours=1)
    cancelled = cancel_return(deps, created.rma, order_number="1001")
    assert cancelled.status == "cancelled"
    assert deps.returns.get(created.rma) == cancelled
    assert [(e.kind, e.actor, e.at) for e in cancelled.events][-1] == ("cancelled", "shopper", NOW + timedelta(hours=1))
    assert deps.returns.units_of_order("1001").in_open_returns == {"L1": 0}
    assert deps.shopper_notifier.cancelled == [(created.rma, "cancelled", "1001")]


def test_an_approved_return_is_cancelled_and_its_label_is_no_longer_issued(deps: Deps) -> None:
    created = a_return(deps)
    cancelled = cancel_return(deps, created.rma.lower(), order_number="1001")  # typed as people type it
    assert cancelled.status == "cancelled"
    with pytest.raises(ConflictError) as refused:
        issue_label(deps, cancelled)  # type: ignore[arg-type]
    assert refused.value.code == "return_cancelled"
    assert "cancelled" in refused.value.message


def test_another_orders_return_is_not_found_and_stays_as_it_was(deps: Deps) -> None:
    created = a_return(deps)
    with pytest.raises(NotFoundError) as refused:
        cancel_return(deps, created.rma, order_number="1002")
    assert refused.value.message == "We couldn't find that return."
    assert deps.returns.get(created.rma) == created
    assert deps.shopper_notifier.cancelled == []


def test_too_late_once_received_nothing_is_written_or_sent(deps: Deps) -> None:
    created = a_return(deps)
    received = deps.returns.save(created.receive(at=NOW, actor="warehouse"), new_events=1, now=NOW)
    with pytest.raises(NotCancellableError) as refused:
        cancel_return(deps, created.rma, order_number="1001")
    assert refused.value.why == "received"
    assert deps.returns.get(created.rma) == received
    assert deps.shopper_notifier.cancelled == []


def test_a_second_cancel_answers_the_cancelled_return_and_writes_and_sends_nothing(deps: Deps) -> None:
    created = a_return(deps)
    first = cancel_return(deps, created.rma, order_number="1001")
    second = cancel_return(deps, created.rma, order_number="1001")
    assert second == first
    assert [e.kind for e in second.events].count("cancelled") == 1
    assert len(deps.shopper_notifier.cancelled) == 1
    assert deps.returns.units_of_order("1001").in_open_returns == {"L1": 0}


class Interleaved(InMemoryReturnRepository):
    """Lets another actor move the return between the shopper's read and write, once."""

    def __init__(self, move: Any) -> None:
        super().__init__()
        self.move = move
        self.saves = 0

    def save(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        self.saves += 1
        if self.move is not None:
            move, self.move = self.move, None
            current = self.get(request.rma)
            assert current is not None
            super().save(move(current), new_events=1, now=now)
        return super().save(request, new_events=new_events, now=now)


def test_a_merchant_approval_that_lands_first_is_read_again_and_the_shopper_still_cancels(deps: Deps) -> None:
    deps.returns = Interleaved(lambda current: current.approve(at=NOW, actor="merchant:m@example.com"))
    created = a_return(deps, pending=True)
    cancelled = cancel_return(deps, created.rma, order_number="1001")
    assert [e.kind for e in cancelled.events] == ["requested", "approved", "cancelled"]
    assert deps.returns.saves == 2
    assert deps.returns.units_of_order("1001").in_open_returns == {"L1": 0}


def test_a_warehouse_receipt_that_lands_first_wins_and_the_cancel_says_too_late(deps: Deps) -> None:
    deps.returns = Interleaved(lambda current: current.receive(at=NOW, actor="warehouse"))
    created = a_return(deps)
    with pytest.raises(NotCancellableError) as refused:
        cancel_return(deps, created.rma, order_number="1001")
    assert refused.value.why == "received"
    stored = deps.returns.get(created.rma)
    assert stored.status == "received"
    assert deps.returns.units_of_order("1001").returned == {"L1": 2}
    assert deps.shopper_notifier.cancelled == []


def test_a_return_that_keeps_moving_gives_up_with_a_stale_write(deps: Deps) -> None:
    class AlwaysStale(InMemoryReturnRepository):
        def save(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
            raise StaleWriteError("changed")

    deps.returns = AlwaysStale()
    created = a_return(deps)
    with pytest.raises(StaleWriteError):
        cancel_return(deps, created.rma, order_number="1001")
    assert deps.shopper_notifier.cancelled == []


def test_a_failed_email_does_not_undo_the_cancellation(deps: Deps) -> None:
    deps.shopper_notifier.broken = True
    created = a_return(deps)
    assert cancel_return(deps, created.rma, order_number="1001").status == "cancelled"
    assert deps.returns.get(created.rma).status == "cancelled"
