"""Hypothesis posts random forms (with a valid session and CSRF token) to every page that takes
one (the shopper's, the warehouse's and the merchant's confirm form): never a 5xx, and every
answer is a page in its reader's language or a redirect, never a stack trace or JSON.

The values mix the classes an attacker tries first: digits that are not ASCII, numbers too long
for int(), nested JSON, control characters, long text; names repeat, and raw bytes that are
no valid percent-encoding or UTF-8 ride along."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from chalicelib.bootstrap import get_deps
from chalicelib.domain.approvals import ACTIONS, APPROVE_FEE
from tests.documents import an_order_document
from tests.functional.conftest import ADMIN, console_cookie, put_policy
from tests.functional.test_merchant_approvals import CSRF as MERCHANT_CSRF
from tests.functional.test_merchant_approvals import links_of, pending_return
from tests.functional.test_shopper_pages import FORM, Browser

NUMBER = "F5001"
EMAIL = "fuzz@example.com"
FIELDS = ["order_number", "email", "resolution", "csrf", "return-0", "quantity-0", "reason-0", "note-0",
          "return-1", "quantity-1", "reason-1", "note-1", "return-99", "lang", "confirm"]
# The cancel form of a return of the fuzzed order (its RMA is known once the fixture made it).
CANCEL = "/returns/{rma}/cancel"
WAREHOUSE_FIELDS = ["csrf", "rma", "next", "lang"]
MERCHANT_FIELDS = ["csrf", "decision", "fee_percent", "note"]
# str.isdigit() is True for each (int() raises on the superscripts and the circled one).
OTHER_DIGITS = ["²", "¹²", "１", "１５", "٣", "߁", "𝟙", "①", "½", "-0", "+1", " 7 ", "1_0", "0x10", "1e2"]
HOSTILE = ["[" * 3000, '{"a":' * 500, "9" * 5000, "\r\n", "\ud800", "\ufeff1", "&", "=", "%00", "%ZZ", "%"]
text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["1", "0", "-1", "2", "99999999999", "refund", "store_credit", "damaged", "too_small",
                     "not_as_described", "", " ", "\x00", "%", "<script>", "=1+1", "L1", NUMBER, EMAIL, "yes",
                     "approve_fee", "reject ", "APPROVE", "approve\x00", "R-0000-0000", "local-admin-key"]),
    st.sampled_from(OTHER_DIGITS + HOSTILE),
    st.text(min_size=500, max_size=2000, alphabet="aあ😀<"),
)
# Bytes no form encoder makes: broken percent-escapes, stray separators, bytes that are no UTF-8.
garbage = st.one_of(st.just(b""), st.sampled_from([b"&&&", b"%", b"%g0", b"a=%ff%fe", b"=&=", b"%E2%82", b"\xff\xfe\x00",
                                                  b"a=1;b=2", b"+++", b"&" * 300]),
                    st.binary(max_size=60))


def forms_of(fields: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Name/value pairs in order, a name possibly repeated (a browser sends the last one last)."""
    return st.lists(st.tuples(st.one_of(st.sampled_from(fields), st.text(max_size=12)), text), max_size=10)


# Half the shopper's forms choose the first line, so a hostile quantity reaches the count's parsing.
forms = st.one_of(forms_of(FIELDS), st.builds(
    lambda quantity, reason, rest: [("return-0", "1"), ("quantity-0", quantity), ("reason-0", reason), *rest],
    st.one_of(st.sampled_from(OTHER_DIGITS + HOSTILE), text), st.sampled_from(["too_small", "damaged", ""]),
    forms_of(FIELDS)))


def body_of(pairs: list[tuple[str, str]], extra: bytes) -> bytes:
    encoded = urlencode(pairs, errors="surrogatepass").encode()
    return encoded + (b"&" + extra if extra else b"")


@pytest.fixture(scope="module")
def shopper(client: Client) -> Browser:
    put_policy(client)
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


def assert_a_page(response: Any, path: str, form: object, *, lang: str | None = None) -> None:
    """Under 500; a redirect to one of our pages, or an HTML page (in `lang`) without internals."""
    status = response.status_code
    headers = response.headers
    assert status < 500, f"{path} {form!r}: {status}"
    if status in (302, 303):
        assert headers["Location"].startswith("/"), headers["Location"]
        return
    assert headers["Content-Type"].startswith("text/html"), f"{path} {form!r}: {headers['Content-Type']}"
    assert b"Traceback" not in response.body
    if lang is not None:
        assert re.search(rf'<html lang="{re.escape(lang)}"', response.body.decode(), re.IGNORECASE), (path, form)


