"""Deciding a return with fakes: one decision, counter-terms priced, units and money follow,
and nothing after the stored decision (label, money, email) can undo it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import StaleWriteError, ValidationError
from chalicelib.domain.order import Order
from chalicelib.domain.return_request import ReturnRequest
from chalicelib.services.decide_return import AlreadyDecidedError, DecidedBy, Decision, decide_return
from chalicelib.services.request_return import request_return
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.unit.services.test_issue_label import LabelDeps
from tests.unit.services.test_request_return import NOW, Outbox, one

MERCHANT = DecidedBy(actor="merchant:returns@example.com", source_ip="203.0.113.7", user_agent="Mail/1.0")


@dataclass
class Queue:
    jobs: list[tuple[str, str]] = field(default_factory=list)

    def enqueue(self, rma: str, *, trigger: str) -> None:
        self.jobs.append((rma, trigger))


@dataclass
class Shopper(Outbox):
    """The shopper's inbox: the confirmation of the request, then the decision."""

    decided: list[tuple[str, str, str, str]] = field(default_factory=list)
    broken: bool = False

    def return_decided(self, request: ReturnRequest, order: Order, *, note: str, counter_terms: str) -> None:
        if self.broken:
            raise ConnectionError("the mail server is down")
        self.decided.append((request.rma, request.status, note, counter_terms))


@dataclass
class DecideDeps(LabelDeps):
    refund_queue: Queue = field(default_factory=Queue)
    shopper_notifier: Shopper = field(default_factory=Shopper)
    store_credit: Any = None


@pytest.fixture
def deps() -> DecideDeps:
    deps = DecideDeps()
    deps.orders.save(OrderIn.model_validate(an_order_document()).to_domain(), now=NOW)
    return deps


def pending(deps: DecideDeps, quantity: int = 1, resolution: str = "refund") -> ReturnRequest:
    """A return asked for 10 days after the window closed (inside the grace): the merchant decides."""
    deps.clock.at = NOW + timedelta(days=20)
    created = request_return(deps, order_number="1001", selections=one(quantity=quantity), resolution=resolution)
    assert created.status == "pending_approval"
    return created


def test_an_approval_is_stored_once_with_who_decided_and_the_label_is_ready(deps: DecideDeps) -> None:
    created = pending(deps)
    decided = decide_return(deps, created.rma, Decision("approve", note=" Thanks! "), by=MERCHANT)
    assert decided.status == "approved" and decided.version == created.version + 1
    event = decided.events[-1]
    assert (event.kind, event.actor, event.detail, event.source_ip) == (
        "approved", MERCHANT.actor, "Thanks!", "203.0.113.7")
    assert deps.returns.get(created.rma) == decided
    assert list(deps.labels.stored) == [f"labels/{created.rma}/4x6.pdf"]
    assert deps.shopper_notifier.decided == [(created.rma, "approved", "Thanks!", "")]
    # The units stay in the approved return; under on_receipt no money moves yet.
    assert deps.returns.units_of_order("1001").in_open_returns == {"L1": 1}
    assert deps.refund_queue.jobs == []


def test_a_rejection_gives_the_units_back_and_draws_no_label(deps: DecideDeps) -> None:
    created = pending(deps, quantity=2)
    decided = decide_return(deps, created.rma, Decision("reject", note="Worn"), by=MERCHANT)
    assert decided.status == "rejected"
    assert deps.returns.units_of_order("1001").in_open_returns == {"L1": 0}
    assert deps.labels.stored == {} and deps.render_label.drawn == []
    assert deps.shopper_notifier.decided == [(created.rma, "rejected", "Worn", "")]


def test_a_second_decision_is_refused_and_changes_nothing(deps: DecideDeps) -> None:
    created = pending(deps)
    first = decide_return(deps, created.rma, Decision("reject"), by=MERCHANT)
    with pytest.raises(AlreadyDecidedError) as refused:
        decide_return(deps, created.rma, Decision("approve"), by=DecidedBy(actor="admin"))
    assert refused.value.decision is not None and refused.value.decision.actor == MERCHANT.actor
    assert deps.returns.get(created.rma) == first
    assert len(deps.shopper_notifier.decided) == 1


