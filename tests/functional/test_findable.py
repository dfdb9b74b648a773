"""A return is always findable (issue 18, item 1), and notes and errors say their limit and item (item 9).

Looking an order up shows its returns with links that open them; a line in an open return says
which; the back button or a second tab confirming again lands on the return that was made.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import urlsplit

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN
from tests.functional.test_shopper_pages import Browser, text

pytestmark = pytest.mark.usefixtures("s3")  # an approved return's label is issued into the bucket


def an_order(client: Client, number: str) -> None:
    document = an_order_document(number=number, email=f"shopper{number}@example.com", locale="en",
                                 currency="USD", placed_at=days_ago(7), delivered_at=days_ago(5))
    response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code in (200, 201), response.json_body


def signed_in(client: Client, number: str) -> Browser:
    shopper = Browser(client)
    response = shopper.post("/lookup", {"order_number": number, "email": f"shopper{number}@example.com"})
    assert response.headers["Location"] == "/return/items", text(response)
    return shopper


def csrf_on(response: Any) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', response.body.decode())
    assert found, "no CSRF field on the page"
    return found.group(1)


def up_to_review(shopper: Browser, quantity: int = 1) -> str:
    """Choose the tee (one unit, too small) and store credit; the review page's CSRF token."""
    chosen = shopper.post("/return/items", {"csrf": shopper.csrf_of("/return/items"), "return-0": "1",
                                             "quantity-0": str(quantity), "reason-0": "too_small", "note-0": ""})
    assert chosen.headers["Location"] == "/return/resolution", text(chosen)
    picked = shopper.post("/return/resolution", {"csrf": shopper.csrf_of("/return/resolution"),
                                                  "resolution": "store_credit"})
    assert picked.headers["Location"] == "/return/review"
    return csrf_on(shopper.get("/return/review"))


def confirmed_rma(response: Any) -> str:
    assert response.status_code == 303, text(response)
    found = re.fullmatch(r"/returns/(R-[0-9A-Z]{4}-[0-9A-Z]{4})/confirmation", response.headers["Location"])
    assert found, response.headers["Location"]
    return found.group(1)


def a_confirmed_return(client: Client, number: str) -> tuple[Browser, str]:
    an_order(client, number)
    shopper = signed_in(client, number)
    csrf = up_to_review(shopper)
    return shopper, confirmed_rma(shopper.post("/return/confirm", {"csrf": csrf}))


def is_pdf_address(location: str) -> bool:
    return urlsplit(location).path.endswith(".pdf")


def test_the_lookup_lists_the_orders_returns_and_the_line_says_which_return_holds_it(client: Client) -> None:
    shopper, rma = a_confirmed_return(client, "8101")
    page = shopper.get("/return/items")
    body = page.body.decode()
    assert page.status_code == 200
    listed = body.index('id="returns-heading"')
    assert listed < body.index('class="lines"'), "the returns come above the lines"
    assert f'href="/returns/{rma}"' in body and f"Return {rma}" in text(page)
    assert "Approved" in text(page)  # the status in words, not its code
    assert f'href="/returns/{rma}/label"' in body
    # The tee has one unit left to return, and says where the other one went.
    assert f'Already in return <a href="/returns/{rma}">{rma}</a>' in body


def test_a_line_with_units_already_received_says_which_return_took_them(client: Client) -> None:
    # One tee of two came back and was received: the line offers the one left and says where
    # the other went, instead of a bare "Qty 2" with a one-unit choice.
    shopper, rma = a_confirmed_return(client, "8109")
    assert client.http.post(f"/api/v1/admin/returns/{rma}/receive", headers=ADMIN).status_code == 202
    page = shopper.get("/return/items")
    body = page.body.decode()
    assert f'Already returned with return <a href="/returns/{rma}">{rma}</a>' in body
    assert "Already in return <a" not in body  # received: no longer "in" an open return
    assert '<option value="2">' not in body.split('id="quantity-0"')[1].split("</select>")[0]


def test_an_order_with_nothing_left_to_return_points_to_its_returns(client: Client) -> None:
    an_order(client, "8110")
    shopper = signed_in(client, "8110")
    rma = confirmed_rma(shopper.post("/return/confirm", {"csrf": up_to_review(shopper, quantity=2)}))
    body = shopper.get("/return/items").body.decode()
    assert "Nothing in this order can be returned right now." in body
    assert 'href="#returns-heading"' in body and f'href="/returns/{rma}"' in body


def test_every_return_of_the_order_opens_for_a_shopper_who_proves_it_in_another_browser(client: Client) -> None:
    _, rma = a_confirmed_return(client, "8102")
    elsewhere = signed_in(client, "8102")
    assert f'href="/returns/{rma}"' in elsewhere.get("/return/items").body.decode()
    status = elsewhere.get(f"/returns/{rma}")
    assert status.status_code == 200 and f"Return {rma}" in text(status)
    label = elsewhere.get(f"/returns/{rma}/label")
    assert label.status_code in (302, 303) and is_pdf_address(label.headers["Location"])
    # A browser that proved nothing is sent to the lookup.
    assert Browser(client).get(f"/returns/{rma}").headers["Location"] == f"/?rma={rma}"


