"""Use case: read one stored order for the merchant."""

from __future__ import annotations

from ..domain.errors import NotFoundError
from ..domain.order import Order
from .ports.orders import OrderRepository


def read_order(orders: OrderRepository, number: str) -> Order:
    """The stored order with this number; NotFoundError when there is none."""
    order = orders.get(number, consistent=True)
    if order is None:
        raise NotFoundError(f"no order with number {number!r}", code="order_not_found")
    return order
