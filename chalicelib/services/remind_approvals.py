"""Use case (scheduled): remind the merchant once of an overdue exception, and time out old ones.

A request pending longer than the policy's `approval_sla_hours` gets one reminder email with
fresh links; one pending longer than `approval_expiry_hours` is decided by
`on_approval_timeout`, so no shopper waits forever. Pending returns are read oldest first from
the status index (gsi2 `RETURNS#pending_approval`), never a Scan, and the walk stops at the first
one too young for either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from ..domain.approvals import APPROVE, REJECT
from ..domain.errors import RetourError
from ..domain.return_request import PENDING_APPROVAL
from .approval_links import request_approval
from .decide_return import AlreadyDecidedError, DecidedBy, DecideReturnDeps, Decision, _decide

log = logging.getLogger("retour.approvals")

TIMEOUT_ACTOR = "system:approval_timeout"
PAGE_SIZE = 100


@dataclass
class ApprovalSweep:
    """What one run did: RMAs reminded about and RMAs decided by the timeout."""

    reminded: list[str] = field(default_factory=list)
    timed_out: list[str] = field(default_factory=list)


def remind_and_time_out(deps: DecideReturnDeps) -> ApprovalSweep:
    """One run of the job at `deps.clock.now()`."""
    now = deps.clock.now()
    policy = deps.policies.current()
    sla = timedelta(hours=policy.approval_sla_hours)
    expiry = timedelta(hours=policy.approval_expiry_hours)
    sweep = ApprovalSweep()
    cursor: str | None = None
    while True:
        page = deps.listings.with_status(PENDING_APPROVAL, newest_first=False, limit=PAGE_SIZE, cursor=cursor)
        for listed in page.returns:
            age = now - listed.status_changed_at
            if age < min(sla, expiry):
                return sweep  # oldest first: every later one is younger still
            # The listing has no timeline; a move appends to the whole one.
            request = deps.returns.get(listed.rma)
            if request is None or request.status != PENDING_APPROVAL:
                continue
            try:
                if age >= expiry:
                    action = APPROVE if policy.on_approval_timeout == "approve" else REJECT
                    note = f"No decision within {policy.approval_expiry_hours} hours"
                    _decide(deps, request, Decision(action, note=note), by=DecidedBy(TIMEOUT_ACTOR))
                    sweep.timed_out.append(request.rma)
                elif deps.approval_links.mark_reminded(request.rma, at=now, keep_until=now + expiry):
                    request_approval(deps, request, reminder=True)
                    sweep.reminded.append(request.rma)
            except AlreadyDecidedError:
                continue  # decided meanwhile by the merchant: nothing left to do
            except RetourError:
                log.exception("approval job: could not handle return %s", request.rma)
        cursor = page.cursor
        if cursor is None:
            return sweep
