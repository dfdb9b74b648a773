"""In-memory adapters that honour the same ports as the DynamoDB ones (tests, benchmarks)."""

from __future__ import annotations

import threading
from datetime import datetime

from ..domain.errors import StaleWriteError
from ..domain.order import Order


class InMemoryOrderRepository:
    """OrderRepository in a dict, with the same version check as DynamoDB's conditional write."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._lock = threading.Lock()

    def get(self, number: str) -> Order | None:
        return self._orders.get(number)

    def save(self, order: Order, *, now: datetime) -> Order:
        with self._lock:
            current = self._orders.get(order.number)
            current_version = 0 if current is None else current.version
            if current_version != order.version:
                raise StaleWriteError(
                    f"order {order.number} was changed by someone else; read it again"
                )
            stored = order.with_version(order.version + 1)
            self._orders[order.number] = stored
            return stored
