"""Seeds the demo store: each demo order paid on the local Stripe, then imported as the admin API would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from chalicelib.bootstrap import build_deps
from chalicelib.services.import_order import import_order
from chalicelib.settings import Settings
from chalicelib.web.schemas.orders import OrderIn
from chalicelib.web.schemas.products import ProductIn

from .demo_orders import demo_orders, order_total
from .demo_products import demo_products
from .payments import pay


@dataclass(frozen=True, slots=True)
class SeededOrder:
    """A demo order as the banner lists it, and whether this run created it."""

    number: str
    email: str
    currency: str
    locale: str
    created: bool


def seed_demo_store(settings: Settings, *, today: date | None = None) -> list[SeededOrder]:
    """Pay for and import every demo order not in the table yet; orders already there are left alone."""
    if not settings.stripe_api_base or not settings.stripe_api_key:
        raise RuntimeError("seeding needs the local Stripe: RETOUR_STRIPE_API_BASE and RETOUR_STRIPE_API_KEY")
    deps = build_deps(settings)
    # The catalog first: a product already there keeps its stock (and what exchanges reserved).
    for product in demo_products():
        if deps.catalog.get(product["product_id"], consistent=True) is None:
            deps.catalog.put(ProductIn.model_validate(product).to_domain())
    seeded: list[SeededOrder] = []
    for body in demo_orders(today or datetime.now(UTC).date()):
        number = body["number"]
        existing = deps.orders.get(number)
        # Skipped before paying, so a second run creates no second PaymentIntent.
        created = existing is None
        if created:
            payment_intent = pay(
                settings.stripe_api_base, settings.stripe_api_key,
                amount=order_total(body), currency=body["currency"],
                description=f"{settings.store_name} order {number}",
                metadata={"order_number": number},
            )
            body = {**body, "payment": {"provider": "stripe", "payment_intent": payment_intent}}
            import_order(deps, OrderIn.model_validate(body).to_domain())
        seeded.append(SeededOrder(
            number=number, email=body["email"], currency=body["currency"],
            locale=body["locale"], created=created,
        ))
    return seeded
