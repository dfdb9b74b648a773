"""The shopper's lookup: order number and email in, every line judged by the current policy out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.signed_tokens import SignedTokens
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, put_policy

NEUTRAL_404 = {
    "error": {
        "code": "order_not_found",
        "message": "We couldn't find an order with that number and email. Check both and try again.",
    }
}
# The local stage's documented fake key (.chalice/config.json).
LOCAL_SIGNING_KEY = "local-signing-key-not-a-secret"


def lookup(client: Client, body: Any) -> Any:
    return client.http.post(
        "/api/v1/lookup", headers={"Content-Type": "application/json"},
        body=body if isinstance(body, str) else json.dumps(body),
    )


@pytest.fixture(scope="module", autouse=True)
def orders(client: Client) -> None:
    """A recent Japanese order (L2 is final sale) and an English one delivered long ago."""
    recent = an_order_document(number="5001", placed_at=days_ago(7), delivered_at=days_ago(5))
    old = an_order_document(
        number="5002", email="sam@example.com", locale="en", currency="USD",
        placed_at=days_ago(210), delivered_at=days_ago(200),
    )
    for document in (recent, old):
        response = client.http.put(
            f"/api/v1/admin/orders/{document['number']}", headers=ADMIN, body=json.dumps(document)
        )
        assert response.status_code == 201


@pytest.fixture(autouse=True)
def default_policy(client: Client) -> None:
    """Each test starts on PRODUCT.md's default policy (a 30-day window, 30 days of grace)."""
    put_policy(client)


def test_the_right_pair_gets_the_order_with_a_verdict_on_every_line(client: Client) -> None:
    response = lookup(client, {"order_number": "5001", "email": "aiko@example.jp"})
    assert response.status_code == 200
    order = response.json_body["order"]
    assert order["number"] == "5001"
    assert order["currency"] == "JPY"
    assert order["locale"] == "ja"
    assert order["delivered_at"] is not None
    lines = {line["id"]: line for line in order["lines"]}
    assert lines["L1"]["unit_price"] == 3300
    assert lines["L1"]["quantity"] == 2
    assert lines["L1"]["verdict"]["status"] == "returnable"
    assert lines["L1"]["verdict"]["reason_code"] == "within_window"
    assert lines["L1"]["verdict"]["quantity_available"] == 2
    assert lines["L1"]["verdict"]["returnable_until"] is not None
    assert lines["L2"]["verdict"]["status"] == "not_returnable"
    assert lines["L2"]["verdict"]["reason_code"] == "final_sale"
    assert lines["L2"]["verdict"]["quantity_available"] == 0
    # Messages speak the order's language.
    assert not lines["L2"]["verdict"]["message"].isascii()
    # Nothing the shopper did not type is handed out beyond the order itself.
    assert "aiko@example.jp" not in response.body.decode()
    assert "shipping_address" not in order and "payment" not in order


def test_a_line_delivered_long_ago_is_out_of_its_window(client: Client) -> None:
    response = lookup(client, {"order_number": "5002", "email": "sam@example.com"})
    assert response.status_code == 200
    verdict = response.json_body["order"]["lines"][0]["verdict"]
    assert verdict["status"] == "not_returnable"
    assert verdict["reason_code"] == "window_closed"
    assert verdict["message"].startswith("The return window for this item ended on")


def test_the_email_matches_whatever_its_case_and_surrounding_spaces(client: Client) -> None:
    response = lookup(client, {"order_number": "5001", "email": "  Aiko@EXAMPLE.jp "})
    assert response.status_code == 200


def test_the_token_is_a_shopper_token_for_this_order(client: Client) -> None:
    token = lookup(client, {"order_number": "5001", "email": "aiko@example.jp"}).json_body["token"]
    tokens = SignedTokens(lambda: LOCAL_SIGNING_KEY)
    assert tokens.verify(token, purpose="shopper", now=datetime.now(UTC)) == "5001"
    later = datetime.now(UTC) + timedelta(minutes=31)
    with pytest.raises(Exception, match="expired"):
        tokens.verify(token, purpose="shopper", now=later)


def test_a_wrong_email_and_an_unknown_number_get_the_same_neutral_answer(client: Client) -> None:
    answers = [
        lookup(client, {"order_number": "5001", "email": "sam@example.com"}),
        lookup(client, {"order_number": "no-such-order", "email": "aiko@example.jp"}),
        lookup(client, {"order_number": "5001", "email": "aiko@example.jp.evil"}),
    ]
    for response in answers:
        assert response.status_code == 404
        assert response.json_body == NEUTRAL_404
        assert "token" not in response.body.decode()
    assert len({response.body for response in answers}) == 1


def test_a_policy_change_shows_in_the_next_lookup(client: Client) -> None:
    body = {"order_number": "5001", "email": "aiko@example.jp"}
    before = lookup(client, body).json_body["order"]
    put_policy(client, window_days=2)
    after = lookup(client, body).json_body["order"]
    assert after["policy_version"] == before["policy_version"] + 1
    assert after["lines"][0]["verdict"]["status"] == "needs_approval"
    assert after["lines"][0]["verdict"]["reason_code"] == "window_passed"
    put_policy(client, final_sale_returnable=True)
    assert lookup(client, body).json_body["order"]["lines"][1]["verdict"]["status"] == "returnable"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"order_number": "5001"}, ["email"]),
        ({}, ["order_number", "email"]),
        ({"order_number": "", "email": ""}, ["order_number", "email"]),
        ({"order_number": 5001, "email": "aiko@example.jp"}, ["order_number"]),
        ("{not json", ["body"]),
    ],
    ids=["no email", "nothing", "empty strings", "number as a number", "not json"],
)
def test_a_malformed_lookup_names_every_bad_field(client: Client, body: Any, fields: list[str]) -> None:
    response = lookup(client, body)
    assert response.status_code == 400
    assert response.json_body["error"]["code"] == "invalid_request"
    assert response.json_body["error"]["fields"] == fields
