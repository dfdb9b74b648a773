"""An order is stored only when its Stripe PaymentIntent pays for it (admin import and Checkout),
and a Checkout order passes the admin import's schema; checked against the local Stripe."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from chalice.test import Client

from chalicelib.adapters.stripe_payments import StripePayments
from chalicelib.bootstrap import get_deps
from devstack.payments import pay
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    API_KEY,
    Stripe,
    api,
    money_env,
    policy,
    stripe_state,
)
from tests.functional.test_store_credit_and_webhooks import signed

# an_order_document's total: 2 x 3300 + 600 tax, 1500 - 300 + 150, 600 shipping.
TOTAL_YEN = 9150


def a_number() -> str:
    return f"6{uuid.uuid4().int % 10**7:07d}"


def paid_with(stripe_endpoint: str, amount: int, currency: str, **overrides: Any) -> dict[str, Any]:
    """A fresh order document whose PaymentIntent captured `amount` in `currency` on the local Stripe."""
    number = a_number()
    intent = pay(stripe_endpoint, API_KEY, amount=amount, currency=currency, description=f"order {number}",
                 metadata={"order_number": number})
    return an_order_document(number=number, payment={"provider": "stripe", "payment_intent": intent}, **overrides)


def put(api: Client, document: dict[str, Any]) -> Any:
    return api.http.put(f"/api/v1/admin/orders/{document['number']}", headers=ADMIN, body=json.dumps(document))


def get(api: Client, number: str) -> Any:
    return api.http.get(f"/api/v1/admin/orders/{number}", headers=ADMIN)


def assert_refused(response: Any, code: str) -> None:
    assert response.status_code == 400, response.json_body
    error = response.json_body["error"]
    assert error["code"] == code and error["message"]
    assert "payment.payment_intent" in error["fields"]


# --- the admin import ----------------------------------------------------------------------------


def test_an_order_its_payment_intent_paid_in_full_is_stored(api: Client, stripe_endpoint: str) -> None:
    document = paid_with(stripe_endpoint, TOTAL_YEN, "JPY")
    assert put(api, document).status_code == 201
    stored = get(api, document["number"])
    assert stored.status_code == 200 and stored.json_body["total"] == TOTAL_YEN
    assert stored.json_body["payment"] == document["payment"]


def test_a_yen_order_paid_by_a_dollar_payment_intent_is_refused_and_not_stored(
    api: Client, stripe_endpoint: str
) -> None:
    document = paid_with(stripe_endpoint, TOTAL_YEN, "USD")
    response = put(api, document)
    assert_refused(response, "payment_currency_mismatch")
    assert "JPY" in response.json_body["error"]["message"] and "USD" in response.json_body["error"]["message"]
    assert get(api, document["number"]).status_code == 404


def test_an_order_whose_total_is_above_what_was_captured_is_refused_and_not_stored(
    api: Client, stripe_endpoint: str
) -> None:
    document = paid_with(stripe_endpoint, TOTAL_YEN - 1, "JPY")
    assert_refused(put(api, document), "payment_below_total")
    assert get(api, document["number"]).status_code == 404


def test_an_order_naming_a_payment_intent_stripe_does_not_know_is_refused(api: Client) -> None:
    # Refunds would go to it and fail: such an order could never give money back.
    document = an_order_document(number=a_number(), payment={"provider": "stripe", "payment_intent": "pi_3Test1001"})
    assert_refused(put(api, document), "payment_intent_unknown")
    assert get(api, document["number"]).status_code == 404


def test_a_change_that_raises_the_total_above_the_capture_is_refused_and_the_stored_order_stays(
    api: Client, stripe_endpoint: str
) -> None:
    document = paid_with(stripe_endpoint, TOTAL_YEN, "JPY")
    assert put(api, document).status_code == 201
    more = dict(document, lines=[*document["lines"], {"id": "L3", "sku": "CAP", "title": "Cap", "quantity": 1,
                                                     "unit_price": 2000}])
    assert_refused(put(api, more), "payment_below_total")
    stored = get(api, document["number"]).json_body
    assert (stored["version"], stored["total"], len(stored["lines"])) == (1, TOTAL_YEN, 2)


def test_an_order_paid_outside_stripe_is_stored_without_asking_stripe(api: Client) -> None:
    document = an_order_document(number=a_number(), payment={"provider": "other", "payment_intent": None})
    with stripe_down():
        assert put(api, document).status_code == 201
    assert get(api, document["number"]).status_code == 200


class DownHTTP(stripe.RequestsClient):  # type: ignore[misc]
    """A network on which Stripe never answers."""

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        raise stripe.APIConnectionError("connection refused (injected)")


@contextlib.contextmanager
def stripe_down() -> Iterator[None]:
    """Inside the block, the views' deps talk to a Stripe that never answers."""
    gateway = StripePayments(lambda: API_KEY, api_base="http://127.0.0.1:9", http_client=DownHTTP(),
                             min_interval_seconds=0)
    down = dataclasses.replace(get_deps(), _payments=gateway)
    with pytest.MonkeyPatch.context() as patch:
        for module in ("chalicelib.web.admin_api", "chalicelib.web.stripe_webhooks"):
            patch.setattr(f"{module}.get_deps", lambda: down)
        yield


