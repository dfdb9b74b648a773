"""Builders of JSON documents as stores and shoppers send them to the API."""

from __future__ import annotations

import copy
from typing import Any

_ORDER: dict[str, Any] = {
    "number": "1001",
    "email": "aiko@example.jp",
    "customer_name": "山田 愛子",
    "locale": "ja",
    "currency": "JPY",
    "placed_at": "2026-11-01T10:00:00Z",
    "delivered_at": "2026-11-03T09:00:00Z",
    "shipping_address": {
        "name": "山田 愛子", "line1": "1-2-3 Jingumae", "line2": "", "city": "Shibuya-ku",
        "region": "Tokyo", "postal_code": "150-0001", "country": "JP",
    },
    # Paid outside Stripe: importing it asks Stripe nothing. A test about money pays on the local
    # Stripe and sends that PaymentIntent (tests/functional/test_refunds.py, `paid_order`): an
    # import is refused unless its PaymentIntent captured the order's total in its currency.
    "payment": {"provider": "other", "payment_intent": None},
    "shipping_total": 600,
    "lines": [
        {"id": "L1", "sku": "TEE-NAVY-M", "title": "Organic tee — navy, M", "quantity": 2,
         "unit_price": 3300, "tax": 600, "discount": 0, "product_type": "apparel",
         "tags": [], "final_sale": False},
        {"id": "L2", "sku": "SOCK-3P", "title": "Socks, 3 pairs", "quantity": 1,
         "unit_price": 1500, "tax": 150, "discount": 300, "product_type": "apparel",
         "tags": ["basics"], "final_sale": True},
    ],
}


def an_order_document(**overrides: Any) -> dict[str, Any]:
    """The order body of PRODUCT.md (JPY, Japanese shopper), with `overrides` applied."""
    document = copy.deepcopy(_ORDER)
    document.update(copy.deepcopy(overrides))
    return document
