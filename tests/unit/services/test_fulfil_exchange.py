"""The replacement order with fakes: made at the policy's trigger, once however often it is asked
for, and an exchange whose stock the store took away falls back to money, the shopper told."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.in_memory import InMemoryOrderRepository, InMemoryPolicyRepository
from chalicelib.adapters.in_memory_catalog import InMemoryProductCatalog
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.catalog import Product, Variant
from chalicelib.domain.exchange import choose_exchange
from chalicelib.domain.policy import DEFAULT_POLICY, Policy
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from chalicelib.services.fulfil_exchange import after_approval, fulfil_exchange
from tests.builders import a_line, an_order
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ORDER = an_order(lines=(a_line(product_id="tee", options=(("size", "M"),)),))
TEE = Product("tee", "Organic tee", (
    Variant("TEE-M", (("size", "M"),), 3300, 2),
    Variant("TEE-L", (("size", "L"),), 3300, 3),
))


@dataclass
class Mail:
    sent: list[tuple[str, str]] = field(default_factory=list)

    def exchange_created(self, request: ReturnRequest, *args: Any, **kwargs: Any) -> None:
        self.sent.append(("exchange_created", request.rma))

    def exchange_unavailable(self, request: ReturnRequest, order: Any) -> None:
        self.sent.append(("exchange_unavailable", request.resolution))


@dataclass
class Queue:
    queued: list[tuple[str, str]] = field(default_factory=list)

    def enqueue(self, rma: str, *, trigger: str) -> None:
        self.queued.append((rma, trigger))


@dataclass
class Deps:
    catalog: InMemoryProductCatalog = field(default_factory=InMemoryProductCatalog)
    orders: Any = field(default_factory=InMemoryOrderRepository)
    policies: Any = field(default_factory=InMemoryPolicyRepository)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    shopper_notifier: Mail = field(default_factory=Mail)
    merchant_notifier: Mail = field(default_factory=Mail)
    refund_queue: Queue = field(default_factory=Queue)
    store_credit: Any = None
    checkout_promotions: Any = None
    returns: Any = None

    def __post_init__(self) -> None:
        self.returns = InMemoryReturnRepository(self.catalog)
        self.catalog.put(TEE)
        self.orders.save(ORDER, now=NOW)

    @property
    def return_history(self) -> Any:
        return self.returns


def stored_exchange(deps: Deps, policy: Policy) -> ReturnRequest:
    deps.policies.save(policy, expected_version=deps.policies.current().version, now=NOW)
    choice = choose_exchange(ORDER.lines[0], deps.catalog.get("tee"), policy, "JPY", sku="TEE-L", quantity=1)
    selections = (Selection("L1", 1, "too_small", exchange_for="TEE-L"),)
    priced = quote(ORDER, selections, policy, resolution="exchange", exchanges={"L1": choice})
    request = ReturnRequest.request(rma="R-7Q4K-9M2P", order=ORDER, selections=selections, quote=priced,
                                    needs_approval=False, at=NOW)
    return deps.returns.create(request, line_quantities={"L1": 2}, now=NOW)


def levels(deps: Deps) -> tuple[int, int, int]:
    found = deps.catalog.stock_levels("tee")
    assert found is not None
    level = found[1]["TEE-L"]
    return level.stock, level.reserved, level.available


@pytest.fixture
def deps() -> Deps:
    return Deps()


def test_on_receipt_nothing_is_made_at_approval(deps: Deps) -> None:
    stored = stored_exchange(deps, replace(DEFAULT_POLICY, exchange_trigger="on_receipt"))
    after = after_approval(deps, stored)
    assert after.exchange_order is None and after.status == "approved"
    assert levels(deps) == (3, 1, 2) and deps.merchant_notifier.sent == []


def test_on_approval_the_order_is_made_once_however_often_it_is_asked_for(deps: Deps) -> None:
    stored = stored_exchange(deps, replace(DEFAULT_POLICY, exchange_trigger="on_approval"))
    made = after_approval(deps, stored)
    assert made.exchange_order is not None and made.exchange_order.number == "X-7Q4K-9M2P"
    assert levels(deps) == (2, 0, 2)
    # Asked again, and by a caller holding the copy from before the order (it loses its write).
    again = fulfil_exchange(deps, stored.rma)
    stale = fulfil_exchange(deps, stored.rma, request=stored)
    assert again.exchange_order == stale.exchange_order == made.exchange_order
    assert [e.kind for e in deps.returns.get(stored.rma).events].count("exchange_created") == 1
    assert levels(deps) == (2, 0, 2)
    assert deps.merchant_notifier.sent == [("exchange_created", stored.rma)]
    assert deps.shopper_notifier.sent == [("exchange_created", stored.rma)]


@pytest.mark.parametrize("fallback", ["refund", "store_credit"])
def test_stock_taken_away_turns_the_exchange_into_the_policys_fallback(deps: Deps, fallback: str) -> None:
    policy = replace(DEFAULT_POLICY, exchange_trigger="on_approval", exchange_out_of_stock=fallback,
                     refund_trigger="on_receipt")
    stored = stored_exchange(deps, policy)
    # The store counts its shelf: no L left, one promised.
    deps.catalog.put(replace(TEE, variants=(TEE.variants[0], replace(TEE.variants[1], stock=0))))
    fell = fulfil_exchange(deps, stored.rma)
    assert fell.exchange_order is None and fell.resolution == fallback and fell.exchange_fell_through
    assert fell.quote.total.minor > 0 and not fell.quote.is_exchange
    assert levels(deps) == (0, 0, 0)
    assert deps.shopper_notifier.sent == [("exchange_unavailable", fallback)]
    # Approved under refund_trigger on_receipt: the money waits for the parcel, as for any return.
    assert deps.refund_queue.queued == []


def test_once_its_replacement_order_is_made_an_exchange_can_no_longer_be_cancelled(deps: Deps) -> None:
    from chalicelib.domain.return_request import NotCancellableError

    made = after_approval(deps, stored_exchange(deps, replace(DEFAULT_POLICY, exchange_trigger="on_approval")))
    assert made.exchange_order is not None and not made.can_be_cancelled
    with pytest.raises(NotCancellableError) as refused:
        made.cancel(at=NOW)
    assert refused.value.why == "exchange_made"
