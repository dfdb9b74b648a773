"""Use case: what a candidate policy would change, judged over the store's recent orders."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from ..domain.eligibility import Verdict, VerdictStatus
from ..domain.policy import Policy
from .judging import judge_stored_order
from .ports.orders import OrderRepository
from .ports.policy import PolicyRepository
from .ports.returns import ReturnHistory
from .ports.system import Clock

# Enough orders to show a policy's effect, few enough to answer within an API call.
SAMPLE_SIZE = 500
EXAMPLES = 10
STATUSES: tuple[VerdictStatus, ...] = ("returnable", "needs_approval", "not_returnable")


class DryRunDeps(Protocol):
    """What a dry run needs."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def policies(self) -> PolicyRepository: ...

    @property
    def return_history(self) -> ReturnHistory: ...

    @property
    def clock(self) -> Clock: ...


@dataclass(frozen=True, slots=True)
class VerdictChange:
    """One line whose verdict the candidate policy would change."""

    order_number: str
    before: Verdict
    after: Verdict


@dataclass(frozen=True, slots=True)
class DryRun:
    """Verdict counts under the current and the candidate policy, and lines that would change."""

    current_version: int
    orders_judged: int
    lines_judged: int
    current_counts: dict[VerdictStatus, int]
    candidate_counts: dict[VerdictStatus, int]
    lines_changed: int
    examples: tuple[VerdictChange, ...]


def dry_run_policy(deps: DryRunDeps, candidate: Policy) -> DryRun:
    """Judge the most recent orders (up to SAMPLE_SIZE) under the current policy and `candidate`."""
    now = deps.clock.now()
    current = deps.policies.current()
    orders = deps.orders.recent(SAMPLE_SIZE, now=now)
    before_counts: Counter[VerdictStatus] = Counter()
    after_counts: Counter[VerdictStatus] = Counter()
    changes: list[VerdictChange] = []
    lines_changed = 0
    for order in orders:
        before = judge_stored_order(deps.return_history, order, current, now=now)
        after = judge_stored_order(deps.return_history, order, candidate, now=now)
        for old, new in zip(before, after, strict=True):
            before_counts[old.status] += 1
            after_counts[new.status] += 1
            # A new last day alone is not a change a merchant needs to review line by line.
            if (old.status, old.reason_code) != (new.status, new.reason_code):
                lines_changed += 1
                if len(changes) < EXAMPLES:
                    changes.append(VerdictChange(order.number, old, new))
    return DryRun(
        current_version=current.version,
        orders_judged=len(orders),
        lines_judged=sum(before_counts.values()),
        current_counts={status: before_counts[status] for status in STATUSES},
        candidate_counts={status: after_counts[status] for status in STATUSES},
        lines_changed=lines_changed,
        examples=tuple(changes),
    )
