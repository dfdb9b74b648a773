"""The demo store's catalog: the products of demo order 1090's lines, with their stock, so an
exchange can be walked to every kind of sibling (same price, cheaper, dearer, last unit, sold out)."""

from __future__ import annotations

from typing import Any


def _variant(sku: str, options: dict[str, str], price: int, stock: int) -> dict[str, Any]:
    return {"sku": sku, "options": options, "price": price, "stock": stock}


def demo_products() -> list[dict[str, Any]]:
    """Admin API product bodies (PUT /api/v1/admin/products/{product_id}), prices in EUR cents."""
    return [
        {
            "product_id": "tee-classic", "title": "Classic organic tee", "currency": "EUR",
            "variants": [
                _variant("TEE-CLASSIC-XS", {"size": "XS"}, 2400, 4),  # cheaper
                _variant("TEE-CLASSIC-S", {"size": "S"}, 2900, 6),    # same price, in stock
                _variant("TEE-CLASSIC-M", {"size": "M"}, 2900, 5),    # what order 1090 bought
                _variant("TEE-CLASSIC-L", {"size": "L"}, 3400, 3),    # dearer
                _variant("TEE-CLASSIC-XL", {"size": "XL"}, 2900, 1),  # the last unit
                _variant("TEE-CLASSIC-XXL", {"size": "XXL"}, 2900, 0),  # sold out
            ],
        },
        {
            "product_id": "socks-merino", "title": "Merino socks", "currency": "EUR",
            "variants": [
                _variant("SOCKS-MERINO-GRY", {"colour": "grey"}, 1200, 10),
                _variant("SOCKS-MERINO-NVY", {"colour": "navy"}, 1200, 8),
            ],
        },
    ]
