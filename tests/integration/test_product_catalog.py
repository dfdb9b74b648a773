"""The product catalog contract, held by the in-memory fake and by DynamoDB alike, and the stock
moves the returns repository puts into its own transactions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.adapters.dynamodb_products import (
    DynamoDBProductCatalog,
    fulfil_stock,
    refused_skus,
    release_stock,
    reserve_stock,
)
from chalicelib.adapters.dynamodb_transaction import DynamoDBTransaction, TransactionRefusedError
from chalicelib.adapters.in_memory_catalog import InMemoryProductCatalog
from chalicelib.domain.catalog import Product, Variant
from chalicelib.domain.errors import ConflictError
from chalicelib.services.ports.catalog import StockLevel


def a_tee(**stock: int) -> Product:
    """The demo tee: M 20.00, S 20.00, L 25.00, XL 15.00; stock by size (default 5 each)."""
    sizes = {"S": 2000, "M": 2000, "L": 2500, "XL": 1500}
    return Product("tee", "Organic tee", tuple(
        Variant(f"TEE-{size}", (("size", size),), price, stock.get(size, 5)) for size, price in sizes.items()
    ), currency="EUR")


class Stock:
    """Stock moves, as a returns repository makes them: in a transaction of its own on DynamoDB,
    through the fake's methods in memory."""

    def __init__(self, catalog: Any, client: Any = None, table: str = "") -> None:
        self.catalog, self._client, self._table = catalog, client, table

    def move(self, kind: str, sku: str, n: int) -> None:
        if isinstance(self.catalog, InMemoryProductCatalog):
            getattr(self.catalog, kind)("tee", sku, n)
            return
        transaction = DynamoDBTransaction(self._client, self._table)
        {"reserve": reserve_stock, "release": release_stock, "fulfil": fulfil_stock}[kind](transaction, "tee", sku, n)
        try:
            transaction.commit()
        except TransactionRefusedError as refused:
            raise ConflictError(f"refused: {refused_skus(refused)}", code="out_of_stock") from refused


@pytest.fixture(params=["in_memory", "dynamodb"])
def stock(request: pytest.FixtureRequest) -> Stock:
    if request.param == "in_memory":
        return Stock(InMemoryProductCatalog())
    client, table = request.getfixturevalue("dynamodb_client"), request.getfixturevalue("fresh_table")
    return Stock(DynamoDBProductCatalog(client, table), client, table)


def levels(stock: Stock) -> dict[str, StockLevel]:
    read = stock.catalog.stock_levels("tee")
    assert read is not None
    return read[1]


def test_a_new_product_reads_back_as_sent_at_version_one(stock: Stock) -> None:
    stored, created = stock.catalog.put(a_tee())
    assert created
    assert stored == Product("tee", "Organic tee", a_tee().variants, "EUR", version=1)
    assert stock.catalog.get("tee") == stored
    assert [v.sku for v in stock.catalog.get("tee").variants] == ["TEE-S", "TEE-M", "TEE-L", "TEE-XL"]
    assert levels(stock)["TEE-M"] == StockLevel(stock=5, reserved=0, available=5)


def test_an_unknown_product_is_none(stock: Stock) -> None:
    assert stock.catalog.get("missing") is None
    assert stock.catalog.stock_levels("missing") is None
    stock.catalog.put(a_tee())
    assert stock.catalog.get_many(["missing", "tee", "tee"]) == {"tee": stock.catalog.get("tee")}


def test_sending_the_same_product_again_changes_nothing(stock: Stock) -> None:
    stock.catalog.put(a_tee())
    stored, created = stock.catalog.put(a_tee())
    assert not created
    assert stored.version == 1


def test_a_reservation_lowers_what_is_available_and_a_new_count_keeps_it(stock: Stock) -> None:
    stock.catalog.put(a_tee(L=3))
    stock.move("reserve", "TEE-L", 2)
    assert levels(stock)["TEE-L"] == StockLevel(stock=3, reserved=2, available=1)
    # What a shopper can still be promised: `Variant.stock` read from the catalog is available units.
    assert stock.catalog.get("tee").variant("TEE-L").stock == 1
    # The store counts its shelf again: stock is its number, what is promised stays promised.
    stored, created = stock.catalog.put(a_tee(L=10))
    assert not created and stored.version == 2
    assert levels(stock)["TEE-L"] == StockLevel(stock=10, reserved=2, available=8)
    # A count below what is promised: nothing more can be promised, the promises stay.
    stock.catalog.put(a_tee(L=1))
    assert levels(stock)["TEE-L"] == StockLevel(stock=1, reserved=2, available=0)
    with pytest.raises(ConflictError):
        stock.move("reserve", "TEE-L", 1)
    # ... and the exchange order cannot take 2 units off a shelf of 1.
    with pytest.raises(ConflictError):
        stock.move("fulfil", "TEE-L", 2)


