"""The ports use cases talk through: Protocols the adapters implement."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..domain.order import Order


class Clock(Protocol):
    """Tells the time; injected so that rules about dates can be tested."""

    def now(self) -> datetime: ...


class OrderRepository(Protocol):
    """Stored orders, each saved with a conditional write on its version."""

    def get(self, number: str) -> Order | None:
        """The order with this number, or None."""
        ...

    def save(self, order: Order, *, now: datetime) -> Order:
        """Store `order` and return it with its new version.

        `order.version` is the version it was read at (0: new). Raises StaleWriteError when the
        stored version is not that one any more (or, for a new order, when one now exists).
        """
        ...
