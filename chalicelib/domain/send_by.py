"""Send-by dates: by when an approved return's parcel must be sent, and when to remind the shopper.

An approved return expires `ship_within_days` after it was approved (services/expire_returns.py,
which counts from the same instant: the move into `approved`). Its send-by instant is that
moment; the date the shopper reads is the day it falls on in the store's time zone. A policy
without a limit (`ship_within_days` None) has no send-by date, and sends no reminder.

The reminder (services/ship_reminders.py) is due `ship_reminder_days_before` days before the
send-by instant, once, while the return is still approved and unsent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .policy import Policy
from .return_request import APPROVED, EventKind, ReturnRequest


def approved_at(request: ReturnRequest) -> datetime | None:
    """When the return became approved (at the request, or by the merchant's decision); None
    while it is not approved. A return read without its timeline answers the time it entered
    its status, which for an approved return is that moment."""
    if request.status != APPROVED:
        return None
    if not request.events:
        return request.status_changed_at
    for event in reversed(request.events):
        if event.kind == EventKind.APPROVED or (event.kind == EventKind.REQUESTED and event.detail == APPROVED):
            return event.at
    return request.status_changed_at


def send_by(request: ReturnRequest, ship_within_days: int | None) -> datetime | None:
    """The instant the approved return expires unsent (approval + `ship_within_days`); None when
    it is not approved (waiting, sent, closed) or the policy never expires returns."""
    if ship_within_days is None:
        return None
    start = approved_at(request)
    if start is None:
        return None
    return start + timedelta(days=ship_within_days)


def send_by_date(request: ReturnRequest, policy: Policy) -> date | None:
    """The shopper's "send by" date: the day of the send-by instant in the store's time zone."""
    deadline = send_by(request, policy.ship_within_days)
    if deadline is None:
        return None
    return deadline.astimezone(policy.zone).date()


def reminder_due_at(request: ReturnRequest, policy: Policy) -> datetime | None:
    """When the send-by reminder falls due; None when the policy sends none or has no limit."""
    deadline = send_by(request, policy.ship_within_days)
    before = policy.ship_reminder_days_before
    if deadline is None or before is None:
        return None
    return deadline - timedelta(days=before)


def reminder_due(request: ReturnRequest, policy: Policy, *, now: datetime) -> bool:
    """True when the shopper should be reminded now: approved, the reminder's time reached, the
    send-by instant not yet passed, and no reminder sent before."""
    if approvals_due_for_reminder(policy, now=now) is None:
        return False  # no reminders, no limit, or a reminder as early as the approval itself
    due = reminder_due_at(request, policy)
    deadline = send_by(request, policy.ship_within_days)
    if due is None or deadline is None:
        return False
    if any(event.kind == EventKind.SHIP_REMINDER_SENT for event in request.events):
        return False
    return due <= now < deadline


def approvals_due_for_reminder(policy: Policy, *, now: datetime) -> tuple[datetime, datetime] | None:
    """The range [since, until) of approval instants whose reminder is due at `now` and whose
    send-by has not passed: the key range the job reads on the approved returns' index."""
    days = policy.ship_within_days
    before = policy.ship_reminder_days_before
    if days is None or before is None or before >= days:
        return None
    since = now - timedelta(days=days)
    # The range's end is exclusive: a return approved exactly `days - before` ago is due too.
    until = now - timedelta(days=days - before) + timedelta(seconds=1)
    return since, until
