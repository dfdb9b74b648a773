"""The send-by reminder job with in-memory stores: who is reminded, when, once, and in what words."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.in_memory import InMemoryOrderRepository, InMemoryPolicyRepository
from chalicelib.adapters.in_memory_return_reports import InMemoryReturnReports
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.errors import RetourError
from chalicelib.domain.order import Order
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from chalicelib.services.ship_reminders import REMINDER_ACTOR, send_ship_reminders
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LINES = {"L1": 2, "L2": 1}


@dataclass
class Outbox:
    reminded: list[tuple[str, date]] = field(default_factory=list)
    broken: bool = False

    def ship_reminder(self, request: ReturnRequest, order: Order, *, send_by: date) -> None:
        if self.broken:
            raise RetourError("the mail service refused")
        self.reminded.append((request.rma, send_by))


@dataclass
class Deps:
    orders: Any = field(default_factory=InMemoryOrderRepository)
    returns: InMemoryReturnRepository = field(default_factory=InMemoryReturnRepository)
    policies: Any = field(default_factory=InMemoryPolicyRepository)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    shopper_notifier: Outbox = field(default_factory=Outbox)
    return_reports: Any = None

    def __post_init__(self) -> None:
        self.return_reports = InMemoryReturnReports(self.returns)

    def at(self, days: float) -> Deps:
        self.clock.at = NOW + timedelta(days=days)
        return self

    def policy(self, **settings: Any) -> None:
        current = self.policies.current()
        self.policies.save(replace(DEFAULT_POLICY, **settings), expected_version=current.version, now=NOW)


@pytest.fixture
def deps() -> Deps:
    deps = Deps()
    for number in ("1001", "1002", "1003"):
        deps.orders.save(OrderIn.model_validate(an_order_document(number=number)).to_domain(), now=NOW)
    deps.policy(ship_within_days=14, ship_reminder_days_before=3, time_zone="Asia/Tokyo")
    return deps


def a_return(deps: Deps, number: str, *, at: datetime = NOW, pending: bool = False) -> ReturnRequest:
    order = deps.orders.get(number)
    selections = (Selection("L1", 2, "too_small"),)
    priced = quote(order, selections, DEFAULT_POLICY, resolution="refund")
    request = ReturnRequest.request(rma=f"R-0000-{number}", order=order, selections=selections, quote=priced,
                                    needs_approval=pending, at=at)
    stored: ReturnRequest = deps.returns.create(request, line_quantities=LINES, now=at)
    return stored


def test_a_return_is_reminded_once_three_days_before_its_send_by_date(deps: Deps) -> None:
    made = a_return(deps, "1001")
    assert send_ship_reminders(deps.at(10.9)).sent == []
    assert send_ship_reminders(deps.at(11)).sent == [made.rma]
    # 12:00 UTC on 7 December is 21:00 in Tokyo: the store's day is the 7th.
    assert deps.shopper_notifier.reminded == [(made.rma, date(2026, 12, 7))]
    assert send_ship_reminders(deps.at(11.5)).sent == []
    assert send_ship_reminders(deps.at(13)).sent == []
    assert len(deps.shopper_notifier.reminded) == 1
    stored = deps.returns.get(made.rma)
    assert stored is not None and stored.status == "approved" and stored.status_changed_at == NOW
    reminder = stored.events[-1]
    assert (reminder.kind, reminder.actor) == ("ship_reminder_sent", REMINDER_ACTOR)


def test_a_missed_run_catches_up_until_the_send_by_but_not_after(deps: Deps) -> None:
    caught_up = a_return(deps, "1001")
    too_late = a_return(deps, "1002", at=NOW - timedelta(days=2))
    assert send_ship_reminders(deps.at(12.5)).sent == [caught_up.rma]
    assert too_late.rma not in [rma for rma, _ in deps.shopper_notifier.reminded]


def test_returns_sent_waiting_or_cancelled_are_not_reminded(deps: Deps) -> None:
    received = a_return(deps, "1001")
    deps.returns.save(received.receive(at=NOW + timedelta(days=2), actor="warehouse"), new_events=1,
                      now=NOW + timedelta(days=2))
    a_return(deps, "1002", pending=True)
    cancelled = a_return(deps, "1003")
    deps.returns.save(cancelled.cancel(at=NOW + timedelta(hours=1)), new_events=1, now=NOW + timedelta(hours=1))
    assert send_ship_reminders(deps.at(11.5)).sent == []
    assert deps.shopper_notifier.reminded == []


def test_no_reminder_when_the_store_turned_it_off_or_returns_never_expire(deps: Deps) -> None:
    a_return(deps, "1001")
    deps.policy(ship_within_days=14, ship_reminder_days_before=None)
    assert send_ship_reminders(deps.at(11.5)).sent == []
    deps.policy(ship_within_days=None, ship_reminder_days_before=3)
    assert send_ship_reminders(deps.at(11.5)).sent == []


def test_a_reminder_that_could_not_be_emailed_is_counted_and_not_sent_twice(deps: Deps) -> None:
    made = a_return(deps, "1001")
    deps.shopper_notifier.broken = True
    run = send_ship_reminders(deps.at(11.2))
    assert (run.sent, run.failed) == ([], [made.rma])
    deps.shopper_notifier.broken = False
    assert send_ship_reminders(deps.at(11.3)).sent == []
