"""Builders of JSON documents as stores and shoppers send them to the API."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
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


def days_ago(days: float) -> str:
    """The moment `days` before now, as the API writes moments (UTC, to the second)."""
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def an_order_document(**overrides: Any) -> dict[str, Any]:
    """The order body of PRODUCT.md (JPY, Japanese shopper), with `overrides` applied."""
    document = copy.deepcopy(_ORDER)
    document.update(copy.deepcopy(overrides))
    return document


# PRODUCT.md, "Policy body": the default policy of a new store.
PRODUCT_MD_POLICY: dict[str, Any] = {
    "window_days": 30, "window_starts": "delivered", "exception_grace_days": 30,
    "rules": [{"match": {"product_type": "gift_card"}, "returnable": False}],
    "final_sale_returnable": False,
    "reasons": [{"code": "too_small"}, {"code": "too_large"}, {"code": "changed_mind"},
                {"code": "not_as_described", "requires_note": True},
                {"code": "damaged", "requires_note": True, "waive_fees": True},
                {"code": "wrong_item", "waive_fees": True}],
    "resolutions": {"refund": True, "store_credit": True, "store_credit_bonus_percent": 10},
    "fees": {"restocking_percent": 0, "return_shipping": {}},
    "refund_trigger": "on_receipt", "max_returns_per_customer_90d": 10,
    "merchant_email": "returns@merchant.example", "approval_link_ttl_hours": 168,
}


def a_policy_document(**overrides: Any) -> dict[str, Any]:
    """PRODUCT.md's policy body (the default policy of a new store), with `overrides` applied."""
    document = copy.deepcopy(PRODUCT_MD_POLICY)
    document.update(copy.deepcopy(overrides))
    return document