@pytest.mark.parametrize("path", ["/lookup", "/return/items", "/return/resolution", "/return/confirm", CANCEL])
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(form=forms, extra=garbage, keep_csrf=st.booleans())
# The classes every run tries, whatever the generator draws.
@example(form=[("return-0", "1"), ("quantity-0", "²"), ("reason-0", "too_small")], extra=b"", keep_csrf=True)
@example(form=[("return-0", "1"), ("quantity-0", "１"), ("return-0", "1"), ("quantity-0", "[" * 3000),
               ("resolution", "refund"), ("resolution", "store_credit"), ("confirm", "yes")],
         extra=b"%ff%fe&=&%", keep_csrf=True)
def test_random_forms_get_a_page_never_a_server_error(shopper: Browser, path: str, form: list[tuple[str, str]],
                                                      extra: bytes, keep_csrf: bool) -> None:
    # A fresh session each time: the fuzzed posts must not drift the session into one state.
    path = path.format(rma=shopper.rma)  # type: ignore[attr-defined]
    browser = Browser(shopper.client, accept_language="ko")
    browser.cookies = dict(shopper.cookies)
    pairs = list(form)
    if keep_csrf:
        pairs.append(("csrf", browser.csrf_of("/return/items")))
    response = browser.client.http.post(path, headers=browser._headers(FORM), body=body_of(pairs, extra))
    assert_a_page(response, path, form, lang="ko")


# --- the warehouse ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def staff(client: Client) -> Browser:
    """A signed-in warehouse member's browser (the scanned return is the fuzzed order's)."""
    browser = Browser(client)
    name, _, token = console_cookie("warehouse")["Cookie"].partition("=")
    browser.cookies[name] = token
    return browser


def warehouse_csrf(browser: Browser) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', browser.get("/warehouse").body.decode())
    assert found, "no CSRF field on the warehouse page"
    return found.group(1)


@pytest.mark.parametrize("path", ["/warehouse/receive", "/warehouse?rma=R-0000-0000"])
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(form=forms_of(WAREHOUSE_FIELDS), extra=garbage, keep_csrf=st.booleans())
@example(form=[("rma", "x" * 3000), ("rma", "²")], extra=b"%ff", keep_csrf=True)
def test_random_warehouse_forms_get_a_page_never_a_server_error(
    confirm_form: tuple[str, str], staff: Browser, path: str, form: list[tuple[str, str]], extra: bytes,
    keep_csrf: bool,
) -> None:
    # The merchant's pending return (confirm_form) is made before the warehouse is fuzzed.
    browser = Browser(staff.client)
    browser.cookies = dict(staff.cookies)
    pairs = list(form)
    if keep_csrf:
        pairs.append(("csrf", warehouse_csrf(browser)))
    response = browser.client.http.post(path, headers=browser._headers(FORM), body=body_of(pairs, extra))
    assert_a_page(response, path, form, lang="en")


# --- the merchant's confirm form ----------------------------------------------------------------

@pytest.fixture(scope="module")
def confirm_form(client: Client, aws_endpoint: str) -> tuple[str, str]:
    """The approve link of a return waiting for the merchant, and the language of its pages."""
    from chalicelib.adapters.ses_approvals import locale_of

    rma = pending_return(client, "F5901")
    return links_of(aws_endpoint, rma)["approve"], locale_of(get_deps().settings.merchant_locale)


def decides(pairs: list[tuple[str, str]]) -> bool:
    """Whether a form would decide for real (then every later example sees "already decided")."""
    form = dict(pairs)
    action = form.get("decision", "")
    fee = form.get("fee_percent", "").strip()
    return action in ACTIONS and (action != APPROVE_FEE or (fee.isascii() and fee.isdigit() and 1 <= int(fee) <= 100))


@settings(max_examples=50, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(form=forms_of(MERCHANT_FIELDS), extra=garbage, keep_csrf=st.booleans())
@example(form=[("decision", "foo")], extra=b"", keep_csrf=True)
@example(form=[("decision", "approve_fee"), ("fee_percent", "²")], extra=b"", keep_csrf=True)
@example(form=[("decision", "approve_fee"), ("fee_percent", "１")], extra=b"", keep_csrf=True)
def test_random_confirm_forms_get_a_page_never_a_server_error(
    client: Client, confirm_form: tuple[str, str], form: list[tuple[str, str]], extra: bytes, keep_csrf: bool,
) -> None:
    path, lang = confirm_form
    pairs = list(form)
    if keep_csrf:
        found = MERCHANT_CSRF.search(client.http.get(path).body.decode())
        assert found, "the return was decided by an earlier example"
        pairs.append(("csrf", found.group(1)))
    assume(not (keep_csrf and decides(pairs)))
    response = client.http.post(path, headers=FORM, body=body_of(pairs, extra))
    assert_a_page(response, path, form, lang=lang)