def test_when_stripe_does_not_answer_the_import_is_a_503_and_nothing_is_stored(
    api: Client, stripe_endpoint: str
) -> None:
    document = paid_with(stripe_endpoint, TOTAL_YEN, "JPY")
    with stripe_down():
        response = put(api, document)
    assert response.status_code == 503, response.json_body
    assert response.json_body["error"]["code"] == "payment_gateway_unavailable"
    assert response.headers["Retry-After"]
    assert get(api, document["number"]).status_code == 404
    # The same request, once Stripe answers, goes through.
    assert put(api, document).status_code == 201


# --- Stripe Checkout ------------------------------------------------------------------------------


def checkout_event(number: str, payment_intent: str, *, kind: str = "checkout.session.completed",
                   **session: Any) -> dict[str, Any]:
    """A paid Checkout Session for two mugs (2 x 1200 + 160 tax) and 500 shipping: 3,060 cents."""
    obj: dict[str, Any] = {
        "id": f"cs_test_{uuid.uuid4().hex[:12]}", "object": "checkout.session", "currency": "usd",
        "created": int(time.time()), "mode": "payment", "payment_status": "paid",
        "payment_intent": payment_intent, "metadata": {"order_number": number, "locale": "en"},
        "customer_details": {"email": "kim@example.com", "name": "Kim Lee",
                             "address": {"line1": "1 Main St", "city": "Reno", "state": "NV",
                                         "postal_code": "89501", "country": "US"}},
        "shipping_cost": {"amount_total": 500},
        "line_items": {"data": [{"id": "li_1", "description": "Mug", "quantity": 2, "amount_tax": 160,
                                 "amount_discount": 0, "price": {"id": "price_mug", "unit_amount": 1200}}]},
    }
    obj.update(session)
    return {"id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": kind, "data": {"object": obj}}


CHECKOUT_TOTAL_CENTS = 2 * 1200 + 160 + 500


def test_a_checkout_session_paid_in_full_imports_its_order(api: Client, stripe_endpoint: str) -> None:
    number = a_number()
    intent = pay(stripe_endpoint, API_KEY, amount=CHECKOUT_TOTAL_CENTS, currency="USD", description="checkout",
                 metadata={"order_number": number})
    response = signed(api, checkout_event(number, intent))
    assert response.status_code == 200 and response.json_body["outcome"] == "order_imported"
    stored = get(api, number).json_body
    assert (stored["currency"], stored["total"], stored["payment"]["payment_intent"]) == ("USD", 3060, intent)


@pytest.mark.parametrize(
    ("paid", "currency", "code"),
    [(3060, "EUR", "payment_currency_mismatch"), (3059, "USD", "payment_below_total")],
    ids=["other currency", "less captured"],
)
def test_a_checkout_session_its_payment_does_not_pay_for_is_acknowledged_and_stores_nothing(
    api: Client, stripe_endpoint: str, paid: int, currency: str, code: str
) -> None:
    number = a_number()
    intent = pay(stripe_endpoint, API_KEY, amount=paid, currency=currency, description="checkout",
                 metadata={"order_number": number})
    event = checkout_event(number, intent)
    response = signed(api, event)
    # 2xx: the same session fails the same way on every delivery, so Stripe must not retry it.
    assert response.status_code == 200 and response.json_body["outcome"] == f"order_refused:{code}"
    assert get(api, number).status_code == 404
    assert signed(api, event).json_body["outcome"] == "duplicate"


