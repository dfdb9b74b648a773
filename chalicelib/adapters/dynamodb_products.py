"""The store's catalog in the single DynamoDB table: a product and its variants in one partition.

- `pk=PRODUCT#{product_id}`, `sk=PRODUCT`: title, currency, version, the variants' SKUs in order.
- `pk=PRODUCT#{product_id}`, `sk=VARIANT#{sku}`: options, price, `stock` (on hand, as the store last
  said it, less what exchange orders took), `reserved` (promised to open exchanges) and `available`
  (stock - reserved: what may still be promised; below 0 when the store lowered stock under what
  is promised).

One Query of the partition reads a product with its stock. Stock moves are conditional updates of
a VARIANT item that the returns repository puts into its own transaction (`reserve_stock`,
`release_stock`, `fulfil_stock`), each named `stock {sku}` so a refusal says which SKU ran short.
Keys and access patterns: docs/data-model.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..domain.catalog import Product, Variant
from ..domain.errors import ConflictError, StaleWriteError, ValidationError
from ..services.ports.catalog import StockLevel
from .dynamodb_items import query_all, to_attribute, to_item
from .dynamodb_transaction import DynamoDBTransaction, TransactionRefusedError

# A writer that keeps meeting other writers of the same product gives up after this.
_ATTEMPTS = 3
# The longest product id the catalog accepts (domain/catalog.py).
_MAX_ID = 100
# DynamoDB's limit on the items of one TransactWriteItems.
_MAX_TRANSACTION_ITEMS = 100


def _counts(*names: str) -> dict[str, str]:
    """Expression names of the counts an expression uses (DynamoDB refuses unused ones)."""
    return {f"#{name}": name for name in names}


def product_partition(product_id: str) -> str:
    return f"PRODUCT#{product_id}"


def product_key(product_id: str) -> dict[str, Any]:
    return {"pk": {"S": product_partition(product_id)}, "sk": {"S": "PRODUCT"}}


def variant_key(product_id: str, sku: str) -> dict[str, Any]:
    return {"pk": {"S": product_partition(product_id)}, "sk": {"S": f"VARIANT#{sku}"}}


def stock_item(sku: str) -> str:
    """The name a stock move of `sku` has in a transaction (TransactionRefusedError.failed)."""
    return f"stock {sku}"


def refused_skus(refused: TransactionRefusedError) -> list[str]:
    """The SKUs whose stock move's condition failed in a refused transaction, sorted."""
    return sorted(name.removeprefix("stock ") for name in refused.failed if name.startswith("stock "))


def _units(n: int) -> dict[str, Any]:
    if type(n) is not int or n < 1:
        raise ValueError(f"a stock move is of at least one unit, not {n!r}")
    return {":n": {"N": str(n)}}


def reserve_stock(transaction: DynamoDBTransaction, product_id: str, sku: str, n: int) -> None:
    """Promise `n` units of `sku` to an exchange, if that many are available.

    One item per SKU in a transaction: add up the units of every line exchanged for the same SKU."""
    transaction.update(
        stock_item(sku), variant_key(product_id, sku),
        "SET #available = #available - :n, #reserved = #reserved + :n",
        condition="#available >= :n", names=_counts("available", "reserved"), values=_units(n),
    )


def release_stock(transaction: DynamoDBTransaction, product_id: str, sku: str, n: int) -> None:
    """Give back `n` promised units of `sku` (the exchange will not happen)."""
    transaction.update(
        stock_item(sku), variant_key(product_id, sku),
        "SET #available = #available + :n, #reserved = #reserved - :n",
        condition="#reserved >= :n", names=_counts("available", "reserved"), values=_units(n),
    )


def fulfil_stock(transaction: DynamoDBTransaction, product_id: str, sku: str, n: int) -> None:
    """The exchange order takes `n` promised units of `sku` off the shelf (available is unchanged).

    Refused when fewer are on hand: the store lowered stock under what was promised."""
    transaction.update(
        stock_item(sku), variant_key(product_id, sku),
        "SET #reserved = #reserved - :n, #stock = #stock - :n",
        condition="#reserved >= :n AND #stock >= :n", names=_counts("reserved", "stock"), values=_units(n),
    )


