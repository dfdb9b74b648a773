"""The hourly CSAT job: "How was your return?" a day after the money went back or the return was
declined, once per return (services/csat_surveys.py says how it stays once)."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Blueprint, Rate

from ..bootstrap import get_deps
from ..services.csat_surveys import send_due_surveys

log = logging.getLogger("retour.csat")

csat_jobs = Blueprint(__name__)


@csat_jobs.schedule(Rate(1, unit=Rate.HOURS), name="csat_surveys")
def csat_surveys(event: Any) -> dict[str, list[str]]:
    """Email the surveys that fell due since the last runs."""
    run = send_due_surveys(get_deps())
    log.info("csat job: %d surveys sent, %d to try again", len(run.sent), len(run.failed))
    return {"sent": run.sent, "failed": run.failed}
