"""The store's catalog of variants: what a returned item may be exchanged for.

A product has variants (one per size, colour ...), each with its own SKU, options, price and
stock on hand. Stock is the number of units the store can still promise: an exchange reserves
units when it is requested (the repository moves it with conditional writes only) and gives them
back when the return closes without the exchange.

Prices are in the minor units of the product's `currency`; a product without one is priced in
the currency of whichever order it is compared with (a single-currency store need not say it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .currency import is_known_currency
from .errors import ValidationError
from .money import Money

MAX_VARIANTS = 100
MAX_OPTIONS = 3
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$")
# A product's whole stock: a price or a count above this is a typing mistake, not a catalog.
MAX_PRICE = 10**12
MAX_STOCK = 10**6


@dataclass(frozen=True, slots=True)
class Variant:
    """One variant of a product: its SKU, options (`(("size", "M"), ("colour", "navy"))`),
    unit price in minor units and units on hand."""

    sku: str
    options: tuple[tuple[str, str], ...]
    price: int
    stock: int

    @property
    def option_map(self) -> dict[str, str]:
        return dict(self.options)

    def options_text(self, separator: str = ", ") -> str:
        """The options as people read them: "M, navy" (values only, in the store's order)."""
        return separator.join(value for _, value in self.options)


@dataclass(frozen=True, slots=True)
class Product:
    """A product and its variants, as the store's catalog holds it; `version` counts revisions."""

    product_id: str
    title: str
    variants: tuple[Variant, ...]
    currency: str | None = None
    version: int = 0

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not _ID.match(self.product_id):
            problems.append("product_id")
        if not self.title.strip() or len(self.title) > 200:
            problems.append("title")
        if self.currency is not None and not is_known_currency(self.currency):
            problems.append("currency")
        if not 1 <= len(self.variants) <= MAX_VARIANTS:
            problems.append("variants")
        skus: set[str] = set()
        shapes: set[tuple[str, ...]] = set()
        combos: set[tuple[tuple[str, str], ...]] = set()
        for k, variant in enumerate(self.variants):
            where = f"variants[{k}]"
            if not _ID.match(variant.sku) or variant.sku in skus:
                problems.append(f"{where}.sku")
            skus.add(variant.sku)
            names = tuple(name for name, _ in variant.options)
            if (len(variant.options) > MAX_OPTIONS or len(set(names)) != len(names)
                    or any(not n.strip() or not v.strip() or len(n) > 40 or len(v) > 60 for n, v in variant.options)):
                problems.append(f"{where}.options")
            shapes.add(tuple(sorted(names)))
            combo = tuple(sorted(variant.options))
            if combo in combos:
                problems.append(f"{where}.options")
            combos.add(combo)
            if type(variant.price) is not int or not 0 <= variant.price <= MAX_PRICE:
                problems.append(f"{where}.price")
            if type(variant.stock) is not int or not 0 <= variant.stock <= MAX_STOCK:
                problems.append(f"{where}.stock")
        if len(shapes) > 1:
            # "size" on one variant and "size"+"colour" on another: no shopper could compare them.
            problems.append("variants.options")
        if problems:
            raise ValidationError("check the product's " + ", ".join(dict.fromkeys(problems)),
                                  fields=tuple(dict.fromkeys(problems)))

    def variant(self, sku: str) -> Variant | None:
        return next((v for v in self.variants if v.sku == sku), None)

    def price_of(self, variant: Variant, currency: str) -> Money | None:
        """The variant's unit price in an order's `currency`; None when the product is priced in another."""
        if self.currency is not None and self.currency != currency:
            return None
        return Money(variant.price, currency)


def options_of(value: Mapping[str, str] | tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Options as the domain keeps them: (name, value) pairs in the order given."""
    pairs = tuple(value.items()) if isinstance(value, Mapping) else tuple(value)
    return tuple((str(n), str(v)) for n, v in pairs)
