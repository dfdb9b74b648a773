"""Where the store's catalog of variants and their stock is kept (exchanges, issue 19)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ...domain.catalog import Product


@dataclass(frozen=True, slots=True)
class StockLevel:
    """One variant's counts: `stock` on hand as the store last said it (less what exchange orders
    took since), `reserved` promised to open exchanges, `available` what may still be promised
    (stock - reserved, never below 0 here even when the store lowered stock under what is promised)."""

    stock: int
    reserved: int
    available: int


class ProductCatalog(Protocol):
    """The store's products, each with its variants and their stock.

    In a Product read from here, `Variant.stock` is the variant's AVAILABLE units (what can still
    be promised to a shopper), not the units on hand: `stock_levels` gives all three counts.
    """

    def put(self, product: Product) -> tuple[Product, bool]:
        """Create or replace `product` (its `version` is ignored); answer it as stored and whether
        it was created. Each variant's stock becomes the given count; units reserved for open
        exchanges stay reserved. A variant left out is removed, unless units of it are reserved:
        then ConflictError `variant_reserved` naming its SKU, and nothing changes. Sending the
        stored product again changes nothing (same version)."""
        ...

    def get(self, product_id: str, *, consistent: bool = False) -> Product | None:
        """The product, its variants' `stock` being what is available; None when unknown."""
        ...

    def get_many(self, product_ids: Iterable[str]) -> dict[str, Product]:
        """The known products among `product_ids`, by id (as `get`)."""
        ...

    def stock_levels(self, product_id: str) -> tuple[Product, dict[str, StockLevel]] | None:
        """The product (as `get`, read consistently) and each SKU's stock, reserved and available
        units; None when unknown. For the store's own reads (the admin API)."""
        ...
