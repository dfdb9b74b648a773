"""Exchanges: which variants a returned line may become, and what the swap costs or pays back.

An exchange sends the shopper another variant of the product a line was sold as (another size or
colour) instead of money back. The policy's `exchanges` says which: none ("off"), those at the
returned variant's price ("same_price"), or any in stock ("any_price").

The price difference compares list prices, unit for unit: the replacement's catalog price against
the returned variant's (its catalog price, or the line's unit price when the catalog no longer
has it). A discount the shopper had on the line stays theirs: swapping a discounted M for an L of
the same price is even. Dearer: the shopper pays the difference before the exchange is
confirmed. Cheaper: the difference is refunded like any refund, never more than the units were
paid (domain/quote.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Product, Variant
from .errors import ConflictError, ValidationError
from .money import Money
from .order import OrderLine
from .policy import Policy


class OutOfStockError(ConflictError):
    """The chosen variant has no unit left to promise; `available` lists what still has."""

    code = "out_of_stock"

    def __init__(self, message: str, *, sku: str, available: tuple[ExchangeOption, ...] = ()) -> None:
        super().__init__(message)
        self.sku = sku
        self.available = available


class ExchangeStockGoneError(ConflictError):
    """A move that makes the replacement order was refused: the store lowered the variant's stock
    under what was promised (`skus`). Nothing was written; the caller falls back per the policy's
    `exchange_out_of_stock`."""

    code = "exchange_stock_gone"

    def __init__(self, message: str, *, skus: tuple[str, ...]) -> None:
        super().__init__(message)
        self.skus = skus


@dataclass(frozen=True, slots=True)
class ExchangeOption:
    """A variant a line may be exchanged for: its SKU, options, unit price and the difference per
    unit against the returned variant (positive: the shopper pays)."""

    sku: str
    options: tuple[tuple[str, str], ...]
    unit_price: Money
    difference: Money
    available: int

    def options_text(self) -> str:
        return ", ".join(value for _, value in self.options)


@dataclass(frozen=True, slots=True)
class ExchangeChoice:
    """The replacement the shopper chose for one line (priced at the time of the request)."""

    line_id: str
    product_id: str
    sku: str
    options: tuple[tuple[str, str], ...]
    unit_price: Money
    # The returned variant's list price per unit: what the difference is measured against.
    returned_unit_price: Money


def returned_unit_price(line: OrderLine, product: Product | None, currency: str) -> Money:
    """The returned variant's list price per unit: the catalog's, else what the line sold at."""
    variant = product.variant(line.sku) if product is not None else None
    price = product.price_of(variant, currency) if product is not None and variant is not None else None
    return price if price is not None else line.unit_price


def exchange_options(line: OrderLine, product: Product | None, policy: Policy, currency: str,
                     *, in_stock_only: bool = True) -> tuple[ExchangeOption, ...]:
    """The variants `line` may be exchanged for under `policy` (in stock unless told otherwise).

    Other variants of the line's product, priced in the order's currency, allowed by the
    policy's price rule; the variant sold is never its own exchange. `Variant.stock` is what the
    catalog can still promise.
    """
    if policy.exchanges == "off" or product is None or not line.product_id or product.product_id != line.product_id:
        return ()
    returned = returned_unit_price(line, product, currency)
    sold_as = tuple(sorted(line.options))
    options: list[ExchangeOption] = []
    for variant in product.variants:
        if variant.sku == line.sku or (sold_as and tuple(sorted(variant.options)) == sold_as):
            continue
        price = product.price_of(variant, currency)
        if price is None or (in_stock_only and variant.stock <= 0):
            continue
        if policy.exchanges == "same_price" and price != returned:
            continue
        options.append(ExchangeOption(variant.sku, variant.options, price, price - returned, variant.stock))
    return tuple(options)


def choose_exchange(line: OrderLine, product: Product | None, policy: Policy, currency: str, *,
                    sku: str, quantity: int) -> ExchangeChoice:
    """The exchange of `quantity` units of `line` for variant `sku`, checked against the policy and stock.

    ValidationError when `sku` is not an exchange this line offers at all; OutOfStockError (naming
    what is available) when it is, but has fewer than `quantity` units left to promise.
    """
    about = f"line {line.id!r}: "
    offered = exchange_options(line, product, policy, currency, in_stock_only=False)
    option = next((o for o in offered if o.sku == sku), None)
    if option is None or product is None:
        raise ValidationError(f"{about}{sku!r} is not a variant this line can be exchanged for",
                              fields=("exchange_for",))
    if option.available < quantity:
        in_stock = tuple(o for o in offered if o.available >= quantity)
        names = "; ".join(f"{o.sku} ({o.options_text()})" for o in in_stock) or "none"
        raise OutOfStockError(
            f"{about}{sku} ({option.options_text()}) is out of stock; available: {names}",
            sku=sku, available=in_stock)
    return ExchangeChoice(line_id=line.id, product_id=product.product_id, sku=option.sku, options=option.options,
                          unit_price=option.unit_price, returned_unit_price=option.unit_price - option.difference)


def variant_label(variant: Variant) -> str:
    """A variant as a shopper reads it: its option values, else its SKU."""
    return variant.options_text() or variant.sku
