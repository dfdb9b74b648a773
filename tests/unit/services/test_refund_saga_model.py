"""A model test of the refund saga: whatever Stripe does, and in whatever order, nobody is paid twice.

Hypothesis drives two returns of one order through receipts, refund jobs (delivered once, twice
or out of order), the resume job, staff retries and Stripe's events, against a Stripe double
(tests/stripe_double.py) whose calls time out before or after it acted, whose refunds stay
pending and fail later, and whose events arrive late, twice or reordered. After every step
Stripe's own rules must hold for the money, and our ceiling must never be above what Stripe
still allows; once everything has been delivered and the jobs have run, each return's status
must say what Stripe holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from chalicelib.adapters.in_memory import InMemoryOrderRepository, InMemoryPolicyRepository
from chalicelib.adapters.in_memory_payments import InMemoryPaymentLedger
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.errors import RetourError
from chalicelib.domain.money import Money
from chalicelib.domain.order import Order
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import APPROVED, REFUND_FAILED, REFUNDED, REFUNDING, ReturnRequest
from chalicelib.services.handle_stripe_event import handle_stripe_event
from chalicelib.services.receive_return import receive_return
from chalicelib.services.refund_return import (
    STUCK_AFTER,
    RefundMessage,
    handle_refund_message,
    refund_return,
    resume_stuck_refunds,
    retry_refund,
)
from tests.builders import a_line, an_order
from tests.fakes import FixedClock
from tests.stripe_double import ANSWERED, CALL_OUTCOMES, LIVE, StripeDouble

START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
RMAS = ("R-0000-0001", "R-0000-0002")


@dataclass
class Queue:
    messages: list[RefundMessage] = field(default_factory=list)

    def enqueue(self, rma: str, *, trigger: str) -> None:
        self.messages.append(RefundMessage(rma=rma, trigger=trigger))


@dataclass
class SeenEvents:
    ids: set[str] = field(default_factory=set)

    def first_time(self, event_id: str, *, now: datetime) -> bool:
        if event_id in self.ids:
            return False
        self.ids.add(event_id)
        return True

    def forget(self, event_id: str) -> None:
        self.ids.discard(event_id)


@dataclass
class Mail:
    sent: list[tuple[str, str]] = field(default_factory=list)

    def refund_sent(self, request: ReturnRequest) -> None:
        self.sent.append(("refund_sent", request.rma))

    def credit_issued(self, request: ReturnRequest, *, balance: Money, code: str | None = None,
                      expiring: object = None, zone: object = None) -> None:
        raise AssertionError("these returns are paid back as refunds")

    def refund_failed(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        self.sent.append(("refund_failed", request.rma))

    def refund_held(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        self.sent.append(("refund_held", request.rma))

    def difference_refund_refused(self, request: ReturnRequest, *, to: str, reason: str) -> None:
        raise AssertionError("these returns are not exchanges")


@dataclass
class Deps:
    payments: StripeDouble
    orders: InMemoryOrderRepository = field(default_factory=InMemoryOrderRepository)
    returns: InMemoryReturnRepository = field(default_factory=InMemoryReturnRepository)
    policies: InMemoryPolicyRepository = field(default_factory=InMemoryPolicyRepository)
    clock: FixedClock = field(default_factory=lambda: FixedClock(START))
    refund_queue: Queue = field(default_factory=Queue)
    stripe_events: SeenEvents = field(default_factory=SeenEvents)
    mail: Mail = field(default_factory=Mail)
    payment_ledger: Any = None
    store_credit: Any = None

    def __post_init__(self) -> None:
        self.payment_ledger = InMemoryPaymentLedger(self.returns)

    @property
    def shopper_notifier(self) -> Mail:
        return self.mail

    @property
    def merchant_notifier(self) -> Mail:
        return self.mail


def an_order_with_returns(deps: Deps, rmas: tuple[str, ...]) -> Order:
    """Order 1001 (two tees, paid in JPY), with one approved return of one tee per RMA."""
    order = an_order(currency="JPY", lines=[a_line(quantity=2)])
    deps.orders.save(order, now=START)
    for rma in rmas:
        selections = (Selection("L1", 1, "too_small"),)
        priced = quote(order, selections, DEFAULT_POLICY, resolution="refund")
        request = ReturnRequest.request(rma=rma, order=order, selections=selections, quote=priced,
                                        needs_approval=False, at=START)
        deps.returns.create(request, line_quantities={"L1": 2}, now=START)
    return order


class RefundSaga(RuleBasedStateMachine):
    """Receipts, jobs, staff and Stripe, in any order; the money stays right after every step."""

    # One return keeps the search on its attempts; TwoReturns adds a second on the same charge.
    rmas: tuple[str, ...] = RMAS[:1]

    @initialize()
    def an_order_paid_on_stripe(self) -> None:
        probe = an_order(currency="JPY", lines=[a_line(quantity=2)])
        self.stripe = StripeDouble(payment_intent=probe.payment.payment_intent or "", captured=probe.total)
        self.deps = Deps(payments=self.stripe)
        self.order = an_order_with_returns(self.deps, self.rmas)

    # --- the warehouse, the jobs and the staff ---------------------------------------------

    @precondition(lambda self: any(self._return(rma).status == APPROVED for rma in self.rmas))
    @rule(pick=st.integers(min_value=0))
    def the_parcel_arrives(self, pick: int) -> None:
        self._tolerating(receive_return, self.deps, self.rmas[pick % len(self.rmas)], received_by="warehouse")

    @precondition(lambda self: bool(self.deps.refund_queue.messages))
    @rule(pick=st.integers(min_value=0), delivered_again_later=st.booleans(), stripe=st.sampled_from(CALL_OUTCOMES))
    def the_worker_takes_a_job(self, pick: int, delivered_again_later: bool, stripe: str = ANSWERED) -> None:
        self.stripe.next_call = stripe
        messages = self.deps.refund_queue.messages
        message = messages[pick % len(messages)]
        if not delivered_again_later:
            messages.remove(message)
        if not self._tolerating(handle_refund_message, self.deps, message) and message not in messages:
            messages.append(message)  # it failed: SQS delivers it again

    @rule(stripe=st.sampled_from(CALL_OUTCOMES), listing_down=st.booleans())
    def the_resume_job_runs_a_while_later(self, stripe: str = ANSWERED, listing_down: bool = False) -> None:
        self.stripe.next_call = stripe
        self.stripe.listing_down = listing_down
        self.deps.clock.at += STUCK_AFTER + timedelta(seconds=30)
        self._tolerating(resume_stuck_refunds, self.deps)

    @precondition(lambda self: any(self._return(rma).status == REFUND_FAILED for rma in self.rmas))
    @rule(pick=st.integers(min_value=0))
    def staff_retry_a_failed_refund(self, pick: int) -> None:
        rma = self.rmas[pick % len(self.rmas)]
        self._tolerating(retry_refund, self.deps, rma, actor="staff:agent@retour.local")

    # --- Stripe ------------------------------------------------------------------------------

    @precondition(lambda self: bool(self.stripe.pending()))
    @rule(pick=st.integers(min_value=0), status=st.sampled_from(("succeeded", "failed")))
    def a_pending_refund_settles(self, pick: int, status: str) -> None:
        pending = self.stripe.pending()
        self.stripe.settle(pending[pick % len(pending)].id, status)

    @precondition(lambda self: bool(self.stripe.undelivered))
    @rule(pick=st.integers(min_value=0), again=st.sampled_from(("never", "same_id", "new_id")))
    def stripe_delivers_an_event(self, pick: int, again: str = "never") -> None:
        """One event reaches the webhook; it may come again later, as the same or a new event."""
        events = self.stripe.undelivered
        event = events.pop(pick % len(events))
        if again != "never":
            events.append(event if again == "same_id" else self.stripe.resent(event))
        if not self._tolerating(handle_stripe_event, self.deps, event):
            events.append(event)  # a 5xx: Stripe delivers it again

    # --- what must hold ---------------------------------------------------------------------

    @invariant()
    def stripe_never_refunds_a_return_beyond_its_quote_nor_the_charge_beyond_its_capture(self) -> None:
        assert self.stripe.live_total <= self.order.total.minor
        for rma in self.rmas:
            request = self._return(rma)
            live = sum(r.amount.minor for r in self.stripe.refunds if r.rma == rma and r.status in LIVE)
            assert live <= request.quote.refund_value.minor, f"{rma} paid {live} on Stripe: {self.stripe.refunds}"

    @invariant()
    def our_ceiling_is_never_above_what_stripe_still_allows(self) -> None:
        payment = self.deps.payment_ledger.get(self.order.number)
        if payment is not None:
            assert payment.remaining_refundable.minor <= self.stripe.refundable.minor, (
                f"ceiling {payment.remaining_refundable.minor}, Stripe allows {self.stripe.refundable.minor}: "
                f"{self.stripe.refunds}"
            )

    def teardown(self) -> None:
        """Stripe settles and delivers everything, jobs run dry: each status says what Stripe holds."""
        if not hasattr(self, "deps"):
            return
        self.stripe.listing_down = False
        for _ in range(20):
            for refund in self.stripe.pending():
                self.stripe.settle(refund.id, "succeeded")
            while self.stripe.undelivered:
                self.stripe_delivers_an_event(0)
            while self.deps.refund_queue.messages:
                self.the_worker_takes_a_job(0, delivered_again_later=False)
            if not any(self._return(rma).status == REFUNDING for rma in self.rmas) and not self.stripe.undelivered:
                break
            self.the_resume_job_runs_a_while_later()
        for rma in self.rmas:
            request = self._return(rma)
            live = [r for r in self.stripe.refunds if r.rma == rma and r.status in LIVE]
            assert len(live) <= 1, f"{rma} was refunded twice on Stripe: {live}"
            if live:
                assert request.status == REFUNDED, f"{rma} is {request.status} but Stripe refunded it: {live}"
                assert request.refund is not None and request.refund.refund_id == live[0].id
            else:
                assert request.status not in (REFUNDED, REFUNDING), (
                    f"{rma} is {request.status} but Stripe holds no refund of it: {self.stripe.refunds}"
                )
            if request.status == REFUND_FAILED:
                assert ("refund_failed", rma) in self.deps.mail.sent

    # --- helpers ------------------------------------------------------------------------------

    def _return(self, rma: str) -> ReturnRequest:
        found = self.deps.returns.get(rma)
        assert found is not None
        return found

    def _tolerating(self, step: Any, *args: Any, **kwargs: Any) -> bool:
        """Run one step as Lambda would: a RetourError fails the invocation (it is retried)."""
        try:
            step(*args, **kwargs)
        except RetourError:
            return False
        return True


class TwoReturnsSaga(RefundSaga):
    """The same, with two returns sharing the charge's ceiling."""

    rmas = RMAS


