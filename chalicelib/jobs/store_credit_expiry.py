"""The daily store-credit job: write off credit past its expiry (policy `store_credit_expiry_days`)."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Blueprint, Rate

from ..bootstrap import get_deps
from ..services.expire_store_credit import expire_store_credit

log = logging.getLogger("retour.store_credit")

store_credit_jobs = Blueprint(__name__)


@store_credit_jobs.schedule(Rate(1, unit=Rate.DAYS), name="store_credit_expiry")
def store_credit_expiry(event: Any) -> dict[str, list[str]]:
    """Expire issued credit past its date; a run that fails is simply done again tomorrow."""
    expired = expire_store_credit(get_deps())
    log.info("store-credit job: %d issues written off", len(expired))
    return {"expired": expired}
