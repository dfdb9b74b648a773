"""Exchanges in the lookup and the request, with fakes: what the catalog is asked, and the last
unit lost between the read and the write."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_rate_counter import InMemoryRateCounter
from chalicelib.adapters.in_memory import InMemoryOrderRepository, InMemoryPolicyRepository
from chalicelib.adapters.in_memory_catalog import InMemoryProductCatalog
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.adapters.signed_tokens import SignedTokens
from chalicelib.domain.catalog import Product, Variant
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.exchange import OutOfStockError
from chalicelib.domain.policy import Policy
from chalicelib.domain.quote import Selection
from chalicelib.services.look_up_order import look_up_order
from chalicelib.services.request_return import request_return
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class CountingCatalog(InMemoryProductCatalog):
    """The fake catalog, remembering each read it was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[tuple[str, ...]] = []

    def get_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        ids = tuple(product_ids)
        self.reads.append(ids)
        return super().get_many(ids)


@dataclass
class Outbox:
    sent: list[Any] = field(default_factory=list)

    def return_requested(self, request: Any, order: Any) -> None:
        self.sent.append(request)


@dataclass
class Deps:
    catalog: CountingCatalog = field(default_factory=CountingCatalog)
    orders: Any = field(default_factory=InMemoryOrderRepository)
    policies: Any = field(default_factory=InMemoryPolicyRepository)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    tokens: Any = field(default_factory=lambda: SignedTokens(lambda: "unit-test-key"))
    shopper_notifier: Outbox = field(default_factory=Outbox)
    rate_counter: Any = field(default_factory=InMemoryRateCounter)
    returns: Any = None

    def __post_init__(self) -> None:
        self.returns = InMemoryReturnRepository(self.catalog)

    @property
    def return_history(self) -> Any:
        return self.returns

    @property
    def random(self) -> Any:
        return self

    def bits(self, count: int) -> int:
        return len(self.returns.all())


def a_tee(product_id: str, l_stock: int = 1) -> Product:
    return Product(product_id, "Organic tee", (
        Variant(f"{product_id}-M", (("size", "M"),), 3300, 5),
        Variant(f"{product_id}-L", (("size", "L"),), 3300, l_stock),
        Variant(f"{product_id}-S", (("size", "S"),), 3300, 2),
    ), currency="JPY")


@pytest.fixture
def deps() -> Deps:
    deps = Deps()
    document = an_order_document()
    tee, socks = document["lines"]
    document["lines"] = [
        {**tee, "sku": "tee-M", "product_id": "tee", "options": {"size": "M"}},
        {**tee, "id": "L3", "sku": "tee-S", "product_id": "tee", "options": {"size": "S"}},
        {**tee, "id": "L4", "sku": "cap-M", "product_id": "cap", "options": {"size": "M"}},
        # Final sale: never offered an exchange, and its product is not read.
        {**socks, "product_id": "socks"},
    ]
    deps.orders.save(OrderIn.model_validate(document).to_domain(), now=NOW)
    for product_id in ("tee", "cap", "socks"):
        deps.catalog.put(a_tee(product_id))
    return deps


def test_the_lookup_reads_each_product_of_the_choosable_lines_once(deps: Deps) -> None:
    found = look_up_order(deps, "1001", "aiko@example.jp")
    assert deps.catalog.reads == [("tee", "cap")]
    assert [o.sku for o in found.options_for("L1")] == ["tee-L", "tee-S"]
    assert [o.sku for o in found.options_for("L3")] == ["tee-M", "tee-L"]
    assert found.options_for("L2") == ()


def test_the_lookup_reads_no_product_when_the_store_offers_no_exchanges(deps: Deps) -> None:
    deps.policies.save(Policy(exchanges="off"), expected_version=0, now=NOW)
    found = look_up_order(deps, "1001", "aiko@example.jp")
    assert deps.catalog.reads == [] and found.exchange_options == {}


def test_the_last_unit_taken_between_read_and_write_is_refused_naming_what_is_left(deps: Deps) -> None:
    class Stale(CountingCatalog):
        """Reads from before another shopper was promised the last L."""

        def get(self, product_id: str, *, consistent: bool = False) -> Product | None:
            read = super().get(product_id, consistent=consistent)
            return None if read is None else replace(read, variants=tuple(
                replace(v, stock=1) if v.sku == "tee-L" else v for v in read.variants))

    stale = Stale()
    stale.put(a_tee("tee"))
    stale.reserve("tee", "tee-L", 1)
    deps.catalog = stale
    deps.returns = InMemoryReturnRepository(stale)
    with pytest.raises(OutOfStockError) as refused:
        request_return(deps, order_number="1001", resolution="exchange",
                       selections=[Selection("L1", 1, "too_small", exchange_for="tee-L")])
    assert [o.sku for o in refused.value.available] == ["tee-S"]
    assert "tee-L" in refused.value.message and "available: tee-S (S)" in refused.value.message
    assert deps.returns.all() == [] and deps.shopper_notifier.sent == []


def test_a_key_reused_for_another_variant_is_refused(deps: Deps) -> None:
    first = request_return(deps, order_number="1001", resolution="exchange", idempotency_key="k" * 20,
                           selections=[Selection("L1", 1, "too_small", exchange_for="tee-L")])
    assert first.lines[0].exchange_for == "tee-L"
    with pytest.raises(ConflictError) as reused:
        request_return(deps, order_number="1001", resolution="exchange", idempotency_key="k" * 20,
                       selections=[Selection("L1", 1, "too_small", exchange_for="tee-S")])
    assert reused.value.code == "idempotency_key_reused"
    stock = deps.catalog.stock_levels("tee")
    assert stock is not None and (stock[1]["tee-L"].reserved, stock[1]["tee-S"].reserved) == (1, 0)
