"""An order is stored only when its Stripe PaymentIntent pays for it; checked against the local Stripe."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from chalice.test import Client

from chalicelib.adapters.stripe_payments import StripePayments
from chalicelib.bootstrap import get_deps
from devstack.payments import pay
from tests.documents import an_order_document
from tests.functional.conftest import ADMIN
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    API_KEY,
    Stripe,
    api,
    days_ago,
    money_env,
    policy,
    stripe_state,
)

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
