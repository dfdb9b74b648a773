"""Use case: an exchange's life after the request: its replacement order, and how it settles.

The replacement order is made when the policy's `exchange_trigger` is met: `on_approval` as soon
as the return is approved (at once, by the merchant, or after a dearer exchange's difference was
paid), `on_receipt` when its parcel arrives (a parcel that arrives first makes it anyway). It is
one conditional save (`ReturnRequest.create_exchange_order`) whose move takes the promised units
off the shelf in the same transaction, so of two racing callers one makes it and the other finds
it made; a second call does nothing.

If the store lowered the stock under what was promised, the repository refuses the fulfil
(ConflictError code `exchange_stock_gone`): the exchange falls through to the policy's
`exchange_out_of_stock` resolution (refund or store credit), priced as a normal return of the
same lines, the shopper is told, and the return goes on exactly as such a return does.

After the parcel: an exchange that owes nothing back ends `exchanged`; a cheaper one's difference
goes through the refund saga (same queue, ceiling and keys), whose `mark_refunded` ends it
`exchanged`. A refund trigger `on_approval` never pays an exchange's difference before its parcel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Protocol

from ..domain.errors import ConflictError, NotFoundError, StaleWriteError
from ..domain.money import Money
from ..domain.order import ORIGINAL_SHIPPING, Order
from ..domain.policy import Policy
from ..domain.quote import Quote, Selection, quote
from ..domain.return_request import APPROVED, RECEIVED, DifferencePayment, ExchangeOrderLine, ReturnRequest
from .approval_links import policy_of
from .owe_difference import owe_difference_back
from .ports.catalog import ProductCatalog
from .ports.notifications import MerchantNotifier
from .ports.orders import OrderRepository
from .ports.returns import ReturnHistory
from .refund_return import ReleaseDeps, on_return_approved, on_return_received, release_money

log = logging.getLogger("retour.exchanges")

SYSTEM: Final = "system"
# The repository refuses a fulfil the stock can no longer cover under this code.
STOCK_GONE: Final = "exchange_stock_gone"
# Two racing callers: the loser reads again and finds the order made (or makes it once more).
_ATTEMPTS: Final = 3


class ExchangeDeps(ReleaseDeps, Protocol):
    """What making a replacement order (or falling back to money) needs."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def return_history(self) -> ReturnHistory: ...

    @property
    def catalog(self) -> ProductCatalog: ...

    @property
    def merchant_notifier(self) -> MerchantNotifier: ...


def trigger_met(request: ReturnRequest, policy: Policy) -> bool:
    """Whether `request`'s replacement order is due now under `policy`'s trigger.

    The parcel's arrival always is: whatever the trigger said, nothing is left to wait for.
    """
    if not request.exchange_due:
        return False
    return request.status == RECEIVED or (policy.exchange_trigger == "on_approval" and request.status == APPROVED)


def fulfil_exchange(deps: ExchangeDeps, rma: str, *, request: ReturnRequest | None = None) -> ReturnRequest:
    """Make the replacement order of return `rma` if its trigger is met; settle it if received.

    `request`: the return as the caller just stored it (else read consistently). Idempotent:
    answers the return as it is when the order exists or is not due.
    """
    current = request if request is not None else _get(deps, rma)
    policy = deps.policies.current(consistent=False)
    for _ in range(_ATTEMPTS):
        if not trigger_met(current, policy):
            return settle_exchange(deps, current)
        now = deps.clock.now()
        made = current.create_exchange_order(_order_lines(deps, current), at=now, actor=SYSTEM)
        try:
            stored = deps.returns.save(made, new_events=1, now=now)
        except StaleWriteError:
            current = _get(deps, rma)
            continue
        except ConflictError as error:
            if error.code != STOCK_GONE:
                raise
            return _fall_back(deps, current, policy)
        log.info("replacement order made", extra={"rma": rma, "exchange_order": made.exchange_order})
        _tell_exchange_created(deps, stored, policy)
        # Part of the parcel missing: what was paid for replacements not sent goes back.
        owe_difference_back(deps, stored)
        return settle_exchange(deps, stored)
    raise StaleWriteError(f"return {rma} is being changed by someone else; try again")


