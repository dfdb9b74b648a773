"""The shopper's return pages through Chalice: sessions, CSRF, languages, errors, escaping."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.adapters.signed_tokens import SignedTokens
from chalicelib.web.sessions import SESSION_COOKIE, SESSION_PURPOSE
from tests.documents import an_order_document
from tests.functional.conftest import ADMIN

LOCAL_SIGNING_KEY = "local-signing-key-not-a-secret"
XSS = "<script>alert(1)</script>"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


class Browser:
    """A cookie jar and a few habits of a browser, over Chalice's test client."""

    def __init__(self, client: Client, accept_language: str | None = None) -> None:
        self.client = client
        self.cookies: dict[str, str] = {}
        self.set_cookie_headers: list[str] = []
        self.accept_language = accept_language

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.accept_language:
            headers["Accept-Language"] = self.accept_language
        return headers

    def _remember(self, response: Any) -> None:
        raw = response.headers.get("Set-Cookie") or response.headers.get("set-cookie")
        if not raw:
            return
        values = raw if isinstance(raw, list) else [raw]
        for value in values:
            self.set_cookie_headers.append(value)
            jar: SimpleCookie = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str) -> Any:
        response = self.client.http.get(path, headers=self._headers())
        self._remember(response)
        return response

    def post(self, path: str, form: dict[str, str], *, csrf: bool = True) -> Any:
        body = dict(form)
        if csrf and "csrf" not in body:
            body["csrf"] = self.csrf
        response = self.client.http.post(path, headers=self._headers(FORM), body=urlencode(body))
        self._remember(response)
        return response

    @property
    def csrf(self) -> str:
        page = self.get("/").body.decode()
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found, "no CSRF field on the page"
        return found.group(1)

    def csrf_of(self, path: str) -> str:
        page = self.get(path).body.decode()
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found, f"no CSRF field on {path}"
        return found.group(1)


def text(response: Any) -> str:
    return html.unescape(response.body.decode())


@pytest.fixture(scope="module", autouse=True)
def orders(client: Client) -> None:
    """A Japanese order in yen, and an English one whose customer name is a script tag."""
    japanese = an_order_document(number="7001", placed_at=days_ago(7), delivered_at=days_ago(5))
    english = an_order_document(
        number="7002", email="sam@example.com", locale="en", currency="USD",
        customer_name=XSS, placed_at=days_ago(7), delivered_at=days_ago(5),
    )
    for document in (japanese, english):
        response = client.http.put(
            f"/api/v1/admin/orders/{document['number']}", headers=ADMIN, body=json.dumps(document))
        assert response.status_code in (200, 201), response.json_body


@pytest.fixture
def browser(client: Client) -> Iterator[Browser]:
    yield Browser(client)


def signed_in(client: Client, number: str = "7002", email: str = "sam@example.com", **kwargs: Any) -> Browser:
    shopper = Browser(client, **kwargs)
    response = shopper.post("/lookup", {"order_number": number, "email": email}, csrf=False | True)
    assert response.status_code == 303, response.body
    assert response.headers["Location"] == "/return/items"
    return shopper


def test_a_matching_lookup_leads_to_the_items_of_that_order(client: Client) -> None:
    shopper = signed_in(client)
    page = shopper.get("/return/items")
    assert page.status_code == 200
    body = text(page)
    assert "7002" in body and "Return this item" in body


def test_the_start_page_shows_the_form_and_sets_an_anonymous_session(browser: Browser) -> None:
    page = browser.get("/")
    assert page.status_code == 200
    assert 'name="csrf"' in page.body.decode()
    assert SESSION_COOKIE in browser.cookies


def choose_first_line(shopper: Browser, *, quantity: str = "1", reason: str = "too_small", note: str = "") -> Any:
    csrf = shopper.csrf_of("/return/items")
    return shopper.post("/return/items", {"csrf": csrf, "return-0": "1", "quantity-0": quantity,
                                          "reason-0": reason, "note-0": note})


def test_the_whole_journey_ends_on_a_status_page_with_a_timeline(client: Client) -> None:
    shopper = signed_in(client)
    chosen = choose_first_line(shopper)
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/return/resolution"
    options = shopper.get("/return/resolution")
    assert options.status_code == 200, text(options)
    csrf = re.search(r'name="csrf" value="([^"]+)"', options.body.decode()).group(1)  # type: ignore[union-attr]
    picked = shopper.post("/return/resolution", {"csrf": csrf, "resolution": "store_credit"})
    assert picked.headers["Location"] == "/return/review"
    review = shopper.get("/return/review")
    assert review.status_code == 200, text(review)
    assert "Total store credit" in text(review)
    csrf = re.search(r'name="csrf" value="([^"]+)"', review.body.decode()).group(1)  # type: ignore[union-attr]
    confirmed = shopper.post("/return/confirm", {"csrf": csrf})
    assert confirmed.status_code == 303, text(confirmed)
    location = confirmed.headers["Location"]
    assert re.fullmatch(r"/returns/R-[0-9A-Z]{4}-[0-9A-Z]{4}/confirmation", location)
    done = shopper.get(location)
    assert done.status_code == 200, text(done)
    rma = location.split("/")[2]
    assert rma in text(done)
    status = shopper.get(f"/returns/{rma}")
    assert status.status_code == 200
    assert "Return requested" in text(status)
