"""`POST /webhooks/stripe`: events verified on the raw body with the stripe library, applied once."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe
from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from ..domain.errors import ValidationError
from ..domain.order import Order
from ..services.handle_stripe_event import handle_stripe_event
from .errors import route
from .schemas.base import parse
from .schemas.orders import OrderIn

log = logging.getLogger("retour.webhooks")

stripe_webhooks = Blueprint(__name__)

# stripe's check refuses old timestamps only; a signature dated in the future is refused here.
FUTURE_SKEW_SECONDS = 60
# Stripe's default tolerance for a delivery's age.
TOLERANCE_SECONDS = 300
# A Unix time past this is no date (datetime stops at year 9999); the schema refuses it as it came.
_YEAR_10000 = 253402300800


def verified_event(raw_body: bytes | str, signature: str | None, secret: str, *, now: float) -> dict[str, Any]:
    """The event of a genuine, recent delivery; ValidationError (400) otherwise."""
    try:
        text = raw_body.decode("utf-8") if isinstance(raw_body, bytes) else raw_body
        stripe.WebhookSignature.verify_header(text, signature, secret, TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError, IndexError) as error:
        raise ValidationError("the Stripe signature is not valid", code="bad_signature") from error
    timestamp = _timestamp(signature or "")
    if timestamp is None or timestamp > now + FUTURE_SKEW_SECONDS:
        raise ValidationError("the Stripe signature is dated in the future", code="bad_signature")
    try:
        event = json.loads(raw_body)
    except ValueError as error:
        raise ValidationError("the event is not JSON", code="bad_event") from error
    if not isinstance(event, dict):
        raise ValidationError("the event is not a JSON object", code="bad_event")
    return event


def _timestamp(header: str) -> int | None:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def order_from_checkout(session: Mapping[str, Any]) -> Order | None:
    """The order a paid Checkout Session describes, held to the admin import's schema.

    None when the session is no order of ours to hold (no PaymentIntent: a subscription or
    setup session) or is not paid yet (`checkout.session.async_payment_succeeded` follows);
    ValidationError, naming every field, when it does not make a valid order document.
    """
    if not session.get("payment_intent") or session.get("payment_status") == "unpaid":
        log.warning("checkout session without a paid PaymentIntent", extra={"session": session.get("id")})
        return None
    return parse(OrderIn, checkout_order_document(session)).to_domain()


def checkout_order_document(session: Mapping[str, Any]) -> dict[str, Any]:
    """The admin API's order document for a Checkout Session (its `line_items` expanded).

    The storefront puts `order_number` (and `locale`) in the session's metadata. Values are
    passed on as Stripe sent them, so the schema judges them exactly as it judges the admin API's.
    """
    metadata = _mapping(session.get("metadata"))
    details = _mapping(session.get("customer_details"))
    # Where the goods went (returns start from there); older API versions put it at the top.
    shipping = _mapping(_mapping(session.get("collected_information")).get("shipping_details")) or _mapping(
        session.get("shipping_details")
    )
    address = _mapping(shipping.get("address")) or _mapping(details.get("address"))
    name = shipping.get("name") or details.get("name")
    currency = session.get("currency")
    created = session.get("created")
    items = _mapping(session.get("line_items")).get("data")
    lines = []
    for k, each in enumerate(items if isinstance(items, list) else [], start=1):
        item = _mapping(each)
        price = _mapping(item.get("price"))
        lines.append({
            "id": f"L{k}", "sku": price.get("id") or item.get("id"), "title": item.get("description"),
            "quantity": item.get("quantity"), "unit_price": price.get("unit_amount"),
            "tax": item.get("amount_tax") or 0, "discount": item.get("amount_discount") or 0,
            **_catalog_fields(price),
        })
    return {
        "number": metadata.get("order_number") or session.get("id"),
        "email": details.get("email"),
        "customer_name": name,
        "locale": metadata.get("locale") or "en",
        "currency": currency.upper() if isinstance(currency, str) else currency,
        "placed_at": (
            datetime.fromtimestamp(created, tz=UTC).isoformat()
            if type(created) is int and 0 <= created < _YEAR_10000 else created
        ),
        "shipping_address": {
            "name": name, "line1": address.get("line1"), "line2": address.get("line2") or "",
            "city": address.get("city"), "region": address.get("state") or "",
            "postal_code": address.get("postal_code") or "", "country": address.get("country"),
        },
        "payment": {"provider": "stripe", "payment_intent": session.get("payment_intent")},
        "shipping_total": _mapping(session.get("shipping_cost")).get("amount_total") or 0,
        "lines": lines,
    }


# Metadata on a Stripe Price (or its Product) naming the variant's options: "size=M;colour=navy".
OPTIONS_METADATA = "retour_options"


def _catalog_fields(price: Mapping[str, Any]) -> dict[str, Any]:
    """The line's catalog product (the Price's `product`, an id or the expanded Product) and the
    variant's options from `retour_options` in the Price's metadata, else the Product's; {} when
    the Price names no product."""
    product = price.get("product")
    expanded = _mapping(product)
    product_id = expanded.get("id") if expanded else product
    if not isinstance(product_id, str) or not product_id:
        return {}
    text = _mapping(price.get("metadata")).get(OPTIONS_METADATA) or _mapping(expanded.get("metadata")).get(
        OPTIONS_METADATA)
    options: dict[str, str] = {}
    for pair in text.split(";") if isinstance(text, str) else []:
        name, equals, value = pair.partition("=")
        if equals:
            # Judged by the order schema as the admin API's options are (names, lengths, at most 3).
            options[name.strip()] = value.strip()
    return {"product_id": product_id, "options": options}


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@route(stripe_webhooks, "/webhooks/stripe", methods=["POST"], content_types=["application/json"])
def post_stripe_event() -> Response:
    """Verify, deduplicate and apply one Stripe event: 200, or 400 with nothing changed."""
    request = stripe_webhooks.current_request
    deps = get_deps()
    event = verified_event(
        request.raw_body, request.headers.get("stripe-signature"), deps.stripe_webhook_secret(), now=time.time()
    )
    outcome = handle_stripe_event(deps, event, order_from_checkout=order_from_checkout)
    log.info("stripe event", extra={"event_id": event.get("id"), "type": event.get("type"), "outcome": outcome})
    return Response(body={"received": True, "outcome": outcome}, headers={"Content-Type": "application/json"})