def test_release_gives_units_back_and_fulfil_takes_them_off_the_shelf(stock: Stock) -> None:
    stock.catalog.put(a_tee(M=4))
    stock.move("reserve", "TEE-M", 3)
    stock.move("release", "TEE-M", 1)
    assert levels(stock)["TEE-M"] == StockLevel(stock=4, reserved=2, available=2)
    stock.move("fulfil", "TEE-M", 2)
    assert levels(stock)["TEE-M"] == StockLevel(stock=2, reserved=0, available=2)
    with pytest.raises(ConflictError):
        stock.move("release", "TEE-M", 1)
    with pytest.raises(ConflictError):
        stock.move("reserve", "TEE-M", 3)
    assert levels(stock)["TEE-M"] == StockLevel(stock=2, reserved=0, available=2)


def test_a_stock_move_on_an_unknown_variant_is_refused(stock: Stock) -> None:
    stock.catalog.put(a_tee())
    with pytest.raises(ConflictError):
        stock.move("reserve", "TEE-XXL", 1)


def test_a_variant_left_out_is_removed_unless_units_of_it_are_promised(stock: Stock) -> None:
    stock.catalog.put(a_tee())
    stock.move("reserve", "TEE-XL", 1)
    without = lambda *skus: Product("tee", "Organic tee", tuple(v for v in a_tee().variants if v.sku not in skus), "EUR")  # noqa: E731
    with pytest.raises(ConflictError) as refused:
        stock.catalog.put(without("TEE-S", "TEE-XL"))
    assert refused.value.code == "variant_reserved"
    assert "TEE-XL" in refused.value.message
    # Nothing changed, TEE-S included.
    assert [v.sku for v in stock.catalog.get("tee").variants] == ["TEE-S", "TEE-M", "TEE-L", "TEE-XL"]
    stored, _ = stock.catalog.put(without("TEE-S"))
    assert [v.sku for v in stored.variants] == ["TEE-M", "TEE-L", "TEE-XL"]
    assert "TEE-S" not in levels(stock)
    # A variant added back starts afresh, nothing reserved.
    stock.catalog.put(a_tee(S=7))
    assert levels(stock)["TEE-S"] == StockLevel(stock=7, reserved=0, available=7)


def test_thirty_shoppers_racing_for_the_last_unit_leave_one_reservation(dynamodb_client: Any, fresh_table: str) -> None:
    catalog = DynamoDBProductCatalog(dynamodb_client, fresh_table)
    catalog.put(a_tee(XL=1))

    def reserve(_: int) -> bool:
        transaction = DynamoDBTransaction(dynamodb_client, fresh_table)
        reserve_stock(transaction, "tee", "TEE-XL", 1)
        try:
            transaction.commit()
        except TransactionRefusedError as refused:
            assert refused.failed == {"stock TEE-XL"} or refused.conflicted
            return False
        return True

    with ThreadPoolExecutor(max_workers=30) as pool:
        won = list(pool.map(reserve, range(30)))
    assert won.count(True) == 1
    read = catalog.stock_levels("tee")
    assert read is not None and read[1]["TEE-XL"] == StockLevel(stock=1, reserved=1, available=0)


def test_a_refused_transaction_names_the_sku_that_ran_short(dynamodb_client: Any, fresh_table: str) -> None:
    catalog = DynamoDBProductCatalog(dynamodb_client, fresh_table)
    catalog.put(a_tee(S=2, L=0))
    transaction = DynamoDBTransaction(dynamodb_client, fresh_table)
    reserve_stock(transaction, "tee", "TEE-S", 1)
    reserve_stock(transaction, "tee", "TEE-L", 1)
    with pytest.raises(TransactionRefusedError) as refused:
        transaction.commit()
    assert refused_skus(refused.value) == ["TEE-L"]
    read = catalog.stock_levels("tee")
    assert read is not None and read[1]["TEE-S"] == StockLevel(stock=2, reserved=0, available=2)


def test_two_writers_of_one_product_both_land_in_turn(dynamodb_client: Any, fresh_table: str) -> None:
    catalog = DynamoDBProductCatalog(dynamodb_client, fresh_table)
    catalog.put(a_tee())
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda n: catalog.put(a_tee(M=n)), [11, 12]))
    stored = catalog.get("tee", consistent=True)
    assert stored is not None and stored.version == 3
    assert stored.variant("TEE-M").stock in (11, 12)
