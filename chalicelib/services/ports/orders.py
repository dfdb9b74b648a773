"""Where orders are kept."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...domain.order import Order
from ...domain.reservations import ReturnedUnits


class OrderRepository(Protocol):
    """Stored orders, each saved with a conditional write on its version."""

    def get(self, number: str, *, consistent: bool = False) -> Order | None:
        """The order with this number, or None.

        An eventually consistent read (half the cost) unless `consistent`: an order changes only
        when the storefront imports it again, and the writes that depend on its version (the
        import, the admin API) ask for a consistent read.
        """
        ...

    def get_with_units(self, number: str) -> tuple[Order | None, ReturnedUnits | None]:
        """The order (eventually consistent, as `get`) and, when the store holds them beside it,
        its lines' returned units (ReturnHistory.units_of_order) read in the same call: one read
        instead of two on the lookup and creation paths. None for the units: ask ReturnHistory."""
        ...

    def save(self, order: Order, *, now: datetime) -> Order:
        """Store `order` and return it with its new version.

        `order.version` is the version it was read at (0: new). Raises StaleWriteError when the
        stored version is not that one any more (or, for a new order, when one now exists).
        """
        ...

    def recent(self, limit: int, *, now: datetime) -> list[Order]:
        """Up to `limit` orders placed in the month of `now` or before, newest first.

        Walks the store's months backwards from `now`'s and stops after a long run of months
        without orders, so a sparse store costs a bounded number of reads, never a Scan.
        """
        ...

    def paid_by(self, payment_intent: str) -> list[Order]:
        """The orders whose stored payment is this PaymentIntent now, by number ([] if none).

        Through an index written with the order itself (a re-import that changes the
        PaymentIntent moves the entry), never a Scan; each hit is read again consistently, so an
        order that has just moved to another PaymentIntent is not returned. Usually one order,
        but nothing stops a storefront from importing two orders paid by one PaymentIntent.
        An order written a moment ago may not be found yet (the index lags its writes).
        """
        ...
