"""The classes of input an attacker tries first get a 4xx in the right shape, never a 5xx: deeply
nested JSON, digits that are not ASCII, a decision a merchant link does not offer, forms past the
size or field limits, bodies that are no form. The API answers its JSON error; a page answers a
page in its reader's language."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.web.forms import MAX_FORM_BYTES, MAX_FORM_FIELDS
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, console_cookie, put_policy
from tests.functional.test_merchant_approvals import CSRF, links_of, pending_return
from tests.functional.test_shopper_pages import FORM, Browser
from tests.fuzz.test_api_schemathesis import is_error_shape

NUMBER = "H6001"
EMAIL = "hostile@example.com"
JSON = {"Content-Type": "application/json"}
# json.loads raises RecursionError somewhere past a thousand levels; both shapes, well past it.
NESTED = ["[" * 10_000, '{"a":' * 10_000, '{"order_number":' + "[" * 100 + "]" * 100 + "}"]
# str.isdigit() is True for every one; int() raises on the superscripts and reads the others.
NON_ASCII_DIGITS = ["²", "¹²", "１", "٣", "߁", "𝟙"]


@pytest.fixture(scope="module", autouse=True)
def an_order(client: Client) -> None:
    put_policy(client)
    document = an_order_document(number=NUMBER, email=EMAIL, locale="en", currency="USD",
                                 placed_at=days_ago(6), delivered_at=days_ago(4))
    response = client.http.put(f"/api/v1/admin/orders/{NUMBER}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code in (200, 201), response.json_body


@pytest.fixture(scope="module")
def shopper_token(client: Client) -> str:
    found = client.http.post("/api/v1/lookup", headers=JSON, body=json.dumps({"order_number": NUMBER, "email": EMAIL}))
    assert found.status_code == 200
    return str(found.json_body["token"])


def assert_json_error(response: Any, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.body[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    assert is_error_shape(response.json_body), response.json_body


def assert_a_page_in(response: Any, status: int, lang: str) -> str:
    assert response.status_code == status, (response.status_code, response.body[:300])
    assert response.headers["Content-Type"].startswith("text/html")
    body: str = response.body.decode()
    assert f'<html lang="{lang}">' in body.replace("<!DOCTYPE", "<!doctype")
    assert "Traceback" not in body
    return body


@pytest.mark.parametrize("body", NESTED, ids=["arrays", "objects", "a nested field"])
@pytest.mark.parametrize(("method", "path", "who"), [
    ("POST", "/api/v1/lookup", "anyone"),
    ("POST", "/api/v1/returns", "shopper"),
    ("PUT", f"/api/v1/admin/orders/{NUMBER}", "admin"),
    ("PUT", "/api/v1/admin/policy", "admin"),
    ("POST", "/api/v1/admin/policy/dry-run", "admin"),
    ("POST", "/api/v1/admin/returns/R-0000-0000/approve", "admin"),
    ("POST", "/api/v1/admin/store-credit/redeem", "admin"),
])
def test_deeply_nested_json_is_a_400_in_the_error_shape(
    client: Client, shopper_token: str, method: str, path: str, who: str, body: str,
) -> None:
    headers = {"anyone": JSON, "admin": ADMIN,
               "shopper": {**JSON, "Authorization": f"Bearer {shopper_token}"}}[who]
    response = client.http.request(method, path, headers=headers, body=body)  # type: ignore[attr-defined]
    assert_json_error(response, 400)


def test_a_made_up_cursor_of_nested_json_is_a_400(client: Client) -> None:
    cursor = base64.urlsafe_b64encode(b"[" * 3000).decode().rstrip("=")
    assert_json_error(client.http.get(f"/api/v1/admin/returns?cursor={cursor}", headers=ADMIN), 400)


@pytest.mark.parametrize("quantity", NON_ASCII_DIGITS)
def test_a_quantity_in_other_digits_gets_the_items_form_again_in_the_shoppers_language(
    client: Client, quantity: str,
) -> None:
    shopper = Browser(client, accept_language="ja")
    assert shopper.post("/lookup", {"order_number": NUMBER, "email": EMAIL}).status_code == 303
    answer = shopper.post("/return/items", {"csrf": shopper.csrf_of("/return/items"), "return-0": "1",
                                            "quantity-0": quantity, "reason-0": "too_small"})
    body = assert_a_page_in(answer, 400, "ja")
    assert 'id="quantity-0-error"' in body  # the message sits beside the field
    # Nothing was kept: the next step still sends the shopper back to the items.
    assert shopper.get("/return/resolution").headers["Location"] == "/return/items"


def test_a_form_past_the_size_limit_is_a_413_page(client: Client) -> None:
    shopper = Browser(client, accept_language="ko")
    body = urlencode({"csrf": shopper.csrf, "order_number": NUMBER, "email": EMAIL, "note": "x" * MAX_FORM_BYTES})
    answer = client.http.post("/lookup", headers=shopper._headers(FORM), body=body)
    assert_a_page_in(answer, 413, "ko")


def test_a_form_with_too_many_fields_is_a_400_page(client: Client) -> None:
    shopper = Browser(client, accept_language="zh-Hans")
    body = "&".join(f"f{i}=1" for i in range(MAX_FORM_FIELDS + 1))
    answer = client.http.post("/lookup", headers=shopper._headers(FORM), body=body)
    assert_a_page_in(answer, 400, "zh-Hans")


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/xml"])
def test_a_body_that_is_no_form_gets_a_page_on_pages_and_json_on_the_api(client: Client, content_type: str) -> None:
    shopper = Browser(client, accept_language="ja")
    page = client.http.post("/lookup", headers=shopper._headers({"Content-Type": content_type}), body="{}")
    assert_a_page_in(page, 415, "ja")
    if content_type != "application/json":
        api = client.http.post("/api/v1/lookup", headers={"Content-Type": content_type}, body="{}")
        assert_json_error(api, 415)


def test_repeated_and_malformed_fields_are_read_not_refused(client: Client) -> None:
    shopper = Browser(client)
    csrf = shopper.csrf
    body = (f"order_number=nope&order_number={NUMBER}&email=%zz%&email={EMAIL.replace('@', '%40')}"
            f"&%ff%fe=%00&==&&csrf=x&csrf={csrf}")
    answer = client.http.post("/lookup", headers=shopper._headers(FORM), body=body)
    assert answer.status_code == 303  # the last of each name counts, as a browser would send it
    assert answer.headers["Location"] == "/return/items"


# --- merchant confirm form --------------------------------------------------------------------

def a_confirm_form(client: Client, aws_endpoint: str, number: str) -> tuple[str, str, str]:
    """A pending return's approve link and the CSRF token of its confirm page."""
    rma = pending_return(client, number)
    path = links_of(aws_endpoint, rma)["approve"]
    found = CSRF.search(client.http.get(path).body.decode())
    assert found
    return rma, path, found.group(1)