def settle_exchange(deps: ExchangeDeps, request: ReturnRequest) -> ReturnRequest:
    """After the parcel, an exchange with its replacement order: end it `exchanged` when nothing
    is owed back, else queue the refund of the cheaper difference (its saga ends it exchanged)."""
    if not request.is_exchange or request.exchange_order is None or request.status != RECEIVED:
        return request
    if request.quote.total.minor > 0:
        return release_money(deps, request, trigger="receipt")
    now = deps.clock.now()
    try:
        return deps.returns.save(request.mark_exchanged(at=now, actor=SYSTEM), new_events=1, now=now)
    except StaleWriteError:
        # Someone else settled (or moved) it meanwhile: their move stands.
        return _get(deps, request.rma)


def after_approval(deps: ExchangeDeps, request: ReturnRequest, *, policy: Policy | None = None) -> ReturnRequest:
    """What follows an approval: an exchange's replacement order (its trigger permitting), else
    the money under `refund_trigger: on_approval` (services/refund_return.py)."""
    if request.is_exchange:
        try:
            return fulfil_exchange(deps, request.rma, request=request)
        except Exception:  # noqa: BLE001 - the approval is stored; the receipt makes the order
            log.exception("could not make the replacement order of return %s", request.rma)
            return request
    return on_return_approved(deps, request, policy=policy)


def after_receipt(deps: ExchangeDeps, request: ReturnRequest) -> ReturnRequest:
    """What follows the parcel's arrival: an exchange's order and settlement, else the money."""
    if request.is_exchange:
        return fulfil_exchange(deps, request.rma, request=request)
    return on_return_received(deps, request)


def _order_lines(deps: ExchangeDeps, request: ReturnRequest) -> tuple[ExchangeOrderLine, ...]:
    """What the replacement order sends: each line's chosen variant, for the units that came
    (all of them before the parcel), with the variant's options as the catalog names them."""
    arrived = {r.line_id: r.units for r in request.receipt}
    products = deps.catalog.get_many({line.product_id for line in request.lines if line.exchange_for})
    lines: list[ExchangeOrderLine] = []
    for line in request.lines:
        units = arrived.get(line.line_id, line.quantity)
        if not line.exchange_for or units <= 0:
            continue
        product = products.get(line.product_id)
        variant = product.variant(line.exchange_for) if product is not None else None
        lines.append(ExchangeOrderLine(line.line_id, line.exchange_for, units,
                                       variant.options if variant is not None else ()))
    return tuple(lines)


def fallback_quote(deps: ExchangeDeps, request: ReturnRequest, order: Order, resolution: str) -> Quote:
    """The return priced as a normal return of the same lines paid as `resolution`, with the
    policy it was judged by (that resolution allowed), cut to the units that came if received."""
    policy = policy_of(deps.policies, request)
    if resolution == "store_credit":
        policy = replace(policy, resolutions=replace(policy.resolutions, store_credit=True))
    else:
        policy = replace(policy, resolutions=replace(policy.resolutions, refund=True))
    units = deps.return_history.units_of_order(order.number)
    own = request.units
    # The units valued before this return: every unit taken on the line except this return's own.
    returned_before = {
        line_id: max(units.returned.get(line_id, 0) + units.in_open_returns.get(line_id, 0) - own.get(line_id, 0), 0)
        for line_id in {*units.returned, *units.in_open_returns}
    }
    # An exchange never held the order's original shipping: a fallback does not pay it either.
    returned_before[ORIGINAL_SHIPPING] = 1
    selections = tuple(Selection(l.line_id, l.quantity, l.reason, l.note) for l in request.lines)
    priced = quote(order, selections, policy, resolution=resolution, returned_before=returned_before,
                   at=request.created_at)
    priced = replace(priced, policy_version=request.quote.policy_version)
    arrived = {r.line_id: r.units for r in request.receipt}
    return priced.received(arrived) if arrived else priced


def _fall_back(deps: ExchangeDeps, request: ReturnRequest, policy: Policy) -> ReturnRequest:
    """The replacement can't be sent: the return becomes the policy's fallback, the promised
    stock goes back (in the same move), the shopper is told, and the money follows as for any
    return of that resolution."""
    order = deps.orders.get(request.order_number)
    if order is None:
        raise NotFoundError("We couldn't find that return's order.", code="order_not_found")
    resolution = policy.exchange_out_of_stock
    current = request
    for _ in range(_ATTEMPTS):
        if not current.exchange_due:
            return current
        now = deps.clock.now()
        moved = current.exchange_unavailable(fallback_quote(deps, current, order, resolution), at=now, actor=SYSTEM)
        try:
            stored = deps.returns.save(moved, new_events=1, now=now)
        except StaleWriteError:
            current = _get(deps, request.rma)
            continue
        log.warning("replacement out of stock; the exchange fell through",
                    extra={"rma": request.rma, "resolution": resolution})
        # A dearer exchange's paid price difference goes back (the refund worker).
        owe_difference_back(deps, stored)
        try:
            deps.shopper_notifier.exchange_unavailable(stored, order)
        except Exception:  # noqa: BLE001 - the move is stored; the status page says it
            log.exception("could not tell the shopper exchange %s fell through", stored.rma)
        if stored.status == APPROVED:
            return on_return_approved(deps, stored)
        # Received: an exchange's money waited for the parcel whatever the refund trigger.
        return release_money(deps, stored, trigger="receipt")
    raise StaleWriteError(f"return {request.rma} is being changed by someone else; try again")


