"""Builders of domain objects: a valid order by default, so a test states only what it cares about."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.money import Money
from chalicelib.domain.order import Address, Order, OrderLine, Payment

PLACED_AT = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
DELIVERED_AT = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)

_MONEY_FIELDS = ("unit_price", "tax", "discount", "shipping_total")


def _with_money(currency: str, fields: dict[str, Any]) -> dict[str, Any]:
    # Builders take plain ints for amounts: minor units in the builder's currency.
    return {
        name: Money(value, currency) if name in _MONEY_FIELDS and isinstance(value, int) else value
        for name, value in fields.items()
    }


def a_line(*, currency: str = "JPY", **overrides: Any) -> OrderLine:
    """Two organic tees at 3300 with 600 tax and no discount (PRODUCT.md's line), in `currency`.

    Amount overrides may be ints (minor units in `currency`) or Money (to put one amount in
    another currency).
    """
    fields: dict[str, Any] = {
        "id": "L1", "sku": "TEE-NAVY-M", "title": "Organic tee — navy, M", "quantity": 2,
        "unit_price": 3300, "tax": 600, "discount": 0, "product_type": "apparel",
        "tags": (), "final_sale": False,
    }
    fields.update(overrides)
    return OrderLine(**_with_money(currency, fields))


def an_order(
    *, currency: str = "JPY", lines: Iterable[OrderLine] | None = None, **overrides: Any
) -> Order:
    """PRODUCT.md's order 1001 (a Japanese shopper, one line, 600 shipping), in `currency`.

    `shipping_total` may be an int (minor units in `currency`); `lines` defaults to one `a_line`
    in the same currency.
    """
    fields: dict[str, Any] = {
        "number": "1001", "email": "aiko@example.jp", "customer_name": "山田 愛子", "locale": "ja",
        "currency": currency, "placed_at": PLACED_AT, "delivered_at": DELIVERED_AT,
        "shipping_address": Address(
            name="山田 愛子", line1="1-2-3 Jingumae", city="Shibuya-ku", postal_code="150-0001",
            country="JP", region="Tokyo",
        ),
        "payment": Payment(provider="stripe", payment_intent="pi_3Test1001"),
        "shipping_total": 600,
        "lines": tuple(lines) if lines is not None else (a_line(currency=currency),),
    }
    fields.update(overrides)
    return Order(**_with_money(currency, fields))
