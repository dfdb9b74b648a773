"""Use case: create or replace an order sent by the store (admin API, seed, webhooks).

An order paid through Stripe is stored only when its PaymentIntent pays for it: Stripe knows
it, in the order's currency, and it captured at least the order's total. Refunds go back to
that PaymentIntent, so an order it cannot pay for would promise refunds Stripe refuses (or
pays in another currency).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..domain.errors import ConflictError, StaleWriteError
from ..domain.order import Order, order_number_key, payment_mismatch
from .ports.money import PaymentGateway
from .ports.orders import OrderRepository
from .ports.system import Clock

# A writer that keeps losing the race to other writers of the same order gives up after this.
_ATTEMPTS = 3


class ImportOrderDeps(Protocol):
    """What importing an order needs."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def payments(self) -> PaymentGateway: ...


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The order as stored, and whether this import created it."""

    created: bool
    order: Order


def import_order(deps: ImportOrderDeps, incoming: Order) -> ImportResult:
    """Store `incoming`: created when new, replaced when different, untouched when the same.

    PaymentMismatchError (nothing stored) when its PaymentIntent does not pay for it;
    PaymentGatewayUnavailableError (nothing stored) when Stripe cannot say; ConflictError
    `order_number_taken` (nothing stored) when another number with the same matching form
    (`order_number_key`: "a-1002" and "A-1002") is stored already, since a shopper typing
    either could not tell them apart.
    """
    checked = False
    for _ in range(_ATTEMPTS):
        current = deps.orders.get(incoming.number, consistent=True)
        if current is not None and current.number != incoming.number:
            raise ConflictError(
                f"order number {incoming.number!r} matches the stored order {current.number!r}: numbers "
                f"are matched without regard to case, spaces or a leading '#' (both are "
                f"{order_number_key(incoming.number)!r}); import it under that number or another one",
                code="order_number_taken", fields=("number",),
            )
        if current is not None and current == incoming:
            # Same body, same stored result: no write (and no Stripe call), so importing is idempotent.
            return ImportResult(False, current)
        if not checked:
            check_payment(deps.payments, incoming)
            checked = True
        if current is None:
            try:
                return ImportResult(True, deps.orders.save(incoming.with_version(0), now=deps.clock.now()))
            except StaleWriteError:
                continue  # created by a concurrent import: compare against that one
        try:
            replaced = deps.orders.save(incoming.with_version(current.version), now=deps.clock.now())
            return ImportResult(False, replaced)
        except StaleWriteError:
            continue
    raise ConflictError(
        f"order {incoming.number} is being changed by another request; try again",
        code="order_busy",
    )


def check_payment(payments: PaymentGateway, order: Order) -> None:
    """Refuse `order` unless its PaymentIntent (if it names one) pays for it; asks Stripe once."""
    intent = order.payment.payment_intent
    if intent is None:
        return  # not paid through Stripe (or not by a PaymentIntent we hold): nothing to refund there
    problem = payment_mismatch(order, payments.captured(intent))
    if problem is not None:
        raise problem
