"""Use case: apply a verified Stripe event once (deliveries repeat and arrive out of order).

- `refund.updated` / `charge.refund.updated` / `refund.failed` about a refund carrying our RMA:
  applied only when it is the return's current attempt's refund (`refund_changed`): failed or
  canceled moves the return to refund_failed (ceiling restored, merchant told); accepted settles
  a refund whose answer was lost. An earlier attempt's refund, late or repeated, changes nothing.
- `charge.refunded`: refunds on the charge that we did not make (no RMA in their metadata,
  e.g. from the Stripe dashboard) lower the order's remaining refundable amount, once each.
- Money events find the order through the PaymentIntent they are about (our index of the
  orders we hold), and only then through metadata: see `_orders_paid_by`.
- `checkout.session.completed` / `.async_payment_succeeded`: the order is imported (see
  `order_from_checkout`), held to the admin import's schema and payment check; a session that
  fails them is logged and acknowledged (`order_refused:<code>`), never retried.
- The same two checkout events: store credit spent there through its promotion code is recorded
  in the ledger once per session and code, and the code made again for what is left (see
  `checkout_credit.py`), whether or not the order is imported.
- `charge.dispute.created`: the order's payment is marked disputed; refunds on it are held.
  `charge.dispute.closed`: the mark is cleared and the refunds it held are queued again; a lost
  dispute first lowers the ceiling by its amount (the bank paid it back). A closed dispute is
  remembered, so its created event delivered late holds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..domain.errors import ConflictError, StaleWriteError, ValidationError
from ..domain.money import Money
from ..domain.order import Order, order_number_key
from .checkout_credit import record_checkout_spend
from .import_order import import_order
from .owe_difference import DIFFERENCE_PURPOSE
from .pay_difference import PayDifferenceDeps, PaymentNotAwaitedError, confirm_payment
from .ports.money import CheckoutPromotions, StoredEvents
from .refund_return import RefundDeps, refund_changed, release_held_refunds

log = logging.getLogger("retour.webhooks")

_FAILED = ("failed", "canceled")
# A session paid at once completes paid; one paid later (bank transfer) completes unpaid and
# sends the second event when the money arrives.
_CHECKOUT_PAID = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


class StripeEventDeps(RefundDeps, PayDifferenceDeps, Protocol):
    """What applying Stripe events needs."""

    @property
    def stripe_events(self) -> StoredEvents: ...

    @property
    def checkout_promotions(self) -> CheckoutPromotions | None: ...


def handle_stripe_event(
    deps: StripeEventDeps,
    event: Mapping[str, Any],
    *,
    order_from_checkout: Callable[[Mapping[str, Any]], Order | None] | None = None,
) -> str:
    """Apply `event` unless it was applied before; what happened, in a word (for the log)."""
    event_id = str(event.get("id", ""))
    if not event_id or not deps.stripe_events.first_time(event_id, now=deps.clock.now()):
        return "duplicate"
    try:
        return _apply(deps, event, order_from_checkout)
    except Exception:
        # Not applied: forget the id so Stripe's next delivery tries again.
        deps.stripe_events.forget(event_id)
        raise


def _apply(
    deps: StripeEventDeps,
    event: Mapping[str, Any],
    order_from_checkout: Callable[[Mapping[str, Any]], Order | None] | None,
) -> str:
    kind = str(event.get("type", ""))
    obj: Mapping[str, Any] = (event.get("data") or {}).get("object") or {}
    if kind == "payment_intent.succeeded":
        return _difference_paid(deps, obj)
    if kind in ("refund.updated", "charge.refund.updated", "refund.failed"):
        if (obj.get("metadata") or {}).get("purpose") == DIFFERENCE_PURPOSE:
            return "ignored"  # a price difference paid back: recorded by the worker that made it
        return _refund_updated(deps, obj)
    if kind == "charge.refunded":
        return _charge_refunded(deps, obj)
    if kind in ("charge.dispute.created", "charge.dispute.closed"):
        return _dispute(deps, obj, opened=kind == "charge.dispute.created")
    if kind in _CHECKOUT_PAID:
        # The credit first: a session whose order is refused still took the discount.
        credit = record_checkout_spend(deps, obj) if deps.checkout_promotions is not None else "no_credit"
        imported = _checkout_paid(deps, obj, order_from_checkout) if order_from_checkout is not None else "ignored"
        return imported if credit == "no_credit" else f"{imported},{credit}"
    return "ignored"


def _checkout_paid(
    deps: StripeEventDeps, session: Mapping[str, Any], order_from_checkout: Callable[[Mapping[str, Any]], Order | None]
) -> str:
    """Import the order a paid Checkout Session describes, or refuse it for good.

    Stripe delivers an event again until it is answered 2xx, for days. A session that fails
    the order schema, or whose PaymentIntent does not pay for the order, fails the same way
    on every delivery: it is logged for the merchant and acknowledged, with nothing stored.
    Stripe not answering (or a busy order) raises instead, so the delivery is tried again.
    """
    try:
        order = order_from_checkout(session)
        if order is None:
            return "ignored"
        import_order(deps, order)
    except ValidationError as error:
        log.error("checkout session refused; no order imported",
                  extra={"session": session.get("id"), "code": error.code, "fields": ",".join(error.fields),
                         "reason": error.message})
        return f"order_refused:{error.code}"
    return "order_imported"


def _difference_paid(deps: StripeEventDeps, intent: Mapping[str, Any]) -> str:
    """A PaymentIntent succeeded: when its metadata names a return, that return's price difference
    is paid. Stripe is asked again by `confirm_payment`; the event only says where to look."""
    metadata = intent.get("metadata") or {}
    rma, payment_intent = metadata.get("rma"), str(intent.get("id") or "")
    if metadata.get("purpose") != DIFFERENCE_PURPOSE or not rma or not payment_intent:
        return "ignored"
    try:
        confirm_payment(deps, str(rma), payment_intent)
    except StaleWriteError:
        raise  # busy, not refused: Stripe delivers it again
    except (ConflictError, PaymentNotAwaitedError) as error:
        # Not this return's payment, or it moved on: the same on every delivery, so acknowledged.
        log.warning("payment_intent.succeeded changes nothing",
                    extra={"rma": rma, "payment_intent": payment_intent, "code": error.code})
        return f"ignored:{error.code}"
    return "difference_paid"


def _refund_updated(deps: StripeEventDeps, refund: Mapping[str, Any]) -> str:
    metadata = refund.get("metadata") or {}
    rma, refund_id = metadata.get("rma"), str(refund.get("id") or "")
    if not rma or not refund_id:
        return "ignored"
    attempt = str(metadata.get("attempt") or "")
    return refund_changed(
        deps, str(rma), refund_id=refund_id, attempt=int(attempt) if attempt.isascii() and attempt.isdigit() else None,
        status=str(refund.get("status") or ""), failure_reason=str(refund.get("failure_reason") or "") or None,
    )


def _charge_refunded(deps: StripeEventDeps, charge: Mapping[str, Any]) -> str:
    payment_intent = str(charge.get("payment_intent") or "") or None
    orders = _orders_paid_by(
        deps, payment_intent, named=(charge.get("metadata") or {}).get("order_number"), about=charge
    )
    if not orders:
        log.warning("charge.refunded about no order of ours", extra={"charge": charge.get("id"),
                                                                     "payment_intent": payment_intent})
        return "ignored"
    refunds = ((charge.get("refunds") or {}).get("data")) or []
    recorded = 0
    for order in orders:
        intent = payment_intent or order.payment.payment_intent
        if not refunds and intent:
            # Newer API versions leave the list out: ask Stripe.
            refunds = [
                {"id": r.id, "amount": r.amount.minor, "status": r.status, "metadata": {"rma": r.rma} if r.rma else {}}
                for r in deps.payments.refunds_of(intent)
            ]
        deps.payment_ledger.ensure(order, now=deps.clock.now())
        for refund in refunds:
            if (refund.get("metadata") or {}).get("rma") or refund.get("status") in _FAILED:
                continue  # ours (already on the ledger) or no money moved
            amount = Money(int(refund["amount"]), order.currency)
            recorded += deps.payment_ledger.record_outside_refund(order.number, str(refund["id"]), amount,
                                                                  now=deps.clock.now())
    return f"outside_refunds_recorded:{recorded}"


def _dispute(deps: StripeEventDeps, dispute: Mapping[str, Any], *, opened: bool) -> str:
    dispute_id = str(dispute.get("id") or "")
    payment_intent = str(dispute.get("payment_intent") or "") or None
    named = (dispute.get("metadata") or {}).get("order_number")
    orders = _orders_paid_by(deps, payment_intent, named=named, about=dispute) if dispute_id else []
    if not orders:
        log.warning("dispute about no order of ours", extra={"dispute": dispute_id, "payment_intent": payment_intent})
        return "ignored"
    now = deps.clock.now()
    if opened:
        # A created event delivered after its closed one finds the dispute closed and holds nothing.
        marked = [deps.payment_ledger.open_dispute(order, dispute_id, now=now) for order in orders]
        return "dispute_opened" if any(marked) else "duplicate"
    lost = dispute.get("status") == "lost"
    for order in orders:
        deps.payment_ledger.ensure(order, now=now)
        if lost:
            # The cardholder kept the disputed amount: it was paid back once, through the bank,
            # and no refund may pay it again. Once per dispute, like a dashboard refund.
            amount = Money(int(dispute.get("amount") or 0), order.currency)
            deps.payment_ledger.record_outside_refund(order.number, f"dispute:{dispute_id}", amount, now=now)
    closed = [order for order in orders if deps.payment_ledger.close_dispute(order.number, dispute_id, now=now)]
    if not closed:
        return "ignored"
    released = sum(len(release_held_refunds(deps, order.number)) for order in closed)
    return f"dispute_closed:{released}"


def _orders_paid_by(
    deps: StripeEventDeps, payment_intent: str | None, *, named: object, about: Mapping[str, Any]
) -> list[Order]:
    """The orders an event about `payment_intent` concerns ([] when none of ours).

    Our own index first: the PaymentIntent is what the money event is about, and it is the one
    our refunds of the order go to, so its ceiling and dispute mark are the ones that must
    change. Metadata is text a storefront wrote (or never wrote, for imported orders), so it
    only speaks when the index knows nothing: the object's `order_number`, then the
    PaymentIntent's on Stripe (one API call, the last resort). Each event applies to every
    order the index finds: a PaymentIntent that paid two orders holds refunds on both.
    """
    number = str(named) if named else None
    if payment_intent:
        paid = deps.orders.paid_by(payment_intent)
        if paid:
            numbers = [order.number for order in paid]
            if number is not None and order_number_key(number) not in {order_number_key(n) for n in numbers}:
                log.warning("Stripe metadata names another order than the one this PaymentIntent paid; ours applies",
                            extra={"stripe_object": about.get("id"), "payment_intent": payment_intent,
                                   "metadata_order": number, "orders": ",".join(numbers)})
            if len(paid) > 1:
                log.warning("one PaymentIntent paid several orders; the event applies to each",
                            extra={"stripe_object": about.get("id"), "payment_intent": payment_intent,
                                   "orders": ",".join(numbers)})
            return paid
    if number is None and payment_intent:
        number = deps.payments.order_number_of(payment_intent)
    order = deps.orders.get(number) if number else None
    if order is None:
        return []
    if payment_intent and order.payment.payment_intent not in (None, payment_intent):
        # Metadata only: the order we hold is paid by another PaymentIntent (a wrong tag, or an
        # import not yet brought up to date). Applying it errs on the safe side: a lower ceiling,
        # a held refund.
        log.warning("the order Stripe metadata names is paid by another PaymentIntent",
                    extra={"stripe_object": about.get("id"), "payment_intent": payment_intent, "order": order.number})
    return [order]
