"""ProductCatalog in a dict, with the same rules as DynamoDBProductCatalog (tests, benchmarks).

The DynamoDB adapter's stock moves ride in the returns repository's transaction; here they are
methods (`reserve`, `release`, `fulfil`) that an in-memory returns repository calls under its own
lock, each refused with ConflictError `out_of_stock` / `stock_moved` when its condition fails.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..domain.catalog import Product
from ..domain.errors import ConflictError
from ..services.ports.catalog import StockLevel


@dataclass
class _Counts:
    stock: int
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.stock - self.reserved


class InMemoryProductCatalog:
    """ProductCatalog in memory; `Variant.stock` of a product read here is its available units."""

    def __init__(self) -> None:
        self._products: dict[str, Product] = {}
        self._counts: dict[tuple[str, str], _Counts] = {}
        self._lock = threading.Lock()

    def put(self, product: Product) -> tuple[Product, bool]:
        with self._lock:
            current = self._products.get(product.product_id)
            kept = {v.sku for v in product.variants}
            if current is not None:
                for old in current.variants:
                    if old.sku not in kept and self._counts[(product.product_id, old.sku)].reserved > 0:
                        raise ConflictError(
                            f"variants: {old.sku!r} has units reserved for open exchanges and cannot be "
                            f"removed; keep it (with stock 0 to sell no more)",
                            code="variant_reserved", fields=("variants",),
                        )
                if _shape(current) == _shape(product) and all(
                        self._counts[(product.product_id, v.sku)].stock == v.stock for v in product.variants):
                    return self._read(product.product_id), False
                for old in current.variants:
                    if old.sku not in kept:
                        del self._counts[(product.product_id, old.sku)]
            for variant in product.variants:
                counts = self._counts.setdefault((product.product_id, variant.sku), _Counts(stock=0))
                counts.stock = variant.stock
            version = 1 if current is None else current.version + 1
            self._products[product.product_id] = replace(product, version=version)
            return self._read(product.product_id), current is None

    def get(self, product_id: str, *, consistent: bool = False) -> Product | None:
        with self._lock:
            return self._read(product_id) if product_id in self._products else None

    def get_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        found = {product_id: self.get(product_id) for product_id in dict.fromkeys(product_ids)}
        return {product_id: product for product_id, product in found.items() if product is not None}

    def stock_levels(self, product_id: str) -> tuple[Product, dict[str, StockLevel]] | None:
        with self._lock:
            if product_id not in self._products:
                return None
            product = self._read(product_id)
            return product, {
                v.sku: StockLevel(c.stock, c.reserved, max(0, c.available))
                for v in product.variants for c in [self._counts[(product_id, v.sku)]]
            }

    def reserve(self, product_id: str, sku: str, n: int) -> None:
        """Promise `n` units if that many are available; ConflictError `out_of_stock` otherwise."""
        with self._lock:
            counts = self._counts.get((product_id, sku))
            if counts is None or counts.available < n:
                raise ConflictError(f"{sku!r}: not enough units available", code="out_of_stock", fields=(sku,))
            counts.reserved += n

    def release(self, product_id: str, sku: str, n: int) -> None:
        """Give back `n` promised units; ConflictError `stock_moved` when fewer are reserved."""
        with self._lock:
            counts = self._counts.get((product_id, sku))
            if counts is None or counts.reserved < n:
                raise ConflictError(f"{sku!r}: fewer units reserved", code="stock_moved", fields=(sku,))
            counts.reserved -= n

    def fulfil(self, product_id: str, sku: str, n: int) -> None:
        """The exchange order takes `n` promised units; ConflictError `out_of_stock` when fewer
        are on hand (the store lowered stock under what was promised) or reserved."""
        with self._lock:
            counts = self._counts.get((product_id, sku))
            if counts is None or counts.reserved < n or counts.stock < n:
                raise ConflictError(f"{sku!r}: not enough units on hand", code="out_of_stock", fields=(sku,))
            counts.reserved -= n
            counts.stock -= n

    def _read(self, product_id: str) -> Product:
        product = self._products[product_id]
        return replace(product, variants=tuple(
            replace(v, stock=max(0, self._counts[(product_id, v.sku)].available)) for v in product.variants))


def _shape(product: Product) -> tuple[object, ...]:
    """What a PUT replaces besides stock (compared with the on-hand counts, as DynamoDB does)."""
    return (product.title, product.currency, tuple((v.sku, v.options, v.price) for v in product.variants))
