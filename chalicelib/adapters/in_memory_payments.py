"""In-memory payment ledger that keeps the DynamoDB adapter's contract (unit and model tests)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

from ..domain.money import Money
from ..domain.order import Order
from ..domain.refunds import ChargeDisputedError, PaymentLedgerState, RefundCeilingError
from ..domain.return_request import REFUNDING, ReturnRequest
from .in_memory_returns import InMemoryReturnRepository


class InMemoryPaymentLedger:
    """PaymentLedger in a dict; the return's move and the ceiling change happen under one lock."""

    def __init__(self, returns: InMemoryReturnRepository) -> None:
        self._returns = returns
        self._payments: dict[str, PaymentLedgerState] = {}
        self._outside: dict[str, set[str]] = {}
        self._closed_disputes: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def ensure(self, order: Order, *, now: datetime) -> None:
        with self._lock:
            self._payments.setdefault(order.number, PaymentLedgerState(
                order_number=order.number, captured=order.total, remaining_refundable=order.total,
                payment_intent=order.payment.payment_intent,
            ))

    def get(self, order_number: str) -> PaymentLedgerState | None:
        return self._payments.get(order_number)

    def start_refund(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        assert request.refund is not None and request.status == REFUNDING
        amount = request.refund.amount
        with self._lock:
            payment = self._payments[request.order_number]
            if payment.dispute_id is not None:
                raise ChargeDisputedError(f"the charge of order {request.order_number} is disputed")
            if payment.remaining_refundable.currency != amount.currency or payment.remaining_refundable.minor < amount.minor:
                raise RefundCeilingError(f"the refund of return {request.rma} is above what is still refundable")
            stored = self._returns.save(request, new_events=new_events, now=now)
            self._move(request.order_number, -amount.minor)
            return stored

    def fail_refund(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        assert request.refund is not None
        with self._lock:
            stored = self._returns.save(request, new_events=new_events, now=now)
            self._move(request.order_number, request.refund.amount.minor)
            return stored

    def record_outside_refund(self, order_number: str, refund_id: str, amount: Money, *, now: datetime) -> bool:
        with self._lock:
            known = self._outside.setdefault(order_number, set())
            if order_number not in self._payments or refund_id in known:
                return False
            known.add(refund_id)
            self._move(order_number, -amount.minor)
            return True

    def open_dispute(self, order: Order, dispute_id: str, *, now: datetime) -> bool:
        self.ensure(order, now=now)
        with self._lock:
            payment = self._payments[order.number]
            if payment.dispute_id == dispute_id or dispute_id in self._closed_disputes.get(order.number, set()):
                return False
            self._payments[order.number] = replace(payment, dispute_id=dispute_id)
            return True

    def close_dispute(self, order_number: str, dispute_id: str, *, now: datetime) -> bool:
        with self._lock:
            payment = self._payments.get(order_number)
            if payment is not None:
                self._closed_disputes.setdefault(order_number, set()).add(dispute_id)
            if payment is None or payment.dispute_id != dispute_id:
                return False
            self._payments[order_number] = replace(payment, dispute_id=None)
            return True

    def stuck_refunding(self, *, older_than: datetime) -> list[str]:
        return [
            r.rma for r in self._returns.all()
            if r.status == REFUNDING and r.status_changed_at < older_than
        ]

    def _move(self, order_number: str, minor: int) -> None:
        payment = self._payments[order_number]
        remaining = Money(payment.remaining_refundable.minor + minor, payment.remaining_refundable.currency)
        self._payments[order_number] = replace(payment, remaining_refundable=remaining)