def test_a_decision_that_loses_the_race_is_told_who_won(deps: DecideDeps) -> None:
    created = pending(deps)

    class RivalFirst:
        """The rival's rejection lands between our read and our write."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def save(self, request: ReturnRequest, *, new_events: int, now: Any) -> ReturnRequest:
            current = self.inner.get(request.rma)
            self.inner.save(current.reject(at=now, actor="merchant:rival@example.com"), new_events=1, now=now)
            return self.inner.save(request, new_events=new_events, now=now)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    deps.returns = RivalFirst(deps.returns)
    with pytest.raises(AlreadyDecidedError) as lost:
        decide_return(deps, created.rma, Decision("approve"), by=MERCHANT)
    assert lost.value.request.status == "rejected"
    assert lost.value.decision is not None and lost.value.decision.actor == "merchant:rival@example.com"
    assert deps.labels.stored == {} and deps.shopper_notifier.decided == []


def test_a_write_conflict_on_a_return_still_pending_is_not_reported_as_a_decision(deps: DecideDeps) -> None:
    created = pending(deps)

    class Stale:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def save(self, request: ReturnRequest, *, new_events: int, now: Any) -> ReturnRequest:
            raise StaleWriteError("changed by someone else")

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    deps.returns = Stale(deps.returns)
    with pytest.raises(StaleWriteError):
        decide_return(deps, created.rma, Decision("approve"), by=MERCHANT)


def test_offering_store_credit_prices_the_bonus_the_policy_gives_and_waits_for_the_shopper(deps: DecideDeps) -> None:
    created = pending(deps)
    assert created.quote.resolution == "refund" and created.quote.bonus.minor == 0
    decided = decide_return(deps, created.rma, Decision("approve_store_credit", note="Sale items: credit only"),
                            by=MERCHANT)
    assert decided.status == "offered" and decided.quote == created.quote  # the ask stays until answered
    offer = decided.offer
    assert offer is not None and offer.resolution == "store_credit"
    # The default policy's 10 % bonus on what the unit is worth (3300 + 300 tax).
    assert (offer.items.minor, offer.tax.minor, offer.bonus.minor) == (3300, 300, 360)
    assert offer.total.minor == created.quote.total.minor + 360
    assert offer.policy_version == created.quote.policy_version
    assert deps.shopper_notifier.decided[-1] == (created.rma, "offered", "Sale items: credit only", "approve_store_credit")
    assert decided.events[-1].detail == "offered store credit only"
    assert deps.labels.stored == {}  # no label before the shopper accepts


def test_offering_the_refund_minus_a_fee_takes_that_percent_off_the_items(deps: DecideDeps) -> None:
    created = pending(deps, quantity=2)
    decided = decide_return(deps, created.rma, Decision("approve_fee", note="Tags removed", fee_percent=15), by=MERCHANT)
    assert decided.offer is not None
    assert decided.offer.restocking_fee.minor == 6600 * 15 // 100
    assert decided.offer.total.minor == created.quote.total.minor - 990
    assert decided.events[-1].detail == "offered minus a 15% fee"
    assert decided.merchant_note == "Tags removed"


@pytest.mark.parametrize("action", ["approve_store_credit", "approve_fee"])
def test_an_offer_without_a_reason_decides_nothing(deps: DecideDeps, action: str) -> None:
    created = pending(deps)
    with pytest.raises(ValidationError) as refused:
        decide_return(deps, created.rma, Decision(action, note="  ", fee_percent=10), by=MERCHANT)
    assert refused.value.fields == ("note",)
    assert deps.returns.get(created.rma) == created


def test_a_decline_on_a_page_needs_a_reason_and_through_the_api_may_go_without(deps: DecideDeps) -> None:
    created = pending(deps)
    with pytest.raises(ValidationError) as refused:
        decide_return(deps, created.rma, Decision("reject"), by=MERCHANT, reason_for_decline=True)
    assert refused.value.fields == ("note",)
    assert decide_return(deps, created.rma, Decision("reject"), by=MERCHANT).status == "rejected"


@pytest.mark.parametrize("fee", [0, 101, None, 12.5])
def test_a_fee_outside_one_to_a_hundred_percent_decides_nothing(deps: DecideDeps, fee: Any) -> None:
    created = pending(deps)
    with pytest.raises(ValidationError) as refused:
        decide_return(deps, created.rma, Decision("approve_fee", fee_percent=fee), by=MERCHANT)
    assert refused.value.fields == ("fee_percent",)
    assert deps.returns.get(created.rma) == created


def test_under_refund_on_approval_the_approval_queues_the_refund(deps: DecideDeps) -> None:
    current = deps.policies.current()
    deps.policies.save(replace(current, refund_trigger="on_approval"), expected_version=current.version, now=NOW)
    created = pending(deps)
    decide_return(deps, created.rma, Decision("approve"), by=MERCHANT)
    assert deps.refund_queue.jobs == [(created.rma, "approval")]


def test_nothing_after_the_stored_decision_can_undo_it(deps: DecideDeps) -> None:
    created = pending(deps)

    def broken_renderer(document: Any, size: Any) -> bytes:
        raise RuntimeError("out of memory")

    deps.render_label = broken_renderer  # type: ignore[assignment]
    deps.shopper_notifier.broken = True
    decided = decide_return(deps, created.rma, Decision("approve"), by=MERCHANT)
    assert decided.status == "approved"
    assert deps.returns.get(created.rma) == decided
    assert deps.labels.stored == {}  # rendered on the first download instead
