"""Use case: a shopper finds their order by number and email and sees a verdict on every line."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from ..domain.eligibility import Verdict, judge_order
from ..domain.errors import NotFoundError, ValidationError
from ..domain.exchange import ExchangeOption, exchange_options
from ..domain.order import Order, is_plausible_email, normalize_email, order_number_key
from ..domain.policy import Policy
from .ports.access import TokenSigner
from .ports.catalog import ProductCatalog
from .ports.orders import OrderRepository
from .ports.policy import PolicyRepository
from .ports.returns import ReturnHistory
from .ports.system import Clock

SHOPPER_PURPOSE = "shopper"
SHOPPER_TOKEN_TTL = timedelta(minutes=30)
# One message for an unknown number and for a wrong email: an answer that differed would let
# anyone holding a number probe which emails belong to it.
ORDER_NOT_FOUND_MESSAGE = (
    "We couldn't find an order with that number and email. Check both and try again."
)
EMAIL_FORMAT_MESSAGE = "email: enter an email address like name@example.com"


class CatalogDeps(Protocol):
    """Where the store's products and their stock are read."""

    @property
    def catalog(self) -> ProductCatalog: ...


class LookUpOrderDeps(CatalogDeps, Protocol):
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
    """The shopper's order, a verdict per line, the policy that judged them, and their token.

    `exchange_options`: by line id, the in-stock variants a line may be exchanged for under the
    policy (only lines that can be chosen; a line missing here has none).
    """

    token: str
    order: Order
    verdicts: tuple[Verdict, ...]
    policy: Policy
    exchange_options: Mapping[str, tuple[ExchangeOption, ...]] = field(default_factory=dict)

    def options_for(self, line_id: str) -> tuple[ExchangeOption, ...]:
        """The exchanges line `line_id` offers (empty when none)."""
        return self.exchange_options.get(line_id, ())


def offered_exchanges(deps: CatalogDeps, order: Order, verdicts: tuple[Verdict, ...],
                      policy: Policy) -> dict[str, tuple[ExchangeOption, ...]]:
    """Each choosable line's in-stock exchange options under `policy`, by line id.

    One read of the catalog for the order's distinct products (a Query each, never a Scan), and
    none at all when the store offers no exchanges or no line names a product.
    """
    choosable = {v.line_id for v in verdicts if v.can_be_chosen}
    lines = [line for line in order.lines if line.id in choosable and line.product_id]
    if policy.exchanges == "off" or not lines:
        return {}
    products = deps.catalog.get_many(dict.fromkeys(line.product_id for line in lines))
    found = {line.id: exchange_options(line, products.get(line.product_id), policy, order.currency)
             for line in lines}
    return {line_id: options for line_id, options in found.items() if options}


def look_up_order(deps: LookUpOrderDeps, order_number: str, email: str) -> Lookup:
    """The order when `email` is the one it was placed with; the same NotFoundError otherwise.

    The number is matched as people type it (`＃１００２`, ` a-1002 `: domain/order.py
    `order_number_key`), the email in any case and with spaces around it. An email that is no
    address at all is a ValidationError on `email`: it says nothing about any order.
    """
    shopper_email = normalize_email(email)
    if not is_plausible_email(shopper_email):
        raise ValidationError(EMAIL_FORMAT_MESSAGE, fields=("email",))
    key = order_number_key(order_number)
    # The order and its lines' returned units in one read where the store allows it.
    order, units_read = deps.orders.get_with_units(key)
    presented = shopper_email.encode("utf-8")
    # Compare even when there is no order, so both wrong answers take about the same time.
    expected = order.customer_email.encode("utf-8") if order is not None else b"\x00"
    matches = hmac.compare_digest(presented, expected)
    # The same reads and signing on every path, so a wrong pair takes as long as a right one
    # and the answer's timing tells nothing about which numbers or emails exist.
    now = deps.clock.now()
    policy = deps.policies.current()
    number = order.number if order is not None else key
    units = units_read if units_read is not None else deps.return_history.units_of_order(number)
    shopper = order.customer_email if order is not None else shopper_email
    returns_90d = deps.return_history.customer_returns_90d(shopper, now=now)
    token = deps.tokens.issue(number, purpose=SHOPPER_PURPOSE, now=now, ttl=SHOPPER_TOKEN_TTL)
    if order is None or not matches:
        raise NotFoundError(ORDER_NOT_FOUND_MESSAGE, code="order_not_found")
    verdicts = judge_order(
        order, policy, now=now, returned=dict(units.returned),
        in_open_returns=dict(units.in_open_returns), customer_returns_90d=returns_90d,
    )
    return Lookup(token=token, order=order, verdicts=verdicts, policy=policy,
                  exchange_options=offered_exchanges(deps, order, verdicts, policy))


def shopper_order_number(deps: LookUpOrderDeps, token: str) -> str:
    """The order number a shopper's bearer token is for; AuthenticationError when it is not valid."""
    return deps.tokens.verify(token, purpose=SHOPPER_PURPOSE, now=deps.clock.now())
