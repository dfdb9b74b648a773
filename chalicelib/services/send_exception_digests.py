"""Use case: the merchant's daily digest of the exception requests an order sent after its first.

The first exception request of an order on a day is emailed at once (approval_links.notify_merchant);
later ones that day are only recorded. Once the day is over in the store's time zone, this job
sends one email per order and day listing each request still awaiting a decision, each with its
own signed Approve / Deny links, exactly as the single email shows them. A digest is claimed
(a conditional write) before it is sent, so two runs never send it twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from ..domain.return_request import PENDING_APPROVAL
from .approval_links import NotifyMerchantDeps, approval_of

log = logging.getLogger("retour.approvals")

# A day's digests are read on each run for this many days after it: a missed run catches up.
DAYS_LOOKED_BACK = 2


class SendDigestsDeps(NotifyMerchantDeps, Protocol):
    """What sending the digests needs (links, listings, the mailer and the digests)."""


@dataclass(frozen=True, slots=True)
class DigestsSent:
    """What a run did: the digests sent as `{order}@{day}`, and those with nothing left to ask."""

    sent: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)


def send_exception_digests(deps: SendDigestsDeps) -> DigestsSent:
    """Send every digest of the last days that are over in the store's time zone."""
    now = deps.clock.now()
    policy = deps.policies.current()
    today = now.astimezone(policy.zone).date()
    run = DigestsSent()
    for back in range(DAYS_LOOKED_BACK, 0, -1):
        day: date = today - timedelta(days=back)
        for digest in deps.exception_digests.due(day):
            name = f"{digest.order_number}@{day.isoformat()}"
            waiting = [r for r in (deps.returns.get(rma) for rma in digest.rmas)
                       if r is not None and r.status == PENDING_APPROVAL]
            if not deps.exception_digests.claim(digest.order_number, day, now=now):
                continue  # another run has it
            if not waiting:
                # Decided, cancelled or timed out meanwhile: nothing to ask the merchant.
                run.settled.append(name)
                continue
            order = deps.orders.get(digest.order_number)
            if order is None:
                log.warning("the digest of order %s has no order: not sent", digest.order_number)
                continue
            approvals = tuple(approval_of(deps, request, order, policy=policy)[0] for request in waiting)
            deps.merchant_notifier.approval_digest(approvals, to=policy.merchant_email)
            run.sent.append(name)
    return run
