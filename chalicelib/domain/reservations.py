"""Line reservations: the units of each order line that returns hold, and how a return moves them.

Every unit a return asks for is reserved on its order line when the return is created, so two
returns can never take the same unit. The return's moves then change those counts: the parcel's
arrival counts its units as returned (they stay reserved, so never returnable again), and a
return that closes without its parcel (rejected, cancelled, expired) releases its units.

The aggregate (ReturnRequest) decides these changes; the repositories only persist them, each
in the same write as the return itself (docs/data-model.md, "line reservation").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Reserve:
    """Hold `quantity` more units of line `line_id`, never above the line's `line_quantity`."""

    line_id: str
    quantity: int
    # The order's units on the line: the ceiling of everything reserved on it.
    line_quantity: int


@dataclass(frozen=True, slots=True)
class CountReturned:
    """The parcel arrived: `quantity` reserved units of `line_id` count as returned.

    `released`: units of the line the parcel did not hold (a partial receipt), given back.
    """

    line_id: str
    quantity: int
    released: int = 0


@dataclass(frozen=True, slots=True)
class Release:
    """The return closed without its parcel: give `quantity` units of `line_id` back."""

    line_id: str
    quantity: int


# Stock of the catalog's variants that exchanges promise (domain/exchange.py): reserved when the
# exchange is requested, fulfilled when its replacement order is made, released when the return
# closes without it. Persisted in the same write as the return (docs/data-model.md, "variant").


@dataclass(frozen=True, slots=True)
class StockReserve:
    """Promise `quantity` units of variant `sku` of `product_id` (never more than it has)."""

    product_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class StockFulfil:
    """The replacement order takes `quantity` promised units of `sku` off the shelf."""

    product_id: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class StockRelease:
    """The exchange will not happen: give `quantity` promised units of `sku` back."""

    product_id: str
    sku: str
    quantity: int


StockChange = StockReserve | StockFulfil | StockRelease


@dataclass(frozen=True, slots=True)
class ReturnedUnits:
    """Units of each line of one order already returned, and still in open returns."""

    returned: Mapping[str, int] = field(default_factory=dict)
    in_open_returns: Mapping[str, int] = field(default_factory=dict)
