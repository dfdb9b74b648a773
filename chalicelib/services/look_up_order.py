"""Use case: a shopper finds their order by number and email and sees a verdict on every line."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from ..domain.eligibility import Verdict
from ..domain.errors import NotFoundError
from ..domain.order import Order, normalize_email
from ..domain.policy import Policy
from .judging import judge_stored_order
from .ports import Clock, OrderRepository, PolicyRepository, ReturnHistory, TokenSigner

SHOPPER_PURPOSE = "shopper"
SHOPPER_TOKEN_TTL = timedelta(minutes=30)
# One message for an unknown number and for a wrong email: an answer that differed would let
# anyone holding a number probe which emails belong to it.
ORDER_NOT_FOUND_MESSAGE = (
    "We couldn't find an order with that number and email. Check both and try again."
)


class LookUpOrderDeps(Protocol):
    """What a lookup needs."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def return_history(self) -> ReturnHistory: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def tokens(self) -> TokenSigner: ...


@dataclass(frozen=True, slots=True)
class Lookup:
    """The shopper's order, a verdict per line, the policy that judged them, and their token."""

    token: str
    order: Order
    verdicts: tuple[Verdict, ...]
    policy: Policy


def look_up_order(deps: LookUpOrderDeps, order_number: str, email: str) -> Lookup:
    """The order when `email` is the one it was placed with; the same NotFoundError otherwise."""
    order = deps.orders.get(order_number.strip())
    presented = normalize_email(email).encode("utf-8")
    # Compare even when there is no order, so both wrong answers take about the same time.
    expected = order.customer_email.encode("utf-8") if order is not None else b"\x00"
    matches = hmac.compare_digest(presented, expected)
    if order is None or not matches:
        raise NotFoundError(ORDER_NOT_FOUND_MESSAGE, code="order_not_found")
    now = deps.clock.now()
    policy = deps.policies.current()
    verdicts = judge_stored_order(deps.return_history, order, policy, now=now)
    token = deps.tokens.issue(order.number, purpose=SHOPPER_PURPOSE, now=now, ttl=SHOPPER_TOKEN_TTL)
    return Lookup(token=token, order=order, verdicts=verdicts, policy=policy)


def shopper_order_number(deps: LookUpOrderDeps, token: str) -> str:
    """The order number a shopper's bearer token is for; AuthenticationError when it is not valid."""
    return deps.tokens.verify(token, purpose=SHOPPER_PURPOSE, now=deps.clock.now())
