"""Use case: read one stored order for the merchant."""

from __future__ import annotations

from ..domain.errors import NotFoundError
from ..domain.order import Order, order_number_key
from .ports.orders import OrderRepository


def read_order(orders: OrderRepository, number: str) -> Order:
    """The stored order with this number (as people type it: `order_number_key`); NotFoundError
    when there is none."""
    order = orders.get(order_number_key(number), consistent=True)
    if order is None:
        raise NotFoundError(f"no order with number {number!r}", code="order_not_found")
    return order
