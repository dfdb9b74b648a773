"""Use cases: the store sends a product of its catalog, and reads it back with its stock."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.catalog import Product
from ..domain.errors import NotFoundError
from .ports.catalog import ProductCatalog, StockLevel


@dataclass(frozen=True, slots=True)
class StockedProduct:
    """A product as stored, with each SKU's stock, reserved and available units."""

    product: Product
    levels: dict[str, StockLevel]


def put_product(catalog: ProductCatalog, product: Product) -> tuple[StockedProduct, bool]:
    """Create or replace `product`; answer it with its stock and whether it was created.

    ConflictError `variant_reserved` (nothing changed) when a variant left out has units
    promised to open exchanges."""
    _, created = catalog.put(product)
    return read_product(catalog, product.product_id), created


def read_product(catalog: ProductCatalog, product_id: str) -> StockedProduct:
    """The stored product with its stock; NotFoundError `product_not_found` when unknown."""
    read = catalog.stock_levels(product_id)
    if read is None:
        raise NotFoundError(f"there is no product {product_id!r}", code="product_not_found")
    return StockedProduct(*read)
