"""The hourly approval job: one reminder past the SLA, the policy's decision past the expiry."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Blueprint, Rate

from ..bootstrap import get_deps
from ..services.remind_approvals import remind_and_time_out

log = logging.getLogger("retour.approvals")

approval_jobs = Blueprint(__name__)


@approval_jobs.schedule(Rate(1, unit=Rate.HOURS), name="approval_reminders")
def approval_reminders(event: Any) -> dict[str, list[str]]:
    """Remind the merchant of overdue requests and apply on_approval_timeout to expired ones."""
    sweep = remind_and_time_out(get_deps())
    log.info("approval job: %d reminded, %d timed out", len(sweep.reminded), len(sweep.timed_out))
    return {"reminded": sweep.reminded, "timed_out": sweep.timed_out}
