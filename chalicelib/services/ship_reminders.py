"""Use case (scheduled, hourly): remind shoppers to send the parcel of an approved return a few
days before its send-by date (domain/send_by.py), once, in the return's language.

**Which returns.** The policy's `ship_reminder_days_before` (None: no reminders) before the send-by
instant (approval + `ship_within_days`). Approved returns are read from the status index (gsi2
`RETURNS#approved`, keyed by when they entered approved; data model pattern 40), for the range of
approval instants whose reminder is due and whose send-by has not passed: one Query, never a Scan.
Each run reads that range again, so a run missed for hours (or days, up to the send-by) catches up.

**Once.** The claim is the timeline entry itself: the return is read consistently, and the
`ship_reminder_sent` entry is saved with the one conditional write on the version read before the
email goes. Of two overlapping runs only one write succeeds; a later run sees the entry and skips
the return. The entry keeps the status and the time it entered it (not a move), so the index, the
expiry and the approval links see nothing change.

If the email then cannot be handed to the mail service, the entry stays and the run counts the
return as failed (logged): **at most once**. A reminder lost costs little (the status page, the
label and the approval email all carry the date); two of them cost the shopper's trust.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, Protocol

from ..domain.errors import RetourError, StaleWriteError
from ..domain.policy import Policy
from ..domain.return_request import APPROVED, ReturnRequest
from ..domain.send_by import approvals_due_for_reminder, reminder_due, send_by, send_by_date
from .ports.notifications import ShopperNotifier
from .ports.orders import OrderRepository
from .ports.policy import PolicyRepository
from .ports.returns import ReturnReports, ReturnRepository
from .ports.system import Clock

log = logging.getLogger("retour.returns")

REMINDER_ACTOR: Final = "system:ship_reminders"
# Another actor moving the same return meanwhile: read again, then leave it.
_ATTEMPTS: Final = 3


class ShipRemindersDeps(Protocol):
    """What the reminder job needs."""

    @property
    def returns(self) -> ReturnRepository: ...

    @property
    def return_reports(self) -> ReturnReports: ...

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def shopper_notifier(self) -> ShopperNotifier: ...


@dataclass
class RemindersSent:
    """What a run did: RMAs reminded, and RMAs whose email failed after the claim (not retried)."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def send_ship_reminders(deps: ShipRemindersDeps) -> RemindersSent:
    """One run of the reminder job at `deps.clock.now()`."""
    run = RemindersSent()
    policy = deps.policies.current()
    now = deps.clock.now()
    due = approvals_due_for_reminder(policy, now=now)
    if due is None:
        return run  # no reminders, or approved returns never expire
    since, until = due
    for listed in deps.return_reports.reached_between(APPROVED, since=since, until=until):
        try:
            _remind_one(deps, listed.rma, policy=policy, now=now, run=run)
        except RetourError:
            log.exception("ship reminders: could not remind return %s", listed.rma)
    return run


def _remind_one(deps: ShipRemindersDeps, rma: str, *, policy: Policy, now: datetime, run: RemindersSent) -> None:
    for attempt in range(_ATTEMPTS):
        # Eventually consistent first (half the cost, and most candidates were reminded on an
        # earlier run): the save is conditional on the version read, so a stale copy only costs
        # a refused write and a consistent read next.
        request = deps.returns.get(rma, consistent=attempt > 0)
        if request is None or not reminder_due(request, policy, now=now):
            return  # sent, cancelled, reminded already, or no longer in the range
        deadline = send_by(request, policy.ship_within_days)
        day = send_by_date(request, policy)
        if deadline is None or day is None:
            return
        try:
            stored = deps.returns.save(
                request.record_ship_reminder(at=deps.clock.now(), actor=REMINDER_ACTOR, send_by=deadline),
                new_events=1, now=now,
            )
        except StaleWriteError:
            continue  # another run reminded it, or the return moved: read again
        _send(deps, stored, day=day, run=run)
        return
    log.warning("ship reminders: return %s kept changing; the next run looks again", rma)


def _send(deps: ShipRemindersDeps, request: ReturnRequest, *, day: date, run: RemindersSent) -> None:
    """The reminder email of the claimed return; a failure is logged and counted, never retried."""
    try:
        order = deps.orders.get(request.order_number)
        if order is None:
            log.warning("return %s is due a reminder but its order is gone: no email", request.rma)
            run.failed.append(request.rma)
            return
        deps.shopper_notifier.ship_reminder(request, order, send_by=day)
    except (RetourError, RuntimeError):
        log.exception("could not email the send-by reminder of return %s; it is not sent again", request.rma)
        run.failed.append(request.rma)
        return
    log.info("return %s: send-by reminder sent", request.rma)
    run.sent.append(request.rma)


__all__ = ["REMINDER_ACTOR", "RemindersSent", "send_ship_reminders"]
