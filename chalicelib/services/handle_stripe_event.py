"""Use case: apply a verified Stripe event once (deliveries repeat and arrive out of order).

- `refund.updated` / `charge.refund.updated` / `refund.failed` with a failed or canceled
  refund carrying our RMA: the return moves to refund_failed (ceiling restored, merchant told).
- `charge.refunded`: refunds on the charge that we did not make (no RMA in their metadata,
  e.g. from the Stripe dashboard) lower the order's remaining refundable amount, once each.
- `checkout.session.completed`: the order is imported (see `order_from_checkout`).
- `charge.dispute.created`: the order's payment is marked disputed; refunds on it are held.
  `charge.dispute.closed`: the mark is cleared and the refunds it held are queued again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..domain.money import Money
from ..domain.order import Order
from ..domain.return_request import REFUNDED, REFUNDING
from .import_order import import_order
from .refund_return import RefundDeps, mark_refund_failed, release_held_refunds
from .ports import StoredEvents

log = logging.getLogger("retour.webhooks")

_FAILED = ("failed", "canceled")


class StripeEventDeps(RefundDeps, Protocol):
    """What applying Stripe events needs."""

    @property
    def stripe_events(self) -> StoredEvents: ...


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
    if kind in ("refund.updated", "charge.refund.updated", "refund.failed"):
        return _refund_updated(deps, obj)
    if kind == "charge.refunded":
        return _charge_refunded(deps, obj)
    if kind in ("charge.dispute.created", "charge.dispute.closed"):
        return _dispute(deps, obj, opened=kind == "charge.dispute.created")
    if kind == "checkout.session.completed" and order_from_checkout is not None:
        order = order_from_checkout(obj)
        if order is None:
            return "ignored"
        import_order(deps, order)
        return "order_imported"
    return "ignored"


def _refund_updated(deps: StripeEventDeps, refund: Mapping[str, Any]) -> str:
    rma = (refund.get("metadata") or {}).get("rma")
    if refund.get("status") not in _FAILED or not rma:
        return "ignored"
    request = deps.returns.get(str(rma))
    if request is None or request.refund is None or request.status not in (REFUNDING, REFUNDED):
        return "ignored"
    if request.refund.refund_id not in (None, refund.get("id")):
        return "ignored"  # an older attempt's refund
    mark_refund_failed(deps, request, str(refund.get("failure_reason") or refund.get("status")))
    return "refund_failed"


def _charge_refunded(deps: StripeEventDeps, charge: Mapping[str, Any]) -> str:
    order_number = (charge.get("metadata") or {}).get("order_number")
    order = deps.orders.get(str(order_number)) if order_number else None
    if order is None:
        log.warning("charge.refunded for an unknown order", extra={"charge": charge.get("id")})
        return "ignored"
    refunds = ((charge.get("refunds") or {}).get("data")) or []
    if not refunds and order.payment.payment_intent:
        # Newer API versions leave the list out: ask Stripe.
        refunds = [
            {"id": r.id, "amount": r.amount.minor, "status": r.status, "metadata": {"rma": r.rma} if r.rma else {}}
            for r in deps.payments.refunds_of(order.payment.payment_intent)
        ]
    deps.payment_ledger.ensure(order, now=deps.clock.now())
    recorded = 0
    for refund in refunds:
        if (refund.get("metadata") or {}).get("rma") or refund.get("status") in _FAILED:
            continue  # ours (already on the ledger) or no money moved
        amount = Money(int(refund["amount"]), order.currency)
        recorded += deps.payment_ledger.record_outside_refund(order.number, str(refund["id"]), amount,
                                                              now=deps.clock.now())
    return f"outside_refunds_recorded:{recorded}"


def _dispute(deps: StripeEventDeps, dispute: Mapping[str, Any], *, opened: bool) -> str:
    dispute_id = str(dispute.get("id") or "")
    payment_intent = dispute.get("payment_intent")
    # A dispute names the PaymentIntent, not our order: its metadata does.
    order_number = (dispute.get("metadata") or {}).get("order_number") or (
        deps.payments.order_number_of(str(payment_intent)) if payment_intent else None
    )
    order = deps.orders.get(str(order_number)) if order_number else None
    if order is None or not dispute_id:
        log.warning("dispute on an unknown order", extra={"dispute": dispute_id})
        return "ignored"
    now = deps.clock.now()
    if opened:
        return "dispute_opened" if deps.payment_ledger.open_dispute(order, dispute_id, now=now) else "duplicate"
    if not deps.payment_ledger.close_dispute(order.number, dispute_id, now=now):
        return "ignored"
    released = release_held_refunds(deps, order.number)
    return f"dispute_closed:{len(released)}"
