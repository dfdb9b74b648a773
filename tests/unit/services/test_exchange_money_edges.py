"""A dearer exchange's paid difference at the edges, with fakes: a card payment Stripe is still
processing keeps the return open, one that succeeds after the return closed is paid back, and a
replacement already made on approval keeps what was paid for it when the return then expires."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from chalicelib.domain.catalog import Product, Variant
from chalicelib.domain.exchange import choose_exchange
from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.refunds import PaymentGatewayUnavailableError
from chalicelib.domain.return_request import Condition, ReceivedLine, ReturnRequest
from chalicelib.services.cancel_return import cancel_return
from chalicelib.services.fulfil_exchange import fulfil_exchange
from chalicelib.services.pay_difference import confirm_payment
from chalicelib.services.ports.money import DifferenceIntent
from tests.builders import a_line, an_order
from tests.unit.services.test_fulfil_exchange import NOW, Deps

ORDER = an_order(lines=(a_line(product_id="tee", options=(("size", "M"),), quantity=2),))
TEE = Product("tee", "Organic tee", (
    Variant("TEE-M", (("size", "M"),), 3300, 2),
    Variant("TEE-L", (("size", "L"),), 3800, 5),
))
POLICY = replace(DEFAULT_POLICY, exchanges="any_price", exchange_trigger="on_approval")


@dataclass
class Stripe:
    """The difference's PaymentIntent as Stripe reports it; one `processing` can't be cancelled."""

    amount: Money
    status: str = "requires_payment"

    def cancel_difference_intent(self, payment_intent: str) -> DifferenceIntent:
        if self.status in ("requires_payment", "requires_action"):
            self.status = "canceled"
        return self.difference_intent_of(payment_intent)

    def difference_intent_of(self, payment_intent: str) -> DifferenceIntent:
        received = self.amount if self.status == "succeeded" else Money(0, self.amount.currency)
        return DifferenceIntent(id=payment_intent, status=self.status, amount=self.amount, received=received,
                                rma="R-7Q4K-9M2P")


class MoneyDeps(Deps):
    difference_payments: Stripe


def unpaid_dearer_exchange() -> tuple[MoneyDeps, ReturnRequest]:
    """Two M tees for two L (500 yen dearer each): waiting for 1000 yen, its PaymentIntent made."""
    deps = MoneyDeps()
    deps.catalog.put(TEE)
    deps.orders.save(replace(ORDER, version=deps.orders.get(ORDER.number).version), now=NOW)
    deps.policies.save(POLICY, expected_version=deps.policies.current().version, now=NOW)
    choice = choose_exchange(ORDER.lines[0], deps.catalog.get("tee"), POLICY, ORDER.currency, sku="TEE-L", quantity=2)
    selections = (Selection("L1", 2, "too_small", exchange_for="TEE-L"),)
    priced = quote(ORDER, selections, POLICY, resolution="exchange", exchanges={"L1": choice})
    request = ReturnRequest.request(rma="R-7Q4K-9M2P", order=ORDER, selections=selections, quote=priced,
                                    needs_approval=False, at=NOW)
    stored = deps.returns.create(request, line_quantities={"L1": 2}, now=NOW)
    assert stored.payment is not None and stored.payment.amount == Money(1000, "JPY")
    stored = deps.returns.save(stored.attach_payment_intent("pi_1"), new_events=0, now=NOW)
    deps.difference_payments = Stripe(stored.payment.amount)
    return deps, stored


def test_a_cancel_while_stripe_processes_the_payment_changes_nothing_yet() -> None:
    deps, stored = unpaid_dearer_exchange()
    deps.difference_payments.status = "processing"
    with pytest.raises(PaymentGatewayUnavailableError):
        cancel_return(deps, stored.rma, order_number=ORDER.number)
    assert deps.returns.get(stored.rma).status == "awaiting_payment"
    # Once Stripe settles it, the payment moves the return on as any paid exchange.
    deps.difference_payments.status = "succeeded"
    paid = confirm_payment(deps, stored.rma, "pi_1")
    assert paid.status == "approved" and paid.payment.status == "succeeded"


def test_a_payment_that_succeeds_after_the_return_closed_is_recorded_and_paid_back() -> None:
    deps, stored = unpaid_dearer_exchange()
    # Closed unpaid (by a path that did not see the payment coming), then Stripe settles it.
    closed = deps.returns.save(stored.cancel(at=NOW), new_events=1, now=NOW)
    assert closed.status == "cancelled" and not closed.owes_difference_refund
    deps.difference_payments.status = "succeeded"
    late = confirm_payment(deps, stored.rma, "pi_1")
    assert late.status == "cancelled" and late.payment.status == "succeeded" and late.owes_difference_refund
    assert [e.detail for e in late.events if e.kind == "payment_received"] == ["late"]
    assert deps.refund_queue.queued == [(stored.rma, "difference")]
    # The webhook delivered again: recorded once, queued once.
    assert confirm_payment(deps, stored.rma, "pi_1").version == late.version
    assert deps.refund_queue.queued == [(stored.rma, "difference")]


def test_a_replacement_made_on_approval_keeps_its_paid_difference_when_the_parcel_never_comes() -> None:
    deps, stored = unpaid_dearer_exchange()
    deps.difference_payments.status = "succeeded"
    paid = confirm_payment(deps, stored.rma, "pi_1")  # approved: on_approval makes the order
    made = deps.returns.get(stored.rma)
    assert made.exchange_order is not None and paid.payment.status == "succeeded"
    expired = made.expire(at=NOW, actor="system:return_expiry", ship_within_days=30)
    assert expired.status == "expired" and not expired.owes_difference_refund


def paid_dearer_exchange_made_at_the_parcel() -> tuple[MoneyDeps, ReturnRequest]:
    """The exchange above, paid, under exchange_trigger on_receipt: approved, no order yet."""
    deps, stored = unpaid_dearer_exchange()
    deps.policies.save(replace(POLICY, exchange_trigger="on_receipt"), expected_version=deps.policies.current().version,
                       now=NOW)
    deps.difference_payments.status = "succeeded"
    return deps, confirm_payment(deps, stored.rma, "pi_1")


def test_a_partial_parcel_pays_back_what_was_paid_for_the_replacements_not_sent() -> None:
    deps, paid = paid_dearer_exchange_made_at_the_parcel()
    assert paid.status == "approved" and paid.exchange_order is None and not paid.owes_difference_refund
    # One of the two tees comes back: one L is sent, and the 500 paid for the other goes back.
    received = deps.returns.save(
        paid.receive(at=NOW, actor="warehouse", received=(ReceivedLine("L1", 1, Condition.AS_DESCRIBED),)),
        new_events=1, now=NOW)
    done = fulfil_exchange(deps, received.rma, request=received)
    assert done.status == "exchanged" and [line.quantity for line in done.exchange_order.lines] == [1]
    assert done.difference_owed_back == Money(500, "JPY") and done.owes_difference_refund
    assert deps.refund_queue.queued == [(paid.rma, "difference")]
    # Paid back, it is owed no more, and what went back is kept for the pages.
    claimed = done.start_difference_refund(at=NOW, actor="system")
    refunded = claimed.record_difference_refunded("re_1", at=NOW, actor="system")
    assert refunded.payment.refunded == Money(500, "JPY") and not refunded.owes_difference_refund


def test_the_whole_parcel_keeps_the_whole_paid_difference() -> None:
    deps, paid = paid_dearer_exchange_made_at_the_parcel()
    received = deps.returns.save(paid.receive(at=NOW, actor="warehouse"), new_events=1, now=NOW)
    done = fulfil_exchange(deps, received.rma, request=received)
    assert done.status == "exchanged" and not done.owes_difference_refund
    assert deps.refund_queue.queued == []
