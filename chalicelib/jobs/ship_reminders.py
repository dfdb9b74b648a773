"""The hourly send-by reminder job: a few days before an approved return would expire unsent, one
email to the shopper in the return's language (services/ship_reminders.py says how it stays once)."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Blueprint, Rate

from ..bootstrap import get_deps
from ..services.ship_reminders import send_ship_reminders

log = logging.getLogger("retour.returns")

ship_reminder_jobs = Blueprint(__name__)


@ship_reminder_jobs.schedule(Rate(1, unit=Rate.HOURS), name="ship_reminders")
def ship_reminders(event: Any) -> dict[str, list[str]]:
    """Remind the shoppers whose reminder fell due since the last runs."""
    run = send_ship_reminders(get_deps())
    log.info("ship reminder job: %d sent, %d failed", len(run.sent), len(run.failed))
    return {"sent": run.sent, "failed": run.failed}
