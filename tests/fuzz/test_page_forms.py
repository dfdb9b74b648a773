"""Hypothesis posts random forms (with a valid session and CSRF token) to every page that takes
one: never a 5xx, and every answer is a page or a redirect, never a stack trace or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.documents import an_order_document
from tests.functional.conftest import ADMIN
from tests.functional.test_shopper_pages import FORM, Browser

NUMBER = "F5001"
EMAIL = "fuzz@example.com"
FIELDS = ["order_number", "email", "resolution", "csrf", "return-0", "quantity-0", "reason-0", "note-0",
          "return-1", "quantity-1", "reason-1", "note-1", "return-99", "lang", "confirm"]
# The cancel form of a return of the fuzzed order (its RMA is known once the fixture made it).
CANCEL = "/returns/{rma}/cancel"
text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["1", "0", "-1", "2", "99999999999", "refund", "store_credit", "damaged", "too_small",
                     "not_as_described", "", " ", "\x00", "%", "<script>", "=1+1", "L1", NUMBER, EMAIL, "yes"]),
    st.text(min_size=500, max_size=2000, alphabet="aあ😀<"),
)
forms = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)), text, max_size=10)


@pytest.fixture(scope="module")
def shopper(client: Client) -> Browser:
    assert client.http.put("/api/v1/admin/policy", headers=ADMIN, body="{}").status_code == 200
    delivered = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = an_order_document(number=NUMBER, email=EMAIL, locale="en", currency="USD",
                                 placed_at=delivered, delivered_at=delivered)
    response = client.http.put(f"/api/v1/admin/orders/{NUMBER}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code in (200, 201)
    browser = Browser(client)
    assert browser.post("/lookup", {"order_number": NUMBER, "email": EMAIL}).status_code == 303
    # A return of one of the two tees, whose cancel form is fuzzed too (the draft below takes the other).
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": NUMBER, "email": EMAIL})).json_body["token"]
    created = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": NUMBER, "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
    assert created.status_code == 201, created.json_body
    browser.rma = created.json_body["rma"]  # type: ignore[attr-defined]
    # A draft in the session, so the resolution and confirm posts reach their real work.
    chosen = browser.post("/return/items", {"csrf": browser.csrf_of("/return/items"), "return-0": "1",
                                            "quantity-0": "1", "reason-0": "too_small"})
    assert chosen.status_code == 303, chosen.body
    return browser


def assert_a_page(response: object, path: str, form: dict[str, str]) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    headers = response.headers  # type: ignore[attr-defined]
    assert status < 500, f"{path} {form!r}: {status}"
    if status in (302, 303):
        assert headers["Location"].startswith("/"), headers["Location"]
        return
    assert headers["Content-Type"].startswith("text/html"), f"{path} {form!r}: {headers['Content-Type']}"
    assert b"Traceback" not in response.body  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["/lookup", "/return/items", "/return/resolution", "/return/confirm", CANCEL])
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(form=forms, keep_csrf=st.booleans())
def test_random_forms_get_a_page_never_a_server_error(shopper: Browser, path: str, form: dict[str, str],
                                                      keep_csrf: bool) -> None:
    # A fresh session each time: the fuzzed posts must not drift the session into one state.
    path = path.format(rma=shopper.rma)  # type: ignore[attr-defined]
    browser = Browser(shopper.client)
    browser.cookies = dict(shopper.cookies)
    body = dict(form)
    if keep_csrf:
        body["csrf"] = browser.csrf_of("/return/items")
    response = browser.client.http.post(path, headers=browser._headers(FORM), body=urlencode(body))
    assert_a_page(response, path, form)
