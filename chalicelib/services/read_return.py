"""Use case: a return and its timeline, for the shopper who holds its order (or the merchant)."""

from __future__ import annotations

import hmac
from typing import Protocol

from ..domain.errors import NotFoundError
from ..domain.return_request import ReturnRequest, normalize_rma
from .ports.returns import ReturnRepository

# One message for a missing RMA and for another order's: a difference would confirm that a
# guessed RMA exists.
RETURN_NOT_FOUND_MESSAGE = "We couldn't find that return."


class ReadReturnDeps(Protocol):
    """What reading a return needs."""

    @property
    def returns(self) -> ReturnRepository: ...


def read_return(deps: ReadReturnDeps, rma: str, *, order_number: str | None,
                consistent: bool = True) -> ReturnRequest:
    """The return `rma` with its events; `order_number` None reads any order's (merchant side).

    Raises NotFoundError, with the same message, when there is no such return or it belongs to
    another order than `order_number`. `consistent=False`: see ReturnRepository.get.
    """
    canonical = normalize_rma(rma)
    found = deps.returns.get(canonical, consistent=consistent) if canonical is not None else None
    if found is None or (
        order_number is not None
        and not hmac.compare_digest(found.order_number.encode("utf-8"), order_number.encode("utf-8"))
    ):
        raise NotFoundError(RETURN_NOT_FOUND_MESSAGE, code="return_not_found")
    return found
