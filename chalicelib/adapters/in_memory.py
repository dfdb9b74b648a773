"""In-memory adapters that honour the same ports as the DynamoDB ones (tests, benchmarks)."""

from __future__ import annotations

import threading
from datetime import datetime

from ..domain.errors import StaleWriteError
from ..domain.order import Order, order_number_key
from ..domain.policy import DEFAULT_POLICY, Policy
from ..domain.reservations import ReturnedUnits
from ..services.ports.policy import StoredPolicyVersion
from .recent_months import MAX_EMPTY_MONTHS, month_of, months_back_from


class InMemoryOrderRepository:
    """OrderRepository in a dict, with the same version check as DynamoDB's conditional write."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._lock = threading.Lock()

    def get(self, number: str, *, consistent: bool = False) -> Order | None:
        # Keyed by the number's matching form, as the table is (dynamodb_items.order_partition).
        return self._orders.get(order_number_key(number))


    def get_with_units(self, number: str) -> tuple[Order | None, ReturnedUnits | None]:
        # Units live in InMemoryReturnHistory here: the caller asks it.
        return self.get(number), None
    def save(self, order: Order, *, now: datetime) -> Order:
        with self._lock:
            current = self._orders.get(order_number_key(order.number))
            current_version = 0 if current is None else current.version
            if current_version != order.version:
                raise StaleWriteError(
                    f"order {order.number} was changed by someone else; read it again"
                )
            stored = order.with_version(order.version + 1)
            self._orders[order_number_key(order.number)] = stored
            return stored

    def paid_by(self, payment_intent: str) -> list[Order]:
        # A walk over the dict stands in for the table's index (same answer, by number).
        with self._lock:
            paid = [o for o in self._orders.values() if o.payment.payment_intent == payment_intent]
        return sorted(paid, key=lambda o: o.number)

    def recent(self, limit: int, *, now: datetime) -> list[Order]:
        by_month: dict[str, list[Order]] = {}
        for order in self._orders.values():
            by_month.setdefault(month_of(order.placed_at), []).append(order)
        found: list[Order] = []
        empty_run = 0
        # The same walk as DynamoDB's, so the fake answers exactly what the table would.
        for month in months_back_from(now):
            if len(found) >= limit or empty_run >= MAX_EMPTY_MONTHS:
                break
            in_month = sorted(
                by_month.get(month, []), key=lambda o: (o.placed_at, o.number), reverse=True
            )[: limit - len(found)]
            empty_run = 0 if in_month else empty_run + 1
            found.extend(in_month)
        return found


class InMemoryPolicyRepository:
    """PolicyRepository in a list, with the same version check as DynamoDB's transaction."""

    def __init__(self) -> None:
        self._versions: list[Policy] = []
        self._saved: list[tuple[datetime, str | None]] = []
        self._lock = threading.Lock()

    def current(self, *, consistent: bool = True) -> Policy:
        return self._versions[-1] if self._versions else DEFAULT_POLICY

    def save(self, policy: Policy, *, expected_version: int, now: datetime, saved_by: str | None = None) -> Policy:
        with self._lock:
            if len(self._versions) != expected_version:
                raise StaleWriteError(
                    f"the policy changed since version {expected_version} was read; read it again"
                )
            stored = policy.with_version(expected_version + 1)
            self._versions.append(stored)
            self._saved.append((now, saved_by))
            return stored

    def get_version(self, version: int) -> Policy | None:
        return self._versions[version - 1] if 1 <= version <= len(self._versions) else None

    def versions(self) -> list[Policy]:
        return list(reversed(self._versions))

    def history(self, limit: int) -> list[StoredPolicyVersion]:
        stored = [StoredPolicyVersion(policy, saved_at, saved_by)
                  for policy, (saved_at, saved_by) in zip(self._versions, self._saved, strict=True)]
        return list(reversed(stored))[:limit]


class InMemoryReturnHistory:
    """ReturnHistory with returns set by hand (unit tests of judging with earlier returns)."""

    def __init__(self) -> None:
        self.units: dict[str, ReturnedUnits] = {}
        self.customer_returns: dict[str, int] = {}

    def units_of_order(self, order_number: str) -> ReturnedUnits:
        return self.units.get(order_number, ReturnedUnits())

    def customer_returns_90d(self, email: str, *, now: datetime) -> int:
        return self.customer_returns.get(email, 0)
