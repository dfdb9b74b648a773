"""Use case: a shopper chooses lines, sees exactly what they get back, and requests the return."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from ..domain.eligibility import Verdict
from ..domain.errors import NotFoundError, ValidationError
from ..domain.order import Order
from ..domain.policy import Policy
from ..domain.quote import Quote, Selection, quote
from ..domain.return_request import RMA_BITS, ReturnRequest, RmaTakenError, rma_from_bits
from .judging import judge_stored_order
from .look_up_order import ORDER_NOT_FOUND_MESSAGE
from .ports import Clock, OrderRepository, PolicyRepository, RandomBits, ReturnHistory, ReturnRepository, ShopperNotifier

log = logging.getLogger("retour.returns")

# A taken RMA means 40 random bits collided; a second draw colliding too means a broken source.
_RMA_DRAWS = 3


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


class RequestReturnDeps(QuoteReturnDeps, Protocol):
    """What requesting a return needs."""

    @property
    def returns(self) -> ReturnRepository: ...

    @property
    def random(self) -> RandomBits: ...

    @property
    def notifier(self) -> ShopperNotifier: ...


def quote_return(
    deps: QuoteReturnDeps, *, order_number: str, selections: Sequence[Selection], resolution: str
) -> Quote:
    """What returning `selections` of the order would pay back now; nothing is written.

    Raises ValidationError naming every bad field (`lines[i].line_id`, `lines[i].quantity`,
    `lines[i].note`, `resolution`, ...), NotFoundError for an unknown order.
    """
    order = _order(deps, order_number)
    _, priced = _judged_quote(deps, order, tuple(selections), resolution)
    return priced


def request_return(
    deps: RequestReturnDeps, *, order_number: str, selections: Sequence[Selection], resolution: str
) -> ReturnRequest:
    """Judge, price and store a new return with its reservations in one transaction; email the shopper.

    `approved` when every chosen line is returnable, `pending_approval` when any needs the
    merchant. Raises ValidationError as `quote_return` does (nothing written), ConflictError
    when another return took some of the units meanwhile (nothing written).
    """
    order = _order(deps, order_number)
    chosen = tuple(selections)
    verdicts, priced = _judged_quote(deps, order, chosen, resolution)
    needs_approval = any(verdicts[s.line_id].status == "needs_approval" for s in chosen)
    quantities = {line.id: line.quantity for line in order.lines}
    now = deps.clock.now()
    for draw in range(_RMA_DRAWS):
        request = ReturnRequest.request(
            rma=rma_from_bits(deps.random.bits(RMA_BITS)), order=order, selections=chosen,
            quote=priced, needs_approval=needs_approval, at=now,
        )
        try:
            stored = deps.returns.create(request, line_quantities=quantities, now=now)
            break
        except RmaTakenError:
            if draw == _RMA_DRAWS - 1:
                raise
    deps.notifier.return_requested(stored, order)
    return stored


def _order(deps: QuoteReturnDeps, order_number: str) -> Order:
    order = deps.orders.get(order_number)
    if order is None:
        raise NotFoundError(ORDER_NOT_FOUND_MESSAGE, code="order_not_found")
    return order


def _judged_quote(
    deps: QuoteReturnDeps, order: Order, selections: tuple[Selection, ...], resolution: str
) -> tuple[dict[str, Verdict], Quote]:
    """Every line judged now with the current policy and earlier returns, and the quote.

    Problems found by judging and by pricing are reported together, one per field.
    """
    now = deps.clock.now()
    policy: Policy = deps.policies.current()
    units = deps.return_history.units_of_order(order.number)
    verdicts = {v.line_id: v for v in judge_stored_order(deps.return_history, order, policy, now=now, units=units)}
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
    try:
        priced = quote(order, selections, policy, resolution=resolution, returned_before=returned_before)
    except ValidationError as error:
        for name, message in _split(error):
            # A line that can't be chosen has no quantity to discuss: its line_id says it all.
            line_field = name.rsplit(".", 1)[0] + ".line_id"
            if name not in problems and not (name.endswith(".quantity") and line_field in problems):
                problems[name] = message
        priced = None
    if problems or priced is None:
        raise ValidationError("; ".join(problems.values()), fields=tuple(problems))
    return verdicts, priced


def _split(error: ValidationError) -> list[tuple[str, str]]:
    """The (field, message) pairs of a ValidationError that joined its messages with '; '."""
    messages = error.message.split("; ")
    if len(messages) != len(error.fields):
        return [(name, error.message) for name in error.fields]
    return list(zip(error.fields, messages))
