"""The product document of the admin API (docs/exchanges.md, "Catalog"), in and out."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from ...domain.catalog import MAX_OPTIONS, MAX_PRICE, MAX_STOCK, MAX_VARIANTS, Product, Variant, options_of
from ...domain.currency import is_known_currency
from ...services.manage_catalog import StockedProduct

Identifier = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")]
OptionName = Annotated[str, Field(min_length=1, max_length=40)]
OptionValue = Annotated[str, Field(min_length=1, max_length=60)]
# A variant's options, in the store's order: {"size": "M", "colour": "navy"}.
Options = Annotated[dict[OptionName, OptionValue], Field(max_length=MAX_OPTIONS)]


def _currency(code: str) -> str:
    if not is_known_currency(code):
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class VariantIn(_Strict):
    sku: Identifier
    options: Options = {}
    price: Annotated[StrictInt, Field(ge=0, le=MAX_PRICE)]
    stock: Annotated[StrictInt, Field(ge=0, le=MAX_STOCK)]


class ProductIn(_Strict):
    """A product as the store sends it; prices in minor units of `currency` (or of the order)."""

    product_id: Identifier
    title: Annotated[str, Field(min_length=1, max_length=200)]
    currency: Annotated[str, AfterValidator(_currency)] | None = None
    variants: Annotated[list[VariantIn], Field(min_length=1, max_length=MAX_VARIANTS)]

    def to_domain(self) -> Product:
        """The domain Product (ValidationError naming the fields when SKUs or options clash)."""
        return Product(
            product_id=self.product_id, title=self.title, currency=self.currency,
            variants=tuple(
                Variant(sku=v.sku, options=options_of(v.options), price=v.price, stock=v.stock)
                for v in self.variants
            ),
        )


def product_to_json(stocked: StockedProduct) -> dict[str, Any]:
    """The product in the shape that sends it, each variant with `stock` (on hand), `reserved`
    (promised to open exchanges) and `available` (what may still be promised), plus its version."""
    product = stocked.product
    return {
        "product_id": product.product_id,
        "title": product.title,
        "currency": product.currency,
        "variants": [
            {
                "sku": v.sku, "options": dict(v.options), "price": v.price,
                "stock": stocked.levels[v.sku].stock, "reserved": stocked.levels[v.sku].reserved,
                "available": stocked.levels[v.sku].available,
            }
            for v in product.variants
        ],
        "version": product.version,
    }
