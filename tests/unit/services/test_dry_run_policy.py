"""A dry run: what a candidate policy would change over the store's recent orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters.in_memory import InMemoryOrderRepository, InMemoryPolicyRepository, InMemoryReturnHistory
from chalicelib.domain.order import Order
from chalicelib.domain.policy import Policy
from chalicelib.services import dry_run_policy as dry_run_module
from chalicelib.services.dry_run_policy import dry_run_policy
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Deps:
    orders: Any = field(default_factory=InMemoryOrderRepository)
    policies: Any = field(default_factory=InMemoryPolicyRepository)
    return_history: Any = field(default_factory=InMemoryReturnHistory)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))


def an_order(number: str, delivered_at: str) -> Order:
    # L1 is an ordinary line, L2 a final-sale line (never returnable under either policy).
    return OrderIn.model_validate(
        an_order_document(number=number, placed_at="2026-10-01T00:00:00Z", delivered_at=delivered_at)
    ).to_domain()


def seeded() -> Deps:
    deps = Deps()
    # Delivered 20 days before NOW, and 50 days before NOW.
    deps.orders.save(an_order("A", "2026-11-03T09:00:00Z"), now=NOW)
    deps.orders.save(an_order("B", "2026-10-04T09:00:00Z"), now=NOW)
    return deps


def test_a_shorter_window_moves_lines_from_returnable_to_needs_approval() -> None:
    result = dry_run_policy(seeded(), Policy(window_days=14))
    assert result.orders_judged == 2
    assert result.lines_judged == 4
    assert result.current_counts == {"returnable": 1, "needs_approval": 1, "not_returnable": 2}
    assert result.candidate_counts == {"returnable": 0, "needs_approval": 1, "not_returnable": 3}
    assert result.lines_changed == 2
    changes = {(c.order_number, c.before.line_id): (c.before.reason_code, c.after.reason_code)
               for c in result.examples}
    assert changes == {("A", "L1"): ("within_window", "window_passed"),
                       ("B", "L1"): ("window_passed", "window_closed")}


def test_the_same_policy_changes_nothing() -> None:
    result = dry_run_policy(seeded(), Policy())
    assert result.current_counts == result.candidate_counts
    assert result.lines_changed == 0
    assert result.examples == ()


def test_examples_are_capped_but_every_change_is_counted(monkeypatch: Any) -> None:
    monkeypatch.setattr(dry_run_module, "EXAMPLES", 1)
    result = dry_run_policy(seeded(), Policy(window_days=14))
    assert result.lines_changed == 2
    assert len(result.examples) == 1


def test_the_current_policy_is_the_stored_one() -> None:
    deps = seeded()
    deps.policies.save(Policy(window_days=14), expected_version=0, now=NOW)
    result = dry_run_policy(deps, Policy())
    assert result.current_version == 1
    assert result.candidate_counts == {"returnable": 1, "needs_approval": 1, "not_returnable": 2}
