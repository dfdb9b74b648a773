"""The return-expiry job with fakes: which approved returns expire, what follows (units back, the
shopper told, once), what it leaves alone, and how little it reads."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.in_memory import InMemoryOrderRepository, InMemoryPolicyRepository
from chalicelib.adapters.in_memory_approvals import InMemoryReturnListings
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.order import Order
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import VOID_STATUSES, ReturnRequest
from chalicelib.services.expire_returns import EXPIRY_ACTOR, expire_offers, expire_returns
from chalicelib.services.issue_label import VOID_LABELS
from chalicelib.services.receive_return import NOT_EXPECTED
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LINES = {"L1": 2, "L2": 1}


@dataclass
class Outbox:
    expired: list[tuple[str, str, int]] = field(default_factory=list)
    broken: bool = False

    def return_requested(self, request: ReturnRequest, order: Order) -> None:
        raise AssertionError("the expiry job never confirms a new return")

    def return_cancelled(self, request: ReturnRequest, order: Order) -> None:
        raise AssertionError("the expiry job never cancels")

    def return_expired(self, request: ReturnRequest, order: Order, *, ship_within_days: int) -> None:
        if self.broken:
            raise ConnectionError("the mail server is down")
        self.expired.append((request.rma, order.email, ship_within_days))


class CountingReads:
    """The return repository, counting which returns were read."""

    def __init__(self, inner: InMemoryReturnRepository) -> None:
        self.inner = inner
        self.reads: list[str] = []

    def get(self, rma: str, **options: Any) -> ReturnRequest | None:
        self.reads.append(rma)
        return self.inner.get(rma, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class Deps:
    orders: Any = field(default_factory=InMemoryOrderRepository)
    store: InMemoryReturnRepository = field(default_factory=InMemoryReturnRepository)
    policies: Any = field(default_factory=InMemoryPolicyRepository)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    shopper_notifier: Outbox = field(default_factory=Outbox)
    returns: Any = None
    listings: Any = None

    def __post_init__(self) -> None:
        self.returns = CountingReads(self.store)
        self.listings = InMemoryReturnListings(self.store)

    def later(self, days: float) -> Deps:
        """The same stores, `days` after NOW."""
        self.clock.at = NOW + timedelta(days=days)
        return self

    def ship_within(self, days: int | None) -> None:
        current = self.policies.current()
        self.policies.save(replace(DEFAULT_POLICY, ship_within_days=days), expected_version=current.version, now=NOW)


@pytest.fixture
def deps() -> Deps:
    deps = Deps()
    for number in ("1001", "1002", "1003", "1004", "1005"):
        deps.orders.save(OrderIn.model_validate(an_order_document(number=number)).to_domain(), now=NOW)
    return deps


def a_return(deps: Deps, number: str, *, at: datetime = NOW, pending: bool = False) -> ReturnRequest:
    order = deps.orders.get(number)
    selections = (Selection("L1", 2, "too_small"),)
    priced = quote(order, selections, DEFAULT_POLICY, resolution="refund")
    request = ReturnRequest.request(rma=f"R-0000-{number}", order=order, selections=selections, quote=priced,
                                    needs_approval=pending, at=at)
    stored: ReturnRequest = deps.store.create(request, line_quantities=LINES, now=at)
    return stored


def test_an_approved_return_past_the_limit_expires_its_units_are_freed_and_the_shopper_is_told(deps: Deps) -> None:
    old = a_return(deps, "1001")
    assert deps.store.units_of_order("1001").in_open_returns == {"L1": 2}

    assert expire_returns(deps.later(30.5)) == [old.rma]

    stored = deps.store.get(old.rma)
    assert stored is not None and stored.status == "expired"
    assert (stored.events[-1].kind, stored.events[-1].actor, stored.events[-1].at) == (
        "expired", EXPIRY_ACTOR, NOW + timedelta(days=30.5))
    assert deps.store.units_of_order("1001").in_open_returns == {"L1": 0}
    assert deps.shopper_notifier.expired == [(old.rma, "aiko@example.jp", 30)]


def test_younger_pending_and_received_returns_are_left_alone(deps: Deps) -> None:
    young = a_return(deps, "1001", at=NOW + timedelta(days=2))
    pending = a_return(deps, "1002", pending=True)
    received = a_return(deps, "1003")
    deps.store.save(received.receive(at=NOW, actor="warehouse"), new_events=1, now=NOW)

    assert expire_returns(deps.later(31)) == []

    assert [deps.store.get(r.rma).status for r in (young, pending, received)] == [  # type: ignore[union-attr]
        "approved", "pending_approval", "received"]
    assert deps.shopper_notifier.expired == []


def test_the_limit_counts_from_the_approval_not_from_the_request(deps: Deps) -> None:
    asked = a_return(deps, "1001", pending=True)
    approved_at = NOW + timedelta(days=6)
    deps.store.save(asked.approve(at=approved_at, actor="merchant:m@example.com"), new_events=1, now=approved_at)

    assert expire_returns(deps.later(31)) == []  # 31 days after the request, 25 after the approval
    assert expire_returns(deps.later(36.1)) == [asked.rma]


class CountingPages:
    """The listings, counting the pages asked for."""

    def __init__(self, inner: InMemoryReturnListings) -> None:
        self.inner = inner
        self.pages = 0

    def with_status(self, status: str, **options: Any) -> Any:
        self.pages += 1
        return self.inner.with_status(status, **options)


def test_the_walk_stops_at_the_first_return_too_young(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> None:
    import chalicelib.services.expire_returns as job

    monkeypatch.setattr(job, "PAGE_SIZE", 1)
    deps.listings = CountingPages(deps.listings)
    old = a_return(deps, "1001")
    for day, number in enumerate(("1002", "1003", "1004", "1005"), start=10):
        a_return(deps, number, at=NOW + timedelta(days=day))

    assert expire_returns(deps.later(30.5)) == [old.rma]

    # The old one is read before it moves; none of the younger ones is read at all, and the
    # listing is read no further than the first of them (one return per page here).
    assert deps.returns.reads == [old.rma]
    assert deps.listings.pages == 2


def test_the_store_sets_the_limit_and_null_expires_nothing(deps: Deps) -> None:
    first = a_return(deps, "1001")
    deps.ship_within(None)
    assert expire_returns(deps.later(400)) == []
    assert deps.store.get(first.rma).status == "approved"  # type: ignore[union-attr]
    assert deps.returns.reads == []

    deps.ship_within(7)
    second = a_return(deps, "1002", at=NOW + timedelta(days=395))
    assert expire_returns(deps) == [first.rma]  # the day-395 return has 5 days left
    assert deps.shopper_notifier.expired == [(first.rma, "aiko@example.jp", 7)]
    assert deps.store.get(second.rma).status == "approved"  # type: ignore[union-attr]


def test_a_second_run_expires_and_emails_nothing_again(deps: Deps) -> None:
    old = a_return(deps, "1001")
    assert expire_returns(deps.later(31)) == [old.rma]
    stored = deps.store.get(old.rma)

    assert expire_returns(deps.later(32)) == []

    assert deps.store.get(old.rma) == stored
    assert len(deps.shopper_notifier.expired) == 1


class ReceivedMeanwhile(CountingReads):
    """The warehouse scans the parcel between the job's read and its write."""

    def save(self, request: ReturnRequest, *, new_events: int, now: datetime) -> ReturnRequest:
        current = self.inner.get(request.rma)
        assert current is not None
        if current.status == "approved":
            self.inner.save(current.receive(at=now, actor="warehouse"), new_events=1, now=now)
        return self.inner.save(request, new_events=new_events, now=now)


