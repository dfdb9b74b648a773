"""Use case: a shopper chooses lines, sees exactly what they get back, and requests the return."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Protocol

from ..domain.eligibility import Verdict
from ..domain.errors import ConflictError, NotFoundError, RateLimitedError, ValidationError
from ..domain.exchange import ExchangeChoice, OutOfStockError, choose_exchange, exchange_options
from ..domain.order import Order
from ..domain.policy import Policy
from ..domain.quote import Quote, Selection, quote
from ..domain.reservations import ReturnedUnits
from ..domain.return_limits import CreationLimits, CustomerCapReachedError, OrderDayLimitReachedError
from ..domain.return_request import APPROVED, RMA_BITS, ReturnRequest, RmaTakenError, rma_from_bits
from .approval_links import Judgement, NotifyMerchantDeps, notify_merchant
from .judging import judge_stored_order
from .look_up_order import ORDER_NOT_FOUND_MESSAGE
from .ports.catalog import ProductCatalog
from .ports.notifications import ShopperNotifier
from .ports.orders import OrderRepository
from .ports.policy import PolicyRepository
from .ports.returns import ReturnHistory, ReturnRepository
from .ports.system import Clock, RandomBits
from .refund_return import ReleaseDeps, on_return_approved

log = logging.getLogger("retour.returns")

# A taken RMA means 40 random bits collided; a second draw colliding too means a broken source.
_RMA_DRAWS = 3
# Returns one order may start in a day (the store's local day), whatever became of them: a
# create / cancel loop or a stream of exception requests stops here (docs/policy.md).
RETURNS_PER_ORDER_PER_DAY = 5
TOO_MANY_RETURNS = "too_many_returns"
TOO_MANY_RETURNS_MESSAGE = (
    "This order has had several return requests today. Please try again tomorrow."
)


class QuoteReturnDeps(Protocol):
    """What pricing a return needs."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def return_history(self) -> ReturnHistory: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def catalog(self) -> ProductCatalog: ...


class RequestReturnDeps(QuoteReturnDeps, NotifyMerchantDeps, ReleaseDeps, Protocol):
    """What requesting a return needs (a pending one is emailed to the merchant)."""

    @property
    def returns(self) -> ReturnRepository: ...

    @property
    def random(self) -> RandomBits: ...

    @property
    def shopper_notifier(self) -> ShopperNotifier: ...


def quote_return(
    deps: QuoteReturnDeps, *, order_number: str, selections: Sequence[Selection], resolution: str
) -> Quote:
    """What returning `selections` of the order would pay back now; nothing is written.

    Raises ValidationError naming every bad field (`lines[i].line_id`, `lines[i].quantity`,
    `lines[i].note`, `resolution`, ...), NotFoundError for an unknown order.
    """
    order, units = _order(deps, order_number)
    _, priced, _ = _judged_quote(deps, order, tuple(selections), resolution, units=units)
    return priced


def request_return(
    deps: RequestReturnDeps,
    *,
    order_number: str,
    selections: Sequence[Selection],
    resolution: str,
    idempotency_key: str | None = None,
    locale: str | None = None,
) -> ReturnRequest:
    """Judge, price and store a new return with its reservations in one transaction; email the shopper.

    `locale` is the shopper's language at this moment (the page's, or the API caller's): it is
    stored with the return, and its emails and label speak it. None: the order's language.

    `approved` when every chosen line is returnable, `pending_approval` when any needs the
    merchant. Raises ValidationError as `quote_return` does (nothing written), ConflictError
    when another return took some of the units meanwhile (nothing written).

    With an `idempotency_key` a repeat of the same request (a double click, a client retry)
    answers the return the first one created, and never creates a second.
    """
    order, units = _order(deps, order_number)
    chosen = tuple(selections)
    if idempotency_key is not None:
        rma = rma_for_idempotency_key(order.number, idempotency_key)
        replayed = _replay(deps, rma, order.number, chosen, resolution)
        if replayed is not None:
            return replayed
        try:
            return _create(deps, order, chosen, resolution, rmas=[rma], units=units, locale=locale)
        except (ConflictError, ValidationError, RateLimitedError):
            # A concurrent twin may have won the race (its units, or the order's last return of
            # the day, are now taken): it answers for both of us.
            replayed = _replay(deps, rma, order.number, chosen, resolution)
            if replayed is None:
                raise
            return replayed
    return _create(deps, order, chosen, resolution, rmas=None, units=units, locale=locale)