def _mug(**changes: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"id": "li_1", "description": "Mug", "quantity": 2, "amount_tax": 160,
                            "amount_discount": 0, "price": {"id": "price_mug", "unit_amount": 1200}}
    line.update(changes)
    return {"data": [line]}


BAD_SESSIONS: list[tuple[str, dict[str, Any]]] = [
    ("order number with a slash", {"metadata": {"order_number": "6/../1", "locale": "en"}}),
    ("order number too long", {"metadata": {"order_number": "6" * 65, "locale": "en"}}),
    ("title too long", {"line_items": _mug(description="M" * 201)}),
    ("quantity as text", {"line_items": _mug(quantity="2")}),
    ("more than 500 lines", {"line_items": {"data": _mug()["data"] * 501}}),
    ("no lines", {"line_items": {"data": []}}),
    ("bad email", {"customer_details": {"email": "kim-at-example.com", "name": "Kim Lee",
                                        "address": {"line1": "1 Main St", "city": "Reno", "country": "US"}}}),
    ("country not ISO", {"customer_details": {"email": "kim@example.com", "name": "Kim Lee",
                                              "address": {"line1": "1 Main St", "city": "Reno", "country": "USA"}}}),
    ("unknown currency", {"currency": "xyz"}),
    ("unsupported locale", {"metadata": {"locale": "fr"}}),
    ("negative shipping", {"shipping_cost": {"amount_total": -500}}),
    ("no timestamp", {"created": None}),
]


@pytest.mark.parametrize("changes", [c for _, c in BAD_SESSIONS], ids=[n for n, _ in BAD_SESSIONS])
def test_a_checkout_session_that_breaks_the_order_schema_is_acknowledged_and_stores_nothing(
    api: Client, changes: dict[str, Any]
) -> None:
    number = a_number()
    changes = dict(changes)
    metadata = {"order_number": number, "locale": "en", **changes.pop("metadata", {})}
    # Refused before Stripe is asked: the made-up PaymentIntent is never looked up.
    event = checkout_event(number, "pi_never_asked", metadata=metadata, **changes)
    response = signed(api, event)
    assert response.status_code == 200, response.json_body
    assert response.json_body["outcome"] == "order_refused:invalid_request"
    assert get(api, number).status_code == 404
    assert signed(api, event).json_body["outcome"] == "duplicate"


def test_a_checkout_paid_later_is_imported_when_the_payment_arrives(api: Client, stripe_endpoint: str) -> None:
    number = a_number()
    intent = pay(stripe_endpoint, API_KEY, amount=CHECKOUT_TOTAL_CENTS, currency="USD", description="checkout",
                 metadata={"order_number": number})
    unpaid = checkout_event(number, intent, payment_status="unpaid")
    assert signed(api, unpaid).json_body["outcome"] == "ignored"
    assert get(api, number).status_code == 404
    paid = checkout_event(number, intent, kind="checkout.session.async_payment_succeeded")
    assert signed(api, paid).json_body["outcome"] == "order_imported"
    assert get(api, number).status_code == 200


def test_when_stripe_does_not_answer_a_checkout_event_is_refused_and_its_redelivery_imports(
    api: Client, stripe_endpoint: str
) -> None:
    number = a_number()
    intent = pay(stripe_endpoint, API_KEY, amount=CHECKOUT_TOTAL_CENTS, currency="USD", description="checkout",
                 metadata={"order_number": number})
    event = checkout_event(number, intent)
    with stripe_down():
        response = signed(api, event)
    # Not 2xx, and not recorded as seen: Stripe delivers it again.
    assert response.status_code == 503
    assert get(api, number).status_code == 404
    assert signed(api, event).json_body["outcome"] == "order_imported"
