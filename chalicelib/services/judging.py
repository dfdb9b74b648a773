"""Judging a stored order's lines with what earlier returns mean for them."""

from __future__ import annotations

from datetime import datetime

from ..domain.eligibility import Verdict, judge_order
from ..domain.order import Order
from ..domain.policy import Policy
from ..domain.reservations import ReturnedUnits
from .ports.returns import ReturnHistory


def judge_stored_order(
    history: ReturnHistory, order: Order, policy: Policy, *, now: datetime,
    units: ReturnedUnits | None = None, customer_returns: int | None = None,
) -> tuple[Verdict, ...]:
    """A verdict for every line of `order` under `policy` at `now`, counting earlier returns.

    `units`: the order's returned units when the caller already read them (one read, not two);
    `customer_returns`: the shopper's returns in 90 days when the caller knows better than the
    index (a creation that the cap's counter refused).
    """
    if units is None:
        units = history.units_of_order(order.number)
    return judge_order(
        order, policy, now=now,
        returned=dict(units.returned),
        in_open_returns=dict(units.in_open_returns),
        customer_returns_90d=(customer_returns if customer_returns is not None
                              else history.customer_returns_90d(order.customer_email, now=now)),
    )
