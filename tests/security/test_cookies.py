"""Cookies are HttpOnly and SameSite everywhere, and Secure on every stage served over HTTPS."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

import pytest
from chalice.test import Client

from chalicelib.web.sessions import cleared_session_cookie, lang_cookie, session_cookie
from tests.documents import an_order_document
from tests.functional.conftest import ADMIN, put_policy
from tests.functional.test_shopper_pages import Browser


def flags(header: str) -> tuple[str, set[str], dict[str, str]]:
    """(cookie name, flag names, attributes) of one Set-Cookie header."""
    name = header.split("=", 1)[0]
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    morsel = jar[name]
    present = {key for key in ("httponly", "secure") if morsel[key]}
    return name, present, {key: str(morsel[key]) for key in ("samesite", "path")}


def test_a_shopper_gets_only_httponly_samesite_cookies(client: Client) -> None:
    put_policy(client)
    document = an_order_document(number="C1001", email="cookie@example.com", locale="en", currency="USD")
    assert client.http.put("/api/v1/admin/orders/C1001", headers=ADMIN, body=json.dumps(document)).status_code in (200, 201)
    shopper = Browser(client)
    shopper.get("/?lang=ja")
    shopper.post("/lookup", {"order_number": "C1001", "email": "cookie@example.com"})
    shopper.post("/lookup", {"order_number": "C1001", "email": "wrong@example.com"}, csrf=False)
    names = set()
    for header in shopper.set_cookie_headers:
        name, present, attributes = flags(header)
        names.add(name)
        assert "httponly" in present, header
        assert attributes["samesite"].lower() in ("lax", "strict"), header
        assert attributes["path"] == "/", header
        # Loopback is plain HTTP: a Secure cookie would never come back.
        assert "secure" not in present, header
    assert len(names) >= 2, shopper.set_cookie_headers  # the session and the language


@pytest.mark.parametrize("header", [
    session_cookie("v1.payload.signature", secure=True),
    cleared_session_cookie(secure=True),
    lang_cookie("ja", secure=True),
])
def test_cookies_outside_the_local_stage_are_secure(header: str) -> None:
    _, present, attributes = flags(header)
    assert present == {"httponly", "secure"}
    assert attributes["samesite"].lower() in ("lax", "strict")


def test_the_api_sets_no_cookie(client: Client) -> None:
    response = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                                body=json.dumps({"order_number": "C1001", "email": "cookie@example.com"}))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "set-cookie" not in response.headers
