"""The counts a new return reserves besides its units: the shopper's 90-day cap and the order's
returns per day (docs/policy.md), and the errors that refuse it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .errors import ConflictError


@dataclass(frozen=True, slots=True)
class CreationLimits:
    """The counts a new return reserves in its own transaction (docs/data-model.md).

    `customer_cap`: the policy's `max_returns_per_customer_90d` (None: the shopper's returns are
    not counted). Every return counts as started; an approved one also needs room under the cap.
    `order_day` (the store's local date) and `per_order_per_day`: the returns one order may start
    in that day.
    """

    customer_cap: int | None
    order_day: date
    per_order_per_day: int


class CustomerCapReachedError(ConflictError):
    """An approved return found the shopper at `max_returns_per_customer_90d` (nothing written)."""

    code = "customer_cap_reached"


class OrderDayLimitReachedError(ConflictError):
    """The order started its returns for the day already (nothing written)."""

    code = "order_day_limit_reached"
