"""The stock an exchange promises moves in the return's own writes, in memory and on DynamoDB
alike: reserved on create, given back on cancel, taken by the replacement order, and a
replacement order refused (ExchangeStockGoneError) when the store lowered stock under it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_products import DynamoDBProductCatalog
from chalicelib.adapters.dynamodb_returns import DynamoDBReturnRepository
from chalicelib.adapters.in_memory_catalog import InMemoryProductCatalog
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.domain.catalog import Product, Variant
from chalicelib.domain.exchange import ExchangeStockGoneError, OutOfStockError, choose_exchange
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ExchangeOrderLine, ReturnRequest, rma_from_bits
from chalicelib.services.ports.catalog import StockLevel
from tests.builders import a_line, an_order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
QUANTITIES = {"L1": 2}
ORDER = an_order(lines=(a_line(product_id="tee", options=(("size", "M"),)),))


def a_tee(l_stock: int) -> Product:
    return Product("tee", "Organic tee", (
        Variant("TEE-NAVY-M", (("size", "M"),), 3300, 5),
        Variant("TEE-NAVY-L", (("size", "L"),), 3300, l_stock),
    ), currency="JPY")


def an_exchange(bits: int, product: Product, quantity: int = 1) -> ReturnRequest:
    line = ORDER.lines[0]
    choice = choose_exchange(line, product, DEFAULT_POLICY, "JPY", sku="TEE-NAVY-L", quantity=quantity)
    selections = (Selection("L1", quantity, "too_small", exchange_for="TEE-NAVY-L"),)
    priced = quote(ORDER, selections, DEFAULT_POLICY, resolution="exchange", exchanges={"L1": choice})
    return ReturnRequest.request(rma=rma_from_bits(bits), order=ORDER, selections=selections, quote=priced,
                                 needs_approval=False, at=NOW)


@pytest.fixture(params=["in_memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """(ReturnRepository, ProductCatalog) over the same stock."""
    if request.param == "in_memory":
        catalog = InMemoryProductCatalog()
        return InMemoryReturnRepository(catalog), catalog
    client, table = request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table")
    return DynamoDBReturnRepository(client, table), DynamoDBProductCatalog(client, table)


def levels(catalog: Any) -> StockLevel:
    found = catalog.stock_levels("tee")
    assert found is not None
    return found[1]["TEE-NAVY-L"]


def test_an_exchange_reserves_its_unit_and_a_cancel_gives_it_back(store: tuple[Any, Any]) -> None:
    returns, catalog = store
    product, _ = catalog.put(a_tee(l_stock=2))
    created = returns.create(an_exchange(1, product), line_quantities=QUANTITIES, now=NOW)
    assert levels(catalog) == StockLevel(stock=2, reserved=1, available=1)
    returns.save(created.cancel(at=NOW + timedelta(minutes=5)), new_events=1, now=NOW)
    assert levels(catalog) == StockLevel(stock=2, reserved=0, available=2)


def test_a_create_refused_for_stock_writes_nothing(store: tuple[Any, Any]) -> None:
    returns, catalog = store
    product, _ = catalog.put(a_tee(l_stock=1))
    returns.create(an_exchange(1, product), line_quantities=QUANTITIES, now=NOW)
    with pytest.raises(OutOfStockError) as refused:
        returns.create(an_exchange(2, product), line_quantities=QUANTITIES, now=NOW)
    assert refused.value.code == "out_of_stock" and refused.value.sku == "TEE-NAVY-L"
    assert returns.get(rma_from_bits(2)) is None
    assert levels(catalog) == StockLevel(stock=1, reserved=1, available=0)
    # The line's units were not taken by the refused return either.
    assert sum(r.lines[0].quantity for r in returns.of_order("1001")) == 1


def test_the_replacement_order_takes_what_was_sent_and_gives_back_the_rest(store: tuple[Any, Any]) -> None:
    returns, catalog = store
    product, _ = catalog.put(a_tee(l_stock=3))
    created = returns.create(an_exchange(1, product, quantity=2), line_quantities=QUANTITIES, now=NOW)
    # Only one of the two units came back: the replacement order sends one.
    made = created.create_exchange_order((ExchangeOrderLine("L1", "TEE-NAVY-L", 1),), at=NOW, actor="system")
    returns.save(made, new_events=1, now=NOW)
    assert levels(catalog) == StockLevel(stock=2, reserved=0, available=2)


def test_a_replacement_order_above_the_stock_on_hand_is_refused_and_changes_nothing(
        store: tuple[Any, Any]) -> None:
    returns, catalog = store
    product, _ = catalog.put(a_tee(l_stock=1))
    created = returns.create(an_exchange(1, product), line_quantities=QUANTITIES, now=NOW)
    # The store counted its shelf again: none left, though one was promised.
    catalog.put(a_tee(l_stock=0))
    made = created.create_exchange_order((ExchangeOrderLine("L1", "TEE-NAVY-L", 1),), at=NOW, actor="system")
    with pytest.raises(ExchangeStockGoneError) as refused:
        returns.save(made, new_events=1, now=NOW)
    assert refused.value.code == "exchange_stock_gone" and refused.value.skus == ("TEE-NAVY-L",)
    assert returns.get(created.rma) == created
    assert levels(catalog) == StockLevel(stock=0, reserved=1, available=0)
    # The fallback (the stock goes back) is written.
    fallback = quote(ORDER, (Selection("L1", 1, "too_small"),), DEFAULT_POLICY, resolution="refund")
    returns.save(created.exchange_unavailable(fallback, at=NOW, actor="system"), new_events=1, now=NOW)
    assert levels(catalog) == StockLevel(stock=0, reserved=0, available=0)
