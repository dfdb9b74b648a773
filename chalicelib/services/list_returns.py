"""Use case: the admin's list of returns in one status, or of one order or one shopper, newest
first, page by page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import re

from ..domain.errors import ValidationError
from ..domain.order import is_plausible_email, normalize_email, order_number_key
from ..domain.return_request import PENDING_APPROVAL, STATUSES, ReturnRequest, ReturnStatus
from .ports.returns import ReturnListings, ReturnsPage
from .ports.system import Clock

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
# The order numbers an import accepts (web/schemas/orders.py): anything else names no order.
_ORDER_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ListReturnsDeps(Protocol):
    @property
    def listings(self) -> ReturnListings: ...
    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True, slots=True)
class ListedReturns:
    """A page of returns, how long each has been in its status, and the next page's cursor."""

    returns: tuple[tuple[ReturnRequest, timedelta], ...]
    cursor: str | None
    now: datetime


def list_returns(
    deps: ListReturnsDeps, *, status: str | None = None, order_number: str | None = None,
    email: str | None = None, limit: int | None = None, cursor: str | None = None,
) -> ListedReturns:
    """Returns in `status` (the default: pending_approval), or of `order_number`, or of the
    shopper with `email` (matched as the shopper's key is made: case and surrounding spaces
    ignored), newest first. At most one of the three; ValidationError names the bad fields."""
    given = tuple(name for name, value in
                  (("status", status), ("order_number", order_number), ("email", email)) if value is not None)
    if len(given) > 1:
        raise ValidationError(f"give only one of {', '.join(given)}", fields=given)
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be from 1 to {MAX_LIMIT}", fields=("limit",))
    page: ReturnsPage
    if order_number is not None:
        number = order_number_key(order_number)
        if not _ORDER_NUMBER.fullmatch(number):
            raise ValidationError("order_number must be an order number (letters, digits, '.', '_', '-')",
                                  fields=("order_number",))
        page = deps.listings.by_order(number, limit=limit, cursor=cursor or None)
    elif email is not None:
        shopper = normalize_email(email)
        if not is_plausible_email(shopper):
            raise ValidationError("email must be an email address", fields=("email",))
        page = deps.listings.by_customer(shopper, limit=limit, cursor=cursor or None)
    else:
        if (status or PENDING_APPROVAL) not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}", fields=("status",))
        page = deps.listings.with_status(ReturnStatus(status or PENDING_APPROVAL), newest_first=True, limit=limit,
                                         cursor=cursor or None)
    now = deps.clock.now()
    return ListedReturns(
        returns=tuple((r, now - r.status_changed_at) for r in page.returns), cursor=page.cursor, now=now,
    )