def test_a_parcel_received_while_the_job_runs_wins_and_the_job_leaves_the_return_alone(deps: Deps) -> None:
    old = a_return(deps, "1001")
    deps.returns = ReceivedMeanwhile(deps.store)

    assert expire_returns(deps.later(31)) == []

    stored = deps.store.get(old.rma)
    assert stored is not None and stored.status == "received"
    assert [e.kind for e in stored.events].count("expired") == 0
    assert deps.store.units_of_order("1001").returned == {"L1": 2}
    assert deps.shopper_notifier.expired == []


def test_a_lost_email_never_undoes_the_expiry_and_the_run_goes_on(deps: Deps) -> None:
    first, second = a_return(deps, "1001"), a_return(deps, "1002")
    deps.shopper_notifier.broken = True

    assert expire_returns(deps.later(31)) == [first.rma, second.rma]

    assert {deps.store.get(r.rma).status for r in (first, second)} == {"expired"}  # type: ignore[union-attr]


def test_a_run_short_of_time_stops_cleanly_and_the_next_one_goes_on(deps: Deps) -> None:
    first, second = a_return(deps, "1001"), a_return(deps, "1002", at=NOW + timedelta(hours=1))
    budget = iter([timedelta(minutes=5), timedelta(seconds=1)])

    assert expire_returns(deps.later(31), time_left=lambda: next(budget)) == [first.rma]
    assert deps.store.get(second.rma).status == "approved"  # type: ignore[union-attr]

    assert expire_returns(deps) == [second.rma]


