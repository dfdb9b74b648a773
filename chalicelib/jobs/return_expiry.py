"""The daily return-expiry job: approved returns whose parcel did not arrive within the policy's
`ship_within_days` become expired, their units returnable again (services/expire_returns.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from chalice.app import Blueprint, Rate

from ..bootstrap import get_deps
from ..services.expire_returns import expire_offers, expire_returns, expire_unpaid

log = logging.getLogger("retour.returns")

return_expiry_jobs = Blueprint(__name__)


def lambda_time_left(context: Any) -> Callable[[], timedelta] | None:
    """How long the invocation may still run, from Lambda's context (None when run elsewhere)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return lambda: timedelta(milliseconds=remaining())


@return_expiry_jobs.schedule(Rate(1, unit=Rate.DAYS), name="return_expiry")
def return_expiry(event: Any) -> dict[str, list[str]]:
    """Expire approved returns not shipped in time; a run that stops half-way is done again tomorrow."""
    time_left = lambda_time_left(getattr(event, "context", None))
    expired = expire_returns(get_deps(), time_left=time_left)
    # Counter-offers the shopper left unanswered close the same way (their units freed).
    offers = expire_offers(get_deps(), time_left=time_left)
    # Dearer exchanges whose price difference was not paid in time give their stock back.
    unpaid = expire_unpaid(get_deps(), time_left=time_left)
    log.info("return expiry job: %d returns, %d offers and %d unpaid exchanges expired",
             len(expired), len(offers), len(unpaid))
    return {"expired": expired, "offers_expired": offers, "unpaid_expired": unpaid}