def test_the_back_button_after_confirming_lands_on_the_return_made(client: Client) -> None:
    shopper, rma = a_confirmed_return(client, "8103")
    back = shopper.get("/return/review")
    assert back.headers["Location"] == f"/returns/{rma}?made=1"
    landed = shopper.get(back.headers["Location"])
    assert landed.status_code == 200
    assert "You've already sent this return, so nothing new was made." in text(landed)
    # The old review page, still on screen, confirmed again: the same return, nothing new.
    again = shopper.post("/return/confirm", {"csrf": shopper.csrf_of("/return/items")})
    assert again.headers["Location"] == f"/returns/{rma}?made=1"
    assert [r.rma for r in get_deps().returns.of_order("8103")] == [rma]


def test_two_tabs_confirming_the_same_draft_at_once_make_one_return_and_both_land_on_it(client: Client) -> None:
    an_order(client, "8104")
    shopper = signed_in(client, "8104")
    csrf = up_to_review(shopper)
    # Two tabs of one browser send the same cookie and form at the same moment. (Chalice's test
    # gateway keeps one current request: identical requests make that harmless here.)
    start = threading.Barrier(2)
    answers: list[Any] = []

    def confirm() -> None:
        tab = Browser(client)
        tab.cookies = dict(shopper.cookies)
        start.wait()
        answers.append(tab.post("/return/confirm", {"csrf": csrf}))

    tabs = [threading.Thread(target=confirm) for _ in range(2)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()
    rmas = {confirmed_rma(answer) for answer in answers}
    assert len(rmas) == 1
    assert [r.rma for r in get_deps().returns.of_order("8104")] == list(rmas)


def test_the_api_lookup_lists_the_returns_with_links_that_open_them_in_any_browser(client: Client) -> None:
    _, rma = a_confirmed_return(client, "8105")
    response = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                                body=json.dumps({"order_number": "8105", "email": "shopper8105@example.com"}))
    assert response.status_code == 200
    body = response.json_body
    [listed] = body["returns"]
    assert listed["rma"] == rma and listed["status"] == "approved" and listed["line_ids"] == ["L1"]
    tee = next(line for line in body["order"]["lines"] if line["id"] == "L1")
    assert tee["in_returns"] == [rma]
    # The links carry their own signed token: a browser that never looked the order up opens them.
    status_url = urlsplit(listed["status_url"])
    stranger = Browser(client)
    opened = stranger.get(f"{status_url.path}?{status_url.query}")
    assert opened.headers["Location"] == f"/returns/{rma}"
    assert f"Return {rma}" in text(stranger.get(f"/returns/{rma}"))
    label_url = urlsplit(listed["label_url"])
    label = Browser(client).get(f"{label_url.path}?{label_url.query}")
    assert label.status_code in (302, 303) and is_pdf_address(label.headers["Location"])
    # A link for this return opens no other.
    tampered = Browser(client).get(f"/returns/R-0000-0000/label?{label_url.query}")
    assert tampered.status_code == 403


def test_the_note_limit_is_shown_next_to_the_field_before_it_is_reached(client: Client) -> None:
    an_order(client, "8106")
    page = signed_in(client, "8106").get("/return/items").body.decode()
    assert 'maxlength="500"' in page and "Up to 500 characters." in page


def test_a_line_break_counts_as_one_character_as_the_textarea_counts_it(client: Client) -> None:
    an_order(client, "8107")
    shopper = signed_in(client, "8107")
    note = "\r\n".join(["x" * 49] * 10)  # 499 characters in the browser, 508 as sent
    chosen = shopper.post("/return/items", {"csrf": shopper.csrf_of("/return/items"), "return-0": "1",
                                             "quantity-0": "1", "reason-0": "damaged", "note-0": note})
    assert chosen.headers["Location"] == "/return/resolution", text(chosen)


def test_an_api_note_past_the_limit_names_its_line_and_the_limit(client: Client) -> None:
    an_order(client, "8108")
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": "8108", "email": "shopper8108@example.com"})
                             ).json_body["token"]
    response = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": "8108", "resolution": "refund", "lines": [
            {"line_id": "L1", "quantity": 1, "reason": "too_small"},
            {"line_id": "L2", "quantity": 1, "reason": "damaged", "note": "x" * 501}]}))
    assert response.status_code == 400
    error = response.json_body["error"]
    assert error["fields"] == ["lines[1].note"]
    assert "line 'L2'" in error["message"] and "500" in error["message"]
    assert get_deps().returns.of_order("8108") == []


def test_an_api_error_from_the_store_rules_names_its_line(client: Client) -> None:
    an_order(client, "8109")
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": "8109", "email": "shopper8109@example.com"})
                             ).json_body["token"]
    response = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": "8109", "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "damaged"}]}))
    assert response.status_code == 400
    error = response.json_body["error"]
    assert error["fields"] == ["lines[0].note"] and "line 'L1'" in error["message"]
