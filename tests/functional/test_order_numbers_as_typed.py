"""Order numbers as people type them: `#1002`, `１００２`, spaces and any case find the order, on the
page and through the API; an email that is no address gets a format message; numbers that only a
shopper's typing could tell apart are refused at import."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chalice.test import Client

from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN
from tests.functional.test_shopper_pages import Browser, text

NEUTRAL = "We couldn't find an order with that number and email. Check both and try again."


def lookup(client: Client, number: str, email: str) -> Any:
    return client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                            body=json.dumps({"order_number": number, "email": email}))


def put_order(client: Client, document: dict[str, Any]) -> Any:
    return client.http.put(f"/api/v1/admin/orders/{document['number']}", headers=ADMIN, body=json.dumps(document))


@pytest.fixture(scope="module", autouse=True)
def orders(client: Client) -> None:
    """A plain number, and one the store writes in lower case with letters and a dash."""
    for document in (
        an_order_document(number="8102", placed_at=days_ago(7), delivered_at=days_ago(5)),
        an_order_document(number="so-8103", email="Sam.Lee@Example.com", locale="en", currency="USD",
                          placed_at=days_ago(7), delivered_at=days_ago(5)),
    ):
        assert put_order(client, document).status_code == 201


@pytest.mark.parametrize("typed", ["8102", "#8102", "＃８１０２", "８１０２", " 81 02 ", "No. 8102", "\u30008102\u3000"])
@pytest.mark.parametrize("email", ["aiko@example.jp", "  AIKO@Example.JP ", "ａｉｋｏ＠ｅｘａｍｐｌｅ．ｊｐ"])
def test_the_api_finds_the_order_however_its_number_and_email_were_typed(client: Client, typed: str, email: str) -> None:
    response = lookup(client, typed, email)
    assert response.status_code == 200, response.json_body
    # The number comes back as the store wrote it.
    assert response.json_body["order"]["number"] == "8102"


@pytest.mark.parametrize("typed", ["so-8103", "SO-8103", "#So-8103", "ＳＯ－８１０３", "so\u20108103", " so-8103 "])
def test_letters_in_a_number_match_in_any_case_and_keep_the_stores_spelling(client: Client, typed: str) -> None:
    response = lookup(client, typed, "sam.lee@example.com")
    assert response.status_code == 200, response.json_body
    assert response.json_body["order"]["number"] == "so-8103"


def test_a_token_from_a_typed_number_requests_a_return_of_that_order(client: Client) -> None:
    token = lookup(client, "＃ＳＯ－８１０３", "sam.lee@example.com").json_body["token"]
    response = client.http.post(
        "/api/v1/returns",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": "#so-8103", "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}),
    )
    assert response.status_code == 201, response.json_body
    assert response.json_body["order_number"] == "so-8103"
    # The line is now counted as in a return, whichever way the number is typed next.
    again = lookup(client, "SO-8103", "sam.lee@example.com").json_body["order"]["lines"]
    assert next(line for line in again if line["id"] == "L1")["verdict"]["quantity_available"] == 1


@pytest.mark.parametrize("email", ["aiko", "aiko@example", "ai ko@example.jp", "aiko@exa mple.jp"])
def test_an_email_that_is_no_address_is_a_400_on_the_email_not_order_not_found(client: Client, email: str) -> None:
    response = lookup(client, "8102", email)
    assert response.status_code == 400, response.json_body
    error = response.json_body["error"]
    assert error["code"] != "order_not_found"
    assert "email" in error["message"]


@pytest.mark.parametrize(("number", "email"), [("8102", "someone@example.jp"), ("#9999", "aiko@example.jp"),
                                               ("so-8103", "aiko@example.jp")])
def test_a_wrong_pair_still_gets_the_one_neutral_answer(client: Client, number: str, email: str) -> None:
    response = lookup(client, number, email)
    assert response.status_code == 404
    assert response.json_body["error"] == {"code": "order_not_found", "message": NEUTRAL}


@pytest.mark.parametrize("typed", ["＃８１０２", " #8102 "])
def test_the_lookup_page_finds_the_order_typed_full_width_with_a_hash_sign(client: Client, typed: str) -> None:
    shopper = Browser(client)
    response = shopper.post("/lookup", {"order_number": typed, "email": " Aiko@Example.jp "})
    assert response.status_code == 303, text(response)
    assert response.headers["Location"] == "/return/items"
    assert "8102" in text(shopper.get("/return/items?lang=en"))


@pytest.mark.parametrize("email", ["aiko@example", "ai ko@example.jp"])
def test_the_lookup_page_puts_a_format_message_beside_a_malformed_email(client: Client, email: str) -> None:
    shopper = Browser(client)
    shopper.get("/?lang=en")
    response = shopper.post("/lookup", {"order_number": "8102", "email": email})
    assert response.status_code == 400
    body = text(response)
    assert "Enter an email address like name@example.com." in body
    assert NEUTRAL not in body
    # The message belongs to the email field, and the field says so.
    email_input = re.search(r"<input[^>]*name=\"email\"[^>]*>", body)
    assert email_input is not None and "aria-describedby" in email_input.group(0)
    assert 'aria-invalid="true"' in email_input.group(0)


def test_a_wrong_pair_on_the_page_gets_the_neutral_message(client: Client) -> None:
    shopper = Browser(client)
    shopper.get("/?lang=en")
    response = shopper.post("/lookup", {"order_number": "#8102", "email": "someone@example.jp"})
    assert response.status_code == 404
    assert NEUTRAL in text(response)


def test_a_number_that_matches_a_stored_one_but_is_written_differently_is_refused_at_import(client: Client) -> None:
    clash = an_order_document(number="SO-8103", email="other@example.com", placed_at=days_ago(3))
    response = put_order(client, clash)
    assert response.status_code == 409
    error = response.json_body["error"]
    assert error["code"] == "order_number_taken"
    assert "so-8103" in error["message"]
    # Nothing changed: the stored order is still the first one.
    stored = client.http.get("/api/v1/admin/orders/so-8103", headers=ADMIN).json_body
    assert stored["email"] == "Sam.Lee@Example.com"


def test_the_same_number_as_the_store_wrote_it_is_still_replaced(client: Client) -> None:
    document = an_order_document(number="8102", customer_name="Aiko Tanaka", placed_at=days_ago(7),
                                 delivered_at=days_ago(5))
    assert put_order(client, document).status_code == 200


def test_the_admin_reads_an_order_by_the_number_as_typed(client: Client) -> None:
    response = client.http.get("/api/v1/admin/orders/SO-8103", headers=ADMIN)
    assert response.status_code == 200
    assert response.json_body["number"] == "so-8103"
