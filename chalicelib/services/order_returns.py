"""Use case: the returns of an order its shopper has proven, so a return is always found again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from ..domain.return_request import RETURNED_STATUSES, ReturnRequest
from .ports.returns import ReturnRepository


class OrderReturnsDeps(Protocol):
    """What listing an order's returns needs."""

    @property
    def returns(self) -> ReturnRepository: ...


def order_returns(deps: OrderReturnsDeps, order_number: str, *, just_made: str = "") -> tuple[ReturnRequest, ...]:
    """Every return of the order, newest first (without their timelines), through the order's
    index (docs/data-model.md, pattern 5): only for an order the caller has already proven.

    `just_made`: the RMA this browser confirmed a moment ago, read by its key when the index
    does not list it yet (a global index lags its table for a moment), so the return just made
    is never missing from the list the shopper comes back to.
    """
    found = list(deps.returns.of_order(order_number))
    if just_made and all(request.rma != just_made for request in found):
        made = deps.returns.get(just_made)
        if made is not None and made.order_number == order_number:
            found.append(made)
    return tuple(sorted(found, key=lambda r: (r.created_at, r.rma), reverse=True))


def open_returns_by_line(returns: Iterable[ReturnRequest]) -> Mapping[str, tuple[str, ...]]:
    """The RMAs of the still-open returns (waiting for the store, or approved and not yet
    received) that hold each line, by line id: the lines a new return cannot have again."""
    by_line: dict[str, list[str]] = {}
    for request in returns:
        if request.is_open:
            for line in request.lines:
                by_line.setdefault(line.line_id, []).append(request.rma)
    return {line_id: tuple(rmas) for line_id, rmas in by_line.items()}


def returned_by_line(returns: Iterable[ReturnRequest]) -> Mapping[str, tuple[str, ...]]:
    """The RMAs of the returns whose parcel reached the store (received, refunded, credited...)
    that hold each line, by line id: where a line's already-returned units went, so a line with
    fewer units left than were bought says why."""
    by_line: dict[str, list[str]] = {}
    for request in returns:
        if request.status in RETURNED_STATUSES:
            for line in request.lines:
                by_line.setdefault(line.line_id, []).append(request.rma)
    return {line_id: tuple(rmas) for line_id, rmas in by_line.items()}