def rma_for_idempotency_key(order_number: str, idempotency_key: str) -> str:
    """The RMA a keyed request gets: the same key on the same order always names the same return."""
    digest = hashlib.sha256(f"{order_number}\n{idempotency_key}".encode()).digest()
    return rma_from_bits(int.from_bytes(digest[: RMA_BITS // 8], "big"))


def _replay(
    deps: RequestReturnDeps, rma: str, order_number: str, chosen: tuple[Selection, ...], resolution: str
) -> ReturnRequest | None:
    """The return an earlier request with the same key created, if any; ConflictError if it differs."""
    existing = deps.returns.get(rma)
    if existing is None:
        return None
    same = (
        existing.order_number == order_number
        and existing.resolution == resolution
        and sorted((l.line_id, l.quantity, l.reason, l.note, l.exchange_for) for l in existing.lines)
        == sorted((s.line_id, s.quantity, s.reason, s.note, s.exchange_for) for s in chosen)
    )
    if not same:
        raise ConflictError(
            "this idempotency key was already used for a different return",
            code="idempotency_key_reused",
        )
    return existing


def _create(
    deps: RequestReturnDeps,
    order: Order,
    chosen: tuple[Selection, ...],
    resolution: str,
    *,
    rmas: list[str] | None,
    units: ReturnedUnits | None,
    locale: str | None = None,
) -> ReturnRequest:
    # The replacements' stock is read consistently: what is promised is checked on the freshest counts.
    verdicts, priced, policy = _judged_quote(deps, order, chosen, resolution, units=units, consistent=True)
    quantities = {line.id: line.quantity for line in order.lines}
    now = deps.clock.now()
    limits = CreationLimits(
        customer_cap=policy.max_returns_per_customer_90d,
        order_day=now.astimezone(policy.zone).date(),
        per_order_per_day=RETURNS_PER_ORDER_PER_DAY,
    )
    candidates = rmas or [rma_from_bits(deps.random.bits(RMA_BITS)) for _ in range(_RMA_DRAWS)]
    draw = 0
    while True:
        needs_approval = any(verdicts[s.line_id].status == "needs_approval" for s in chosen)
        request = ReturnRequest.request(
            rma=candidates[draw], order=order, selections=chosen,
            quote=priced, needs_approval=needs_approval, at=now, locale=locale,
        )
        try:
            stored = deps.returns.create(request, line_quantities=quantities, now=now, limits=limits)
            break
        except RmaTakenError:
            draw += 1
            if draw == len(candidates):
                raise
        except CustomerCapReachedError:
            # Other returns of the shopper were counted after our read: judged with them, the
            # lines the cap decides need the merchant now.
            verdicts, priced, policy = _judged_quote(
                deps, order, chosen, resolution, units=units,
                customer_returns=policy.max_returns_per_customer_90d, consistent=True,
            )
            # Counted under the policy judged now (a policy saved meanwhile may have no cap).
            limits = replace(limits, customer_cap=policy.max_returns_per_customer_90d)
        except OrderDayLimitReachedError as error:
            raise RateLimitedError(
                TOO_MANY_RETURNS_MESSAGE, code=TOO_MANY_RETURNS,
                retry_after=_seconds_to_midnight(now, policy),
            ) from error
        except OutOfStockError as short:
            # Another shopper was promised the last units between our read and our write.
            raise _still_available(deps, order, chosen, policy, short) from short
    deps.shopper_notifier.return_requested(stored, order)
    # The merchant's email explains the verdicts just reached: nothing is read or judged again.
    notify_merchant(deps, stored, order, judged=Judgement(policy, verdicts))
    if stored.status == APPROVED:
        # Approved from the start: under refund_trigger on_approval the money leaves now.
        stored = on_return_approved(deps, stored, policy=policy)
    return stored


def _still_available(deps: QuoteReturnDeps, order: Order, chosen: tuple[Selection, ...], policy: Policy,
                     short: OutOfStockError) -> OutOfStockError:
    """The refusal of an exchange whose variant ran out, naming what its line can still have
    (the product read again, consistently)."""
    selection = next((s for s in chosen if s.exchange_for == short.sku), None)
    line = order.line(selection.line_id) if selection is not None else None
    if selection is None or line is None:
        return short
    product = deps.catalog.get(line.product_id, consistent=True)
    offered = exchange_options(line, product, policy, order.currency)
    in_stock = tuple(o for o in offered if o.available >= selection.quantity and o.sku != short.sku)
    names = "; ".join(f"{o.sku} ({o.options_text()})" for o in in_stock) or "none"
    return OutOfStockError(f"line {line.id!r}: {short.sku} is out of stock; available: {names}",
                           sku=short.sku, available=in_stock)


def _exchanges(deps: QuoteReturnDeps, order: Order, selections: tuple[Selection, ...], policy: Policy,
               resolution: str, *, consistent: bool
               ) -> tuple[dict[str, ExchangeChoice], dict[str, str], OutOfStockError | None]:
    """Each exchanged line's chosen replacement (by line id), the problems found (by field), and
    the refusal (naming what is available) of a replacement with too few units left."""
    problems: dict[str, str] = {}
    if resolution != "exchange":
        for i, selection in enumerate(selections):
            if selection.exchange_for:
                problems[f"lines[{i}].exchange_for"] = (
                    f"line {selection.line_id!r}: exchange_for is only for the resolution \"exchange\"")
        return {}, problems, None
    if policy.exchanges == "off":
        return {}, problems, None  # quote() refuses the resolution itself
    lines = [(i, s, order.line(s.line_id)) for i, s in enumerate(selections) if s.exchange_for]
    product_ids = dict.fromkeys(line.product_id for _, _, line in lines if line is not None and line.product_id)
    products = {product_id: deps.catalog.get(product_id, consistent=consistent) for product_id in product_ids}
    choices: dict[str, ExchangeChoice] = {}
    short: OutOfStockError | None = None
    for i, selection, line in lines:
        if line is None or type(selection.quantity) is not int or selection.quantity < 1:
            continue  # quote() names the line or the quantity
        try:
            choices[line.id] = choose_exchange(line, products.get(line.product_id), policy, order.currency,
                                               sku=selection.exchange_for, quantity=selection.quantity)
        except OutOfStockError as error:
            short = short or error
        except ValidationError as error:
            problems[f"lines[{i}].exchange_for"] = error.message
    return choices, problems, short


def _seconds_to_midnight(now: datetime, policy: Policy) -> int:
    """Whole seconds until the store's next local midnight (a 429's Retry-After)."""
    local = now.astimezone(policy.zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=policy.zone)
    return max(1, math.ceil((midnight - local).total_seconds()))


def _order(deps: QuoteReturnDeps, order_number: str) -> tuple[Order, ReturnedUnits | None]:
    """The order, and its lines' returned units when the same read brought them."""
    order, units = deps.orders.get_with_units(order_number)
    if order is None:
        raise NotFoundError(ORDER_NOT_FOUND_MESSAGE, code="order_not_found")
    return order, units


def _judged_quote(
    deps: QuoteReturnDeps, order: Order, selections: tuple[Selection, ...], resolution: str, *,
    units: ReturnedUnits | None = None, customer_returns: int | None = None, consistent: bool = False,
) -> tuple[dict[str, Verdict], Quote, Policy]:
    """Every line judged now with the current policy and earlier returns, the quote, and that policy.

    Problems found by judging and by pricing are reported together, one per field. `units`: the
    order's returned units when the caller read them with the order (else read here);
    `customer_returns`: the shopper's returns in 90 days when known better than the index;
    `consistent`: read the exchanges' products consistently (a request, not a preview).
    """
    now = deps.clock.now()
    policy: Policy = deps.policies.current()
    if units is None:
        units = deps.return_history.units_of_order(order.number)
    verdicts = {v.line_id: v for v in judge_stored_order(deps.return_history, order, policy, now=now, units=units,
                                                         customer_returns=customer_returns)}
    problems: dict[str, str] = {}
    for i, selection in enumerate(selections):
        verdict = verdicts.get(selection.line_id)
        if verdict is None:
            continue  # an unknown line: quote() names it
        if not verdict.can_be_chosen:
            problems[f"lines[{i}].line_id"] = (
                f"line {selection.line_id!r} can't be returned ({verdict.reason_code})"
            )
        elif type(selection.quantity) is int and selection.quantity > verdict.quantity_available:
            problems[f"lines[{i}].quantity"] = (
                f"quantity must be from 1 to {verdict.quantity_available}"
            )
    returned_before = {
        line_id: units.returned.get(line_id, 0) + units.in_open_returns.get(line_id, 0)
        for line_id in {*units.returned, *units.in_open_returns}
    }
    choices, exchange_problems, short = _exchanges(deps, order, selections, policy, resolution,
                                                   consistent=consistent)
    problems.update((name, message) for name, message in exchange_problems.items() if name not in problems)
    if short is not None and not problems:
        # Every choice is valid, one variant just has too few units: a 409 naming what has.
        raise short
    try:
        priced = quote(order, selections, policy, resolution=resolution, returned_before=returned_before, at=now,
                       exchanges=choices)
    except ValidationError as error:
        for name, message in _split(error):
            # A line that can't be chosen has no quantity to discuss: its line_id says it all.
            line_field = name.rsplit(".", 1)[0] + ".line_id"
            if name not in problems and not (name.endswith(".quantity") and line_field in problems):
                problems[name] = message
        priced = None
    if problems or priced is None:
        raise ValidationError("; ".join(problems.values()), fields=tuple(problems))
    return verdicts, priced, policy


def _split(error: ValidationError) -> list[tuple[str, str]]:
    """The (field, message) pairs of a ValidationError that joined its messages with '; '."""
    messages = error.message.split("; ")
    if len(messages) != len(error.fields):
        return [(name, error.message) for name in error.fields]
    return list(zip(error.fields, messages))