def _tell_exchange_created(deps: ExchangeDeps, request: ReturnRequest, policy: Policy) -> None:
    """The merchant ships the replacement; the shopper hears it is on its way. A failed email is
    logged: the order stands, and both the console and the status page show it."""
    order = deps.orders.get(request.order_number)
    try:
        deps.merchant_notifier.exchange_created(request, to=policy.merchant_email)
    except Exception:  # noqa: BLE001 - see above
        log.exception("could not email the merchant replacement order of return %s", request.rma)
    if order is None:
        return
    try:
        deps.shopper_notifier.exchange_created(request, order)
    except Exception:  # noqa: BLE001 - see above
        log.exception("could not email the shopper replacement order of return %s", request.rma)


@dataclass(frozen=True, slots=True)
class ExchangedLine:
    """One exchanged line as people read it: the item, the variant sent back and the one sent."""

    line_id: str
    title: str
    returned: str
    replacement: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ExchangeSummary:
    """What the shopper's status page and the console show of an exchange.

    `number`/`made_at`: the replacement order once made; `difference`: the replacements' price
    minus the returned units' (positive: the shopper pays); `refund`: what a cheaper one pays
    back (within what was paid); `fell_through`: the stock ran out and the return was paid back
    another way; `on_receipt`: the order waits for the parcel.
    """

    lines: tuple[ExchangedLine, ...]
    number: str
    made_at: datetime | None
    difference: Money
    refund: Money
    payment: DifferencePayment | None
    fell_through: bool
    on_receipt: bool


def variant_words(options: tuple[tuple[str, str], ...], sku: str) -> str:
    """A variant as people read it, as the shopper's steps name it: "Size L, Colour navy" (the
    store's own words), else its SKU."""
    return ", ".join(f"{name[:1].upper()}{name[1:]} {value}" for name, value in options) or sku


def exchange_summary(catalog: ProductCatalog, request: ReturnRequest, order: Order | None,
                     policy: Policy) -> ExchangeSummary | None:
    """`request`'s exchange for the pages, or None when it never was one. One catalog read of its
    products names the replacements before their order exists (after, the order names them)."""
    swapped = [line for line in request.lines if line.exchange_for]
    if not swapped:
        return None
    made = request.exchange_order
    sent = {line.line_id: line for line in made.lines} if made is not None else {}
    products = catalog.get_many({line.product_id for line in swapped}) if made is None else {}
    lines: list[ExchangedLine] = []
    for line in swapped:
        sold = order.line(line.line_id) if order is not None else None
        ordered = sent.get(line.line_id)
        if ordered is not None:
            options: tuple[tuple[str, str], ...] = ordered.options
        else:
            product = products.get(line.product_id)
            variant = product.variant(line.exchange_for) if product is not None else None
            options = variant.options if variant is not None else ()
        lines.append(ExchangedLine(
            line_id=line.line_id, title=sold.title if sold is not None else line.sku,
            returned=variant_words(sold.options if sold is not None else (), line.sku),
            replacement=variant_words(options, line.exchange_for),
            quantity=ordered.quantity if ordered is not None else line.quantity,
        ))
    currency = request.quote.currency
    exchange = request.quote if request.quote.is_exchange else None
    return ExchangeSummary(
        lines=tuple(lines), number=made.number if made is not None else "",
        made_at=made.created_at if made is not None else None,
        difference=exchange.difference if exchange is not None else Money.zero(currency),
        refund=max(exchange.total, Money.zero(currency)) if exchange is not None else Money.zero(currency),
        payment=request.payment, fell_through=request.exchange_fell_through,
        on_receipt=policy.exchange_trigger == "on_receipt",
    )


def _get(deps: ReleaseDeps, rma: str) -> ReturnRequest:
    request = deps.returns.get(rma)
    if request is None:
        raise NotFoundError("We couldn't find that return.", code="return_not_found")
    return request
