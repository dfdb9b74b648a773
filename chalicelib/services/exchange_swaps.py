"""Use case: the variants an exchange swaps, named for the pages (what goes back, what comes instead)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..domain.order import Order
from ..domain.quote import Quote
from .ports.catalog import ProductCatalog


class ExchangeSwapsDeps(Protocol):
    """What naming an exchange's variants needs."""

    @property
    def catalog(self) -> ProductCatalog: ...


@dataclass(frozen=True, slots=True)
class Swap:
    """One exchanged line in words: the options of the variant sent back and of its replacement."""

    sent_back: tuple[tuple[str, str], ...]
    replacement: tuple[tuple[str, str], ...]
    sent_back_sku: str
    replacement_sku: str


def exchange_swaps(deps: ExchangeSwapsDeps, order: Order, priced: Quote) -> dict[str, Swap]:
    """The variants an exchange's lines swap, by line id ({} unless `priced` is an exchange).

    The replacement's options come from the catalog (its SKU alone when the store removed it).
    """
    if not priced.is_exchange:
        return {}
    lines = {line.id: line for line in order.lines}
    product_ids = sorted({lines[q.line_id].product_id for q in priced.lines
                          if q.line_id in lines and lines[q.line_id].product_id})
    products = deps.catalog.get_many(product_ids) if product_ids else {}
    swaps: dict[str, Swap] = {}
    for quoted in priced.lines:
        line = lines.get(quoted.line_id)
        if line is None or not quoted.exchange_for:
            continue
        product = products.get(line.product_id)
        sold = product.variant(line.sku) if product is not None else None
        replacement = product.variant(quoted.exchange_for) if product is not None else None
        swaps[line.id] = Swap(
            sent_back=line.options or (sold.options if sold is not None else ()),
            replacement=replacement.options if replacement is not None else (),
            sent_back_sku=line.sku, replacement_sku=quoted.exchange_for,
        )
    return swaps
