"""The hourly digest job: one email per order and day for the exception requests after its first
(services/send_exception_digests.py), sent once the store's day is over."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Blueprint, Rate

from ..bootstrap import get_deps
from ..services.send_exception_digests import send_exception_digests

log = logging.getLogger("retour.approvals")

exception_digest_jobs = Blueprint(__name__)


@exception_digest_jobs.schedule(Rate(1, unit=Rate.HOURS), name="exception_digests")
def exception_digests(event: Any) -> dict[str, list[str]]:
    """Send the digests of the days just over; hourly, so a store's midnight in any time zone is
    followed within the hour."""
    run = send_exception_digests(get_deps())
    log.info("exception digest job: %d sent, %d with nothing left to decide", len(run.sent), len(run.settled))
    return {"sent": run.sent, "settled": run.settled}
