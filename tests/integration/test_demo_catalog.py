"""The demo store's catalog: order 1090's lines find their products, with every kind of sibling."""

from __future__ import annotations

from datetime import UTC, datetime
from chalicelib.bootstrap import build_deps
from chalicelib.settings import Settings
from devstack.seed import seed_demo_store


def test_the_seed_stocks_the_products_demo_order_1090_was_sold_as(
        aws_endpoint: str, stripe_endpoint: str, fresh_table: str) -> None:
    settings = Settings.from_env({
        "RETOUR_STAGE": "local", "RETOUR_TABLE_NAME": fresh_table,
        "RETOUR_AWS_ENDPOINT_URL": aws_endpoint, "RETOUR_STRIPE_API_BASE": stripe_endpoint,
        "RETOUR_STRIPE_API_KEY": "sk_test_local_fake_key_not_a_secret",
    })
    seed_demo_store(settings, today=datetime.now(UTC).date())
    deps = build_deps(settings)
    order = deps.orders.get("1090")
    assert order is not None and order.currency == "EUR"
    products = deps.catalog.get_many(line.product_id for line in order.lines)
    for line in order.lines:
        sold = products[line.product_id].variant(line.sku)
        assert sold is not None and sold.options == line.options and sold.price == line.unit_price.minor
    tee = products["tee-classic"]
    bought = tee.variant("TEE-CLASSIC-M")
    assert bought is not None
    siblings = [v for v in tee.variants if v.sku != bought.sku]
    assert any(v.price == bought.price and v.stock > 1 for v in siblings)
    assert any(v.price < bought.price and v.stock > 0 for v in siblings)
    assert any(v.price > bought.price and v.stock > 0 for v in siblings)
    assert any(v.stock == 1 for v in siblings) and any(v.stock == 0 for v in siblings)
    # Seeding again leaves the catalog as it is (stock promised meanwhile stays promised).
    seed_demo_store(settings)
    again = deps.catalog.get("tee-classic", consistent=True)
    assert again is not None and again.version == 1
