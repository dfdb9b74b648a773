"""Paying a difference back with fakes: a refusal or silence from Stripe never pays twice,
and after a few claims the jobs leave it for a person instead of trying (and writing) forever."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.adapters.in_memory_catalog import InMemoryProductCatalog
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.money import Money
from chalicelib.domain.refunds import GatewayRefund, PaymentGatewayUnavailableError, RefundDeclinedError
from chalicelib.domain.return_request import EventKind, ReturnRequest
from chalicelib.services.pay_difference import MAX_CLAIMS, STUCK_AFTER, refund_difference
from tests.fakes import FixedClock
from tests.unit.domain.test_exchange import NOW, TEE, an_exchange


def stocked_returns() -> InMemoryReturnRepository:
    catalog = InMemoryProductCatalog()
    catalog.put(TEE)
    return InMemoryReturnRepository(catalog)


@dataclass
class Stripe:
    """The difference's refunds as Stripe would answer: `answer` is what each refund call does."""

    answer: str = "ok"
    made: list[GatewayRefund] = field(default_factory=list)
    calls: int = 0

    def refund_difference(self, *, payment_intent: str, amount: Money, idempotency_key: str,
                          rma: str) -> GatewayRefund:
        self.calls += 1
        if self.answer == "refused":
            raise RefundDeclinedError("no", reason="charge_already_refunded")
        refund = GatewayRefund(id=f"re_{len(self.made) + 1}", amount=amount, status="succeeded", rma=rma, attempt=None,
                               failure_reason=None)
        self.made.append(refund)
        if self.answer == "silent":
            raise PaymentGatewayUnavailableError("timeout after the refund was made")
        return refund

    def refunds_of(self, payment_intent: str) -> list[GatewayRefund]:
        return list(self.made)


@dataclass
class Deps:
    returns: InMemoryReturnRepository = field(default_factory=stocked_returns)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    payments: Stripe = field(default_factory=Stripe)
    listings: Any = None
    policies: Any = None
    refund_queue: Any = None
    store_credit: Any = None
    shopper_notifier: Any = None
    checkout_promotions: Any = None

    @property
    def difference_payments(self) -> Stripe:
        return self.payments


def a_cancelled_paid_exchange(deps: Deps) -> str:
    paid = an_exchange("TEE-NAVY-L").attach_payment_intent("pi_1").record_payment("pi_1", Money(500, "JPY"), at=NOW)
    stored = deps.returns.create(paid, line_quantities={"L1": 1}, now=NOW)
    deps.returns.save(stored.cancel(at=NOW), new_events=1, now=NOW)
    return stored.rma


def current(deps: Deps, rma: str) -> ReturnRequest:
    found = deps.returns.get(rma)
    assert found is not None
    return found


def test_a_refund_whose_answer_was_lost_is_adopted_by_the_next_run_never_made_again() -> None:
    deps = Deps()
    rma = a_cancelled_paid_exchange(deps)
    deps.payments.answer = "silent"
    refund_difference(deps, rma)
    assert current(deps, rma).payment.status == "refunding" and len(deps.payments.made) == 1
    refund_difference(deps, rma)  # a second delivery at once: the claim is fresh, Stripe's refund adopted
    assert current(deps, rma).payment.status == "refunded" and len(deps.payments.made) == 1
    deps.clock.advance(STUCK_AFTER.total_seconds() + 1)
    refund_difference(deps, rma)
    assert len(deps.payments.made) == 1 and deps.payments.calls == 1


def test_a_refused_refund_is_retried_a_few_times_then_left_for_a_person() -> None:
    deps = Deps()
    rma = a_cancelled_paid_exchange(deps)
    deps.payments.answer = "refused"
    for _ in range(MAX_CLAIMS + 3):
        refund_difference(deps, rma)
        deps.clock.advance((STUCK_AFTER + timedelta(seconds=1)).total_seconds())
    left = current(deps, rma)
    assert deps.payments.calls == MAX_CLAIMS and deps.payments.made == []
    assert sum(1 for e in left.events if e.kind == EventKind.DIFFERENCE_REFUND_STARTED) == MAX_CLAIMS
    assert left.owes_difference_refund and left.payment.status == "refunding"