def merchant_lang() -> str:
    from chalicelib.adapters.ses_approvals import locale_of

    return locale_of(get_deps().settings.merchant_locale)


@pytest.mark.parametrize("form", [
    {"decision": "foo"}, {"decision": "APPROVE"}, {"decision": ""}, {"decision": "approve\x00"},
    *({"decision": "approve_fee", "fee_percent": digits} for digits in NON_ASCII_DIGITS),
    {"decision": "approve_fee", "fee_percent": "9" * 60},
], ids=lambda form: repr(form))
def test_a_decision_the_link_does_not_offer_gets_the_confirm_form_again_and_decides_nothing(
    client: Client, aws_endpoint: str, form: dict[str, str],
) -> None:
    number = f"H{7000 + sum(map(ord, repr(form))) % 999}"
    rma, path, csrf = a_confirm_form(client, aws_endpoint, number)
    answer = client.http.post(path, headers=FORM, body=urlencode({"csrf": csrf, **form}))
    body = assert_a_page_in(answer, 400, merchant_lang())
    assert 'name="decision"' in body and CSRF.search(body)  # the form again, ready to confirm
    request = get_deps().returns.get(rma)
    assert request is not None and request.status == "pending_approval"


def test_a_merchant_form_past_the_limits_is_a_merchant_page(client: Client, aws_endpoint: str) -> None:
    rma, path, csrf = a_confirm_form(client, aws_endpoint, "H6101")
    huge = client.http.post(path, headers=FORM, body=urlencode({"csrf": csrf, "decision": "approve",
                                                                 "note": "x" * MAX_FORM_BYTES}))
    assert_a_page_in(huge, 413, merchant_lang())
    many = client.http.post(path, headers=FORM, body="&".join(f"f{i}=1" for i in range(MAX_FORM_FIELDS + 1)))
    assert_a_page_in(many, 400, merchant_lang())
    request = get_deps().returns.get(rma)
    assert request is not None and request.status == "pending_approval"