# The budget finds the late-event double refund (an earlier attempt's failure applied to the
# current attempt) within its first few hundred runs when that fix is reverted; about 10 s.
RefundSaga.TestCase.settings = settings(
    max_examples=600, stateful_step_count=30, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TwoReturnsSaga.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_one_return_is_never_paid_twice_whatever_stripe_does = RefundSaga.TestCase
test_two_returns_of_one_charge_never_go_beyond_it = TwoReturnsSaga.TestCase


def test_a_note_written_between_a_jobs_read_and_its_write_does_not_drop_the_refund() -> None:
    """A write that keeps the status (a staff note; for an exchange, its difference refund's
    claim) makes the job's first write lose: the step is still to do, so it runs again."""
    probe = an_order(currency="JPY", lines=[a_line(quantity=2)])
    stripe = StripeDouble(payment_intent=probe.payment.payment_intent or "", captured=probe.total)
    deps = Deps(payments=stripe)
    an_order_with_returns(deps, RMAS[:1])
    receive_return(deps, RMAS[0], received_by="warehouse")
    read = deps.returns.get(RMAS[0])  # the job's copy, consistent
    assert read is not None
    deps.returns.save(read.add_note("box dented", at=START, actor="staff:agent@retour.local"), new_events=1,
                      now=START)
    done = refund_return(deps, read)
    assert done.status in (REFUNDING, REFUNDED)
    assert len(stripe.refunds) == 1