def test_a_refund_held_by_a_dispute_is_left_for_the_merchant(deps: Deps) -> None:
    held = a_return(deps, "1001")
    deps.store.save(held.hold_refund("charge disputed", at=NOW, actor="system:refunds"), new_events=1, now=NOW)

    assert expire_returns(deps.later(40)) == []
    assert deps.store.get(held.rma).status == "approved"  # type: ignore[union-attr]


def test_every_void_status_has_words_for_the_label_and_the_warehouse() -> None:
    assert set(VOID_LABELS) == set(VOID_STATUSES) == set(NOT_EXPECTED)
    assert VOID_LABELS["expired"][0] == NOT_EXPECTED["expired"][0] == "return_expired"


# --- counter-offers left unanswered (issue 18 item 5) ------------------------------------------

def an_offer(deps: Deps, number: str, *, at: datetime = NOW) -> ReturnRequest:
    """A pending return the merchant answered with a 10 % fee offer at `at`."""
    pending = a_return(deps, number, at=at - timedelta(hours=1), pending=True)
    fee_policy = replace(DEFAULT_POLICY, fees=replace(DEFAULT_POLICY.fees, restocking_percent=10))
    offer = quote(deps.orders.get(number), (Selection("L1", 2, "too_small"),), fee_policy, resolution="refund")
    moved = pending.make_offer(offer, at=at, actor="merchant:shop@example.com", note="Tags cut off", terms="fee")
    stored: ReturnRequest = deps.store.save(moved, new_events=1, now=at)
    return stored


def test_an_offer_unanswered_past_the_approval_expiry_expires_and_frees_its_units(deps: Deps) -> None:
    hours = DEFAULT_POLICY.approval_expiry_hours
    old, young = an_offer(deps, "1001"), an_offer(deps, "1002", at=NOW + timedelta(hours=hours - 1))
    assert expire_offers(deps.later(hours / 24 + 0.01)) == [old.rma]
    expired = deps.store.get(old.rma)
    assert expired is not None and expired.status == "expired" and expired.offer_outcome == "expired"
    assert deps.store.units_of_order("1001").in_open_returns.get("L1", 0) == 0
    assert deps.store.get(young.rma).status == "offered"  # type: ignore[union-attr]
    assert [rma for rma, *_ in deps.shopper_notifier.expired] == [old.rma]  # the shopper is told
    # An answered offer is not the job's: a second run leaves everything as it is.
    assert expire_offers(deps) == []