# --- warehouse ------------------------------------------------------------------------------------

def warehouse_member(client: Client) -> Browser:
    """A browser signed in to the console as the warehouse member."""
    staff = Browser(client)
    name, _, token = console_cookie("warehouse")["Cookie"].partition("=")
    staff.cookies[name] = token
    return staff


def test_warehouse_forms_past_the_limits_are_console_pages(client: Client) -> None:
    staff = warehouse_member(client)
    page = staff.get("/warehouse").body.decode()
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found
    for path in ("/warehouse/receive", "/console/sign-out"):
        huge = client.http.post(path, headers=staff._headers(FORM),
                                body=urlencode({"csrf": found.group(1), "rma": "x" * MAX_FORM_BYTES}))
        assert_a_page_in(huge, 413, "en")
        as_json = client.http.post(path, headers=staff._headers(JSON), body="[" * 10_000)
        assert_a_page_in(as_json, 415, "en")


def another_spelling(token: str) -> str:
    """The same 32 bytes with the spare low bits of the last base64url character set."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    value = alphabet.index(token[-1])
    assert value % 4 == 0, "token_urlsafe writes the canonical spelling"  # 43 characters: 2 spare bits
    return token[:-1] + alphabet[value + 1]


@pytest.mark.parametrize("spelling", ["an extra '='", "a trailing character", "a trailing newline",
                                      "a space", "another spelling of the last character"])
def test_an_approval_link_opens_only_in_its_exact_spelling(client: Client, aws_endpoint: str, spelling: str) -> None:
    rma, path, _ = a_confirm_form(client, aws_endpoint, f"H62{len(spelling):02d}")
    token = path.rsplit("/", 1)[1]
    altered = {"an extra '='": token + "=", "a trailing character": token + "A",
               "a trailing newline": token + "%0A", "a space": token + "%20",
               "another spelling of the last character": another_spelling(token)}[spelling]
    page = client.http.get(f"/merchant/approvals/{altered}")
    body = assert_a_page_in(page, 403, merchant_lang())
    assert 'name="decision"' not in body and rma not in body
    posted = client.http.post(f"/merchant/approvals/{altered}", headers=FORM, body=urlencode({"decision": "approve"}))
    assert_a_page_in(posted, 403, merchant_lang())
    request = get_deps().returns.get(rma)
    assert request is not None and request.status == "pending_approval"


def test_a_warehouse_scan_throttled_past_the_retries_is_a_503_page(client: Client) -> None:
    import botocore.endpoint

    from tests.dynamodb_faults import Throttle

    staff = warehouse_member(client)
    dynamodb = get_deps().returns._client  # type: ignore[attr-defined]
    hook = Throttle()
    dynamodb.meta.events.register_first("before-send.dynamodb", hook)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)
            busy = staff.get("/warehouse?rma=R-0000-0000")
    finally:
        dynamodb.meta.events.unregister("before-send.dynamodb", hook)
    assert hook.throttled > 1
    assert_a_page_in(busy, 503, "en")
    assert busy.headers["Retry-After"] == "2"