class DynamoDBProductCatalog:
    """ProductCatalog on DynamoDB (services/ports/catalog.py)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, product_id: str, *, consistent: bool = False) -> Product | None:
        read = self._read(product_id, consistent=consistent)
        return None if read is None else read[0]

    def get_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        # One Query per distinct product (a lookup names a handful), never a Scan.
        found: dict[str, Product] = {}
        for product_id in dict.fromkeys(product_ids):
            product = self.get(product_id)
            if product is not None:
                found[product_id] = product
        return found

    def stock_levels(self, product_id: str) -> tuple[Product, dict[str, StockLevel]] | None:
        read = self._read(product_id, consistent=True)
        if read is None:
            return None
        product, records = read
        return product, {
            sku: StockLevel(stock=r["stock"], reserved=r["reserved"], available=max(0, r["available"]))
            for sku, r in records.items()
        }

    def put(self, product: Product) -> tuple[Product, bool]:
        for _ in range(_ATTEMPTS):
            read = self._read(product.product_id, consistent=True)
            current, records = (None, {}) if read is None else read
            if current is not None and _same(current, records, product):
                return current, False
            transaction = self._replace(product, current, records)
            try:
                transaction.commit()
            except TransactionRefusedError as refused:
                reserved = sorted(n.removeprefix("remove ") for n in refused.failed if n.startswith("remove "))
                if reserved:
                    raise _variant_reserved(reserved[0]) from refused
                # Another PUT of this product (or a stock move on one of its variants) met ours:
                # read again and replace what is there now.
                continue
            version = 1 if current is None else current.version + 1
            stored = Product(product.product_id, product.title, product.variants, product.currency, version)
            # Read back as `get` answers: each variant's stock is what is available.
            return self.get(product.product_id, consistent=True) or stored, current is None
        raise StaleWriteError(f"product {product.product_id} is being changed by someone else; send it again")

    def _replace(self, product: Product, current: Product | None,
                 records: dict[str, dict[str, Any]]) -> DynamoDBTransaction:
        transaction = DynamoDBTransaction(self._client, self._table)
        version = 0 if current is None else current.version
        header = to_item({
            "pk": product_partition(product.product_id), "sk": "PRODUCT", "entity": "product",
            "product_id": product.product_id, "title": product.title, "currency": product.currency,
            "version": version + 1, "skus": [v.sku for v in product.variants],
        })
        if current is None:
            transaction.put("product", header, condition="attribute_not_exists(pk)")
        else:
            transaction.put("product", header, condition="version = :expected",
                            values={":expected": {"N": str(version)}})
        for variant in product.variants:
            record = records.get(variant.sku)
            if record is None:
                transaction.put(f"variant {variant.sku}", to_item({
                    "pk": product_partition(product.product_id), "sk": f"VARIANT#{variant.sku}",
                    "entity": "variant", "product_id": product.product_id, "sku": variant.sku,
                    "options": [list(pair) for pair in variant.options], "price": variant.price,
                    "stock": variant.stock, "reserved": 0, "available": variant.stock,
                }), condition="attribute_not_exists(pk)")
            elif not _same_variant(record, variant):
                # The store's count replaces stock; what is promised stays promised.
                transaction.update(
                    f"variant {variant.sku}", variant_key(product.product_id, variant.sku),
                    "SET #options = :options, #price = :price, #stock = :stock, #available = :stock - #reserved",
                    condition="attribute_exists(pk)",
                    names=_counts("options", "price", "stock", "available", "reserved"),
                    values={":options": to_attribute([list(pair) for pair in variant.options]),
                            ":price": {"N": str(variant.price)}, ":stock": {"N": str(variant.stock)}},
                )
        kept = {v.sku for v in product.variants}
        for sku, record in records.items():
            if sku in kept:
                continue
            if record["reserved"] > 0:
                raise _variant_reserved(sku)
            transaction.delete(f"remove {sku}", variant_key(product.product_id, sku),
                               condition="#reserved = :zero", names={"#reserved": "reserved"},
                               values={":zero": {"N": "0"}})
        if len(transaction) > _MAX_TRANSACTION_ITEMS:
            raise ValidationError(
                f"variants: this change touches {len(transaction) - 1} variants at once; at most "
                f"{_MAX_TRANSACTION_ITEMS - 1} may change in one call (remove old variants first)",
                fields=("variants",),
            )
        return transaction

    def _read(self, product_id: str, *, consistent: bool) -> tuple[Product, dict[str, dict[str, Any]]] | None:
        """The product (variants' stock = available) and its VARIANT records by SKU; one Query."""
        if not 0 < len(product_id) <= _MAX_ID:
            # No product has such an id (the domain's rule), and a key that long is DynamoDB's error.
            return None
        records = query_all(self._client, {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": product_partition(product_id)}},
            "ConsistentRead": consistent,
        })
        header = next((r for r in records if r["sk"] == "PRODUCT"), None)
        if header is None:
            return None
        variants = {r["sku"]: r for r in records if r["sk"].startswith("VARIANT#")}
        product = Product(
            product_id=header["product_id"], title=header["title"],
            variants=tuple(_variant(variants[sku]) for sku in header["skus"] if sku in variants),
            currency=header.get("currency"), version=header["version"],
        )
        return product, variants


def _variant(record: dict[str, Any]) -> Variant:
    return Variant(sku=record["sku"], options=tuple((n, v) for n, v in record["options"]),
                   price=record["price"], stock=max(0, record["available"]))


def _same_variant(record: dict[str, Any], variant: Variant) -> bool:
    return (tuple((n, v) for n, v in record["options"]) == variant.options
            and record["price"] == variant.price and record["stock"] == variant.stock)


def _same(current: Product, records: dict[str, dict[str, Any]], product: Product) -> bool:
    """True when `product` is what is stored already (stock compared with the stored on-hand count)."""
    return (current.title == product.title and current.currency == product.currency
            and set(records) == {v.sku for v in product.variants}
            and [v.sku for v in current.variants] == [v.sku for v in product.variants]
            and all(_same_variant(records[v.sku], v) for v in product.variants))


def _variant_reserved(sku: str) -> ConflictError:
    return ConflictError(
        f"variants: {sku!r} has units reserved for open exchanges and cannot be removed; "
        f"keep it (with stock 0 to sell no more)", code="variant_reserved", fields=("variants",),
    )
