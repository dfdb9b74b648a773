"""One language per shopper: the language a shopper confirms in is stored with the return, and its
emails follow it; switching language on any step keeps what was entered."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from chalice.test import Client

from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, put_policy
from tests.functional.test_merchant_approvals import sent, subject
from tests.functional.test_shopper_pages import Browser, text


@pytest.fixture(scope="module", autouse=True)
def orders(client: Client) -> None:
    """Japanese orders (the shopper may read English), all returnable today."""
    put_policy(client)
    for number in ("9301", "9302", "9303", "9304"):
        # 9303 was delivered 45 days ago: past the window, inside the grace, so the store decides.
        delivered = 45 if number == "9303" else 5
        document = an_order_document(number=number, email=f"shopper-{number}@example.jp",
                                     placed_at=days_ago(delivered + 2), delivered_at=days_ago(delivered))
        response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
        assert response.status_code in (200, 201), response.json_body


def emails_to(aws_endpoint: str, rma: str, to: str) -> list[Any]:
    return [m for m in sent(aws_endpoint) if rma in subject(m) and m["To"] == to]


def csrf_of(page: Any) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.body.decode())
    assert found, "no CSRF field"
    return found.group(1)


def signed_in(client: Client, number: str, *, accept_language: str = "ja") -> Browser:
    shopper = Browser(client, accept_language=accept_language)
    response = shopper.post("/lookup", {"order_number": number, "email": f"shopper-{number}@example.jp"})
    assert response.status_code == 303, text(response)
    return shopper


def admin_return(client: Client, rma: str) -> dict[str, Any]:
    response = client.http.get(f"/api/v1/admin/returns/{rma}", headers=ADMIN)
    assert response.status_code == 200
    body: dict[str, Any] = response.json_body
    return body


def test_switching_language_on_the_items_step_keeps_the_ticked_item_its_count_and_reason(client: Client) -> None:
    shopper = signed_in(client, "9301")
    items = shopper.get("/return/items")
    assert '<html lang="ja">' in items.body.decode()
    # The menu's English button sends the step's form, ticked but not yet continued.
    switched = shopper.post("/return/items?lang=en", {
        "csrf": csrf_of(items), "return-0": "1", "quantity-0": "2", "reason-0": "too_large", "note-0": "Runs big",
        "switch_lang": "en"})
    assert switched.status_code == 303
    assert switched.headers["Location"] == "/return/items"
    again = shopper.get("/return/items")
    body = again.body.decode()
    assert '<html lang="en">' in body and "Return this item" in text(again)
    assert re.search(r'id="return-0" name="return-0" value="1" checked', body)
    assert '<option value="2" selected>' in body
    assert re.search(r'name="reason-0" value="too_large" checked', body)
    assert "Runs big" in text(again)


def test_switching_language_on_the_lookup_form_keeps_what_was_typed_and_looks_nothing_up(client: Client) -> None:
    shopper = Browser(client, accept_language="ja")
    home = shopper.get("/")
    response = shopper.post("/lookup?lang=ko", {"csrf": csrf_of(home), "order_number": "＃９３０２",
                                                "email": "shopper-9302@example.jp", "switch_lang": "ko"})
    assert response.status_code == 200
    body = response.body.decode()
    assert '<html lang="ko">' in body
    assert 'value="＃９３０２"' in body and 'value="shopper-9302@example.jp"' in body
    assert shopper.cookies["retour_lang"] == "ko"


def test_the_language_confirmed_in_is_stored_and_the_emails_speak_it(client: Client, aws_endpoint: str) -> None:
    shopper = signed_in(client, "9303")
    items = shopper.get("/return/items")
    assert shopper.post("/return/items", {"csrf": csrf_of(items), "return-0": "1", "quantity-0": "1",
                                          "reason-0": "too_small"}).status_code == 303
    resolution = shopper.get("/return/resolution")
    # Switching on the resolution step keeps the choice on the form.
    switched = shopper.post("/return/resolution?lang=en", {"csrf": csrf_of(resolution), "resolution": "refund",
                                                           "switch_lang": "en"})
    assert switched.headers["Location"] == "/return/resolution"
    assert re.search(r'value="refund"[^>]* checked', shopper.get("/return/resolution").body.decode())
    review = shopper.get("/return/review")
    # The language menu on the review step shows the review again: it requests nothing.
    again = shopper.post("/return/confirm?lang=ko", {"csrf": csrf_of(review), "switch_lang": "ko"})
    assert again.headers["Location"] == "/return/review"
    review = shopper.get("/return/review?lang=en")
    confirmed = shopper.post("/return/confirm", {"csrf": csrf_of(review)})
    assert confirmed.status_code == 303
    rma = confirmed.headers["Location"].split("/")[2]
    # A Japanese order, confirmed in English: the return speaks English.
    assert admin_return(client, rma)["locale"] == "en"
    requested = emails_to(aws_endpoint, rma, "shopper-9303@example.jp")
    assert [subject(m) for m in requested] == [f"We received your return request {rma}"]
    # The store's decision follows the same language.
    rejected = client.http.post(f"/api/v1/admin/returns/{rma}/reject", headers=ADMIN,
                                body=json.dumps({"note": "Worn"}))
    assert rejected.status_code == 200, rejected.json_body
    decided = emails_to(aws_endpoint, rma, "shopper-9303@example.jp")
    assert f"Your return request {rma} was declined" in [subject(m) for m in decided]


def test_the_api_stores_the_locale_it_is_given_and_the_emails_speak_it(client: Client, aws_endpoint: str) -> None:
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": "9304", "email": "shopper-9304@example.jp"})).json_body["token"]
    response = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": "9304", "resolution": "refund", "locale": "zh-CN",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
    assert response.status_code == 201, response.json_body
    rma = response.json_body["rma"]
    assert admin_return(client, rma)["locale"] == "zh-Hans"
    mail = emails_to(aws_endpoint, rma, "shopper-9304@example.jp")[0]
    assert "退货" in subject(mail)


def test_without_a_locale_the_api_return_speaks_the_orders_language(client: Client) -> None:
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": "9302", "email": "shopper-9302@example.jp"})).json_body["token"]
    response = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": "9302", "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
    assert response.status_code == 201, response.json_body
    assert admin_return(client, response.json_body["rma"])["locale"] == "ja"


def test_a_locale_we_do_not_speak_is_a_400_and_requests_nothing(client: Client) -> None:
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": "9301", "email": "shopper-9301@example.jp"})).json_body["token"]
    response = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": "9301", "resolution": "refund", "locale": "fr",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
    assert response.status_code == 400
    assert "locale" in response.json_body["error"]["message"]
