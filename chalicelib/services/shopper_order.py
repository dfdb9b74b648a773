"""Use case: the order a shopper's session is bound to, judged now, for the return pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..domain.eligibility import Verdict
from ..domain.order import Order
from ..domain.policy import Policy
from .judging import judge_stored_order
from .ports.orders import OrderRepository
from .ports.policy import PolicyRepository
from .ports.returns import ReturnHistory
from .ports.system import Clock
from .read_order import read_order


class ShopperOrderDeps(Protocol):
    """What reading a shopper's order needs."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def return_history(self) -> ReturnHistory: ...

    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True, slots=True)
class JudgedOrder:
    """An order with a verdict per line under the policy in force."""

    order: Order
    verdicts: tuple[Verdict, ...]
    policy: Policy

    def verdict(self, line_id: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.line_id == line_id), None)


def shopper_order(deps: ShopperOrderDeps, order_number: str) -> JudgedOrder:
    """The order a verified session is bound to, every line judged at this instant.

    Only for an order number the caller has already proved (a session from a matching lookup);
    NotFoundError when the order is gone.
    """
    order = read_order(deps.orders, order_number)
    policy = deps.policies.current()
    verdicts = judge_stored_order(deps.return_history, order, policy, now=deps.clock.now())
    return JudgedOrder(order=order, verdicts=verdicts, policy=policy)
