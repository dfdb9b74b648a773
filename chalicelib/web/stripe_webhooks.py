"""`POST /webhooks/stripe`: events verified on the raw body with the stripe library, applied once."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from ..domain.errors import ValidationError
from ..domain.order import Address, Order, OrderLine, Payment
from ..domain.money import Money
from .errors import route

log = logging.getLogger("retour.webhooks")

stripe_webhooks = Blueprint(__name__)

# stripe's check refuses old timestamps only; a signature dated in the future is refused here.
FUTURE_SKEW_SECONDS = 60
# Stripe's default tolerance for a delivery's age.
TOLERANCE_SECONDS = 300


def verified_event(raw_body: bytes | str, signature: str | None, secret: str, *, now: float) -> dict[str, Any]:
    """The event of a genuine, recent delivery; ValidationError (400) otherwise."""
    import stripe

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
    """The order a completed Checkout Session describes (line items expanded in the event).

    The storefront puts `order_number` in the session's metadata and the event's session is
    sent with `line_items` expanded; without them the order cannot be judged, so it is skipped.
    """
    metadata = session.get("metadata") or {}
    items = ((session.get("line_items") or {}).get("data")) or []
    details = session.get("customer_details") or {}
    number = metadata.get("order_number") or session.get("id")
    if not items or not details.get("email") or not session.get("payment_intent"):
        log.warning("checkout session without line items, email or PaymentIntent", extra={"session": session.get("id")})
        return None
    currency = str(session.get("currency", "")).upper()
    address = (details.get("address") or {})
    created = datetime.fromtimestamp(int(session.get("created") or time.time()), tz=UTC)
    lines = []
    for k, item in enumerate(items, start=1):
        quantity = int(item.get("quantity") or 1)
        lines.append(OrderLine(
            id=f"L{k}", sku=str((item.get("price") or {}).get("id") or item.get("id")),
            title=str(item.get("description") or ""), quantity=quantity,
            unit_price=Money(int((item.get("price") or {}).get("unit_amount") or 0), currency),
            tax=Money(int(item.get("amount_tax") or 0), currency),
            discount=Money(int(item.get("amount_discount") or 0), currency),
        ))
    return Order(
        number=str(number), email=str(details["email"]), customer_name=str(details.get("name") or ""),
        locale=str(metadata.get("locale") or "en"), currency=currency, placed_at=created,
        shipping_address=Address(
            name=str(details.get("name") or ""), line1=str(address.get("line1") or ""),
            line2=str(address.get("line2") or ""), city=str(address.get("city") or ""),
            region=str(address.get("state") or ""), postal_code=str(address.get("postal_code") or ""),
            country=str(address.get("country") or ""),
        ),
        payment=Payment(provider="stripe", payment_intent=str(session["payment_intent"])),
        shipping_total=Money(int((session.get("shipping_cost") or {}).get("amount_total") or 0), currency),
        lines=tuple(lines),
    )


@route(stripe_webhooks, "/webhooks/stripe", methods=["POST"], content_types=["application/json"])
def post_stripe_event() -> Response:
    """Verify, deduplicate and apply one Stripe event: 200, or 400 with nothing changed."""
    from ..services.handle_stripe_event import handle_stripe_event  # on use (see admin_api.py)

    request = stripe_webhooks.current_request
    deps = get_deps()
    event = verified_event(
        request.raw_body, request.headers.get("stripe-signature"), deps.stripe_webhook_secret(), now=time.time()
    )
    outcome = handle_stripe_event(deps, event, order_from_checkout=order_from_checkout)
    log.info("stripe event", extra={"event_id": event.get("id"), "type": event.get("type"), "outcome": outcome})
    return Response(body={"received": True, "outcome": outcome}, headers={"Content-Type": "application/json"})
