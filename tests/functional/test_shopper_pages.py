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
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN

LOCAL_SIGNING_KEY = "local-signing-key-not-a-secret"
XSS = "<script>alert(1)</script>"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


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
    response = shopper.post("/lookup", {"order_number": number, "email": email})
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


def returns_of(number: str) -> int:
    from chalicelib.bootstrap import get_deps

    return len(get_deps().returns.of_order(number))


@pytest.mark.parametrize(("query", "cookie", "accept", "expected"), [
    ("?lang=ko", "ja", "zh-CN,zh;q=0.9", "ko"),
    ("", "ja", "zh-CN,zh;q=0.9", "ja"),
    ("", "", "fr-FR, zh-CN;q=0.8, en;q=0.5", "zh-Hans"),
    ("", "", "fr-FR", "en"),
    ("?lang=xx", "", "ko-KR", "ko"),
])
def test_the_language_comes_from_the_query_then_the_cookie_then_the_browser(
    client: Client, query: str, cookie: str, accept: str, expected: str
) -> None:
    shopper = Browser(client, accept_language=accept)
    if cookie:
        shopper.cookies["retour_lang"] = cookie
    page = shopper.get("/" + query)
    assert f'<html lang="{expected}">' in page.body.decode()
    assert page.headers["Content-Language"] == expected


def test_without_any_other_hint_the_order_speaks_its_own_language(client: Client) -> None:
    shopper = signed_in(client, "7001", "aiko@example.jp")
    page = shopper.get("/return/items")
    assert '<html lang="ja">' in page.body.decode()
    assert "この商品を返品する" in text(page)


def test_a_chosen_language_is_remembered_in_a_cookie_and_the_switcher_keeps_the_step(client: Client) -> None:
    shopper = signed_in(client)
    page = shopper.get("/return/items?lang=zh-Hans")
    assert shopper.cookies["retour_lang"] == "zh-Hans"
    # On a step, the menu sends the step's form to the same step in the other language.
    assert 'formaction="/return/items?lang=ja"' in page.body.decode()
    again = shopper.get("/return/items")
    assert '<html lang="zh-Hans">' in again.body.decode()


def test_the_session_cookie_is_httponly_lax_not_secure_on_the_local_stage_and_lasts_30_minutes(client: Client) -> None:
    shopper = signed_in(client)
    cookie = next(c for c in shopper.set_cookie_headers if c.startswith(SESSION_COOKIE + "=") and "Max-Age=0" not in c)
    flags = [flag.strip().lower() for flag in cookie.split(";")[1:]]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags
    assert "max-age=1800" in flags


def test_a_lookup_without_a_csrf_token_is_refused_with_a_403_page(client: Client) -> None:
    shopper = Browser(client)
    shopper.get("/")
    response = shopper.post("/lookup", {"order_number": "7002", "email": "sam@example.com"}, csrf=False)
    assert response.status_code == 403
    assert response.headers["Content-Type"].startswith("text/html")
    assert "This form can't be sent" in text(response)
    assert "Location" not in response.headers


def test_a_confirm_with_a_missing_or_foreign_csrf_token_writes_nothing(client: Client) -> None:
    shopper = signed_in(client)
    assert choose_first_line(shopper).status_code == 303
    other = Browser(client)
    foreign = other.csrf
    before = returns_of("7002")
    for token in ("", foreign, "v1.forged.token"):
        response = shopper.post("/return/confirm", {"csrf": token}, csrf=False)
        assert response.status_code == 403, token
    assert returns_of("7002") == before


@pytest.mark.parametrize("cookie", ["tampered", "expired"])
def test_a_tampered_or_expired_session_goes_back_to_the_start_with_a_message(client: Client, cookie: str) -> None:
    shopper = signed_in(client)
    if cookie == "tampered":
        value = shopper.cookies[SESSION_COOKIE]
        shopper.cookies[SESSION_COOKIE] = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    else:
        subject = json.dumps({"n": "abc", "o": "7002", "l": "en"}, separators=(",", ":"))
        shopper.cookies[SESSION_COOKIE] = SignedTokens(lambda: LOCAL_SIGNING_KEY).issue(
            subject, purpose=SESSION_PURPOSE, now=datetime.now(UTC) - timedelta(minutes=31),
            ttl=timedelta(minutes=30))
    response = shopper.get("/return/items")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?ended=1"
    start = shopper.get(response.headers["Location"])
    assert "Your session has ended" in text(start)
    assert SESSION_COOKIE in shopper.cookies  # a fresh anonymous one


def test_a_bearer_token_of_the_api_is_no_page_session(client: Client) -> None:
    token = SignedTokens(lambda: LOCAL_SIGNING_KEY).issue(
        "7002", purpose="shopper", now=datetime.now(UTC), ttl=timedelta(minutes=30))
    shopper = Browser(client)
    shopper.cookies[SESSION_COOKIE] = token
    assert shopper.get("/return/items").headers["Location"] == "/?ended=1"


def test_a_wrong_pair_gets_one_neutral_message_in_the_shoppers_language(client: Client) -> None:
    shopper = Browser(client, accept_language="ja")
    wrong_email = shopper.post("/lookup", {"order_number": "7001", "email": "nobody@example.jp"})
    unknown = shopper.post("/lookup", {"order_number": "9999999", "email": "aiko@example.jp"})
    assert wrong_email.status_code == unknown.status_code == 404
    message = "この注文番号とメールアドレスに一致するご注文が見つかりませんでした"
    assert message in text(wrong_email) and message in text(unknown)
    assert 'aria-invalid="true"' in wrong_email.body.decode()
    assert SESSION_COOKIE in shopper.cookies
    assert shopper.get("/return/items").status_code == 303


def test_empty_fields_get_their_own_messages_next_to_them(client: Client) -> None:
    shopper = Browser(client, accept_language="ko")
    response = shopper.post("/lookup", {"order_number": "", "email": "not-an-email"})
    assert response.status_code == 400
    body = response.body.decode()
    assert 'id="order_number-error"' in body and 'id="email-error"' in body
    assert 'aria-describedby="email-hint email-error"' in body
    assert "주문 번호를 입력해 주세요." in text(response)
    assert 'href="#email"' in body  # the error summary links to the field


@pytest.mark.parametrize(("fields", "field_id", "message"), [
    ({"quantity-0": "9"}, "quantity-0", "Organic tee — navy, M: Choose how many to return, from 1 to"),
    ({"quantity-0": "abc"}, "quantity-0", "Organic tee — navy, M: Choose how many to return, from 1 to"),
    ({"reason-0": ""}, "reason-0", "Organic tee — navy, M: Choose a reason for returning this item."),
    ({"reason-0": "bored"}, "reason-0", "Organic tee — navy, M: Choose a reason for returning this item."),
    ({"reason-0": "damaged", "note-0": "  "}, "note-0", "Organic tee — navy, M: This reason needs a short note"),
    ({"note-0": "x" * 501}, "note-0",
     "Organic tee — navy, M: Shorten the note to 500 characters or fewer (it has 501)."),
])
def test_bad_choices_get_a_400_with_the_message_beside_the_field_and_keep_nothing(
    client: Client, fields: dict[str, str], field_id: str, message: str
) -> None:
    shopper = signed_in(client)
    form = {"return-0": "1", "quantity-0": "1", "reason-0": "too_small", "note-0": "", **fields}
    form["csrf"] = shopper.csrf_of("/return/items")
    response = shopper.post("/return/items", form)
    assert response.status_code == 400
    body = response.body.decode()
    assert f'id="{field_id}-error"' in body
    assert message in text(response)
    assert shopper.get("/return/resolution").headers["Location"] == "/return/items"


def test_nothing_chosen_is_a_400_and_an_unreturnable_line_cannot_be_smuggled_in(client: Client) -> None:
    shopper = signed_in(client)
    csrf = shopper.csrf_of("/return/items")
    nothing = shopper.post("/return/items", {"csrf": csrf})
    assert nothing.status_code == 400
    assert "Choose at least one item to return." in text(nothing)


def test_an_unoffered_resolution_is_refused(client: Client) -> None:
    shopper = signed_in(client)
    assert choose_first_line(shopper).status_code == 303
    csrf = shopper.csrf_of("/return/resolution")
    response = shopper.post("/return/resolution", {"csrf": csrf, "resolution": "cash_in_an_envelope"})
    assert response.status_code == 400
    assert 'id="resolution-error"' in response.body.decode()


def test_a_rate_limited_lookup_gets_a_friendly_429_page(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.bootstrap import Deps

    # This module's stage allows many lookups (tests/functional/conftest.py); three here.
    monkeypatch.setattr(Deps, "lookups_per_window", property(lambda self: 3))
    shopper = Browser(client, accept_language="zh-CN")
    last = None
    for _ in range(12):
        last = shopper.post("/lookup", {"order_number": "7999", "email": "who@example.com"})
        if last.status_code == 429:
            break
    assert last is not None and last.status_code == 429
    assert "您在短时间内尝试了多次" in text(last)
    assert int(last.headers["Retry-After"]) > 0


def test_a_return_of_another_order_is_not_found(client: Client) -> None:
    owner = signed_in(client, "7001", "aiko@example.jp")
    assert choose_first_line(owner).status_code == 303
    owner.post("/return/resolution", {"csrf": owner.csrf_of("/return/resolution"), "resolution": "refund"})
    done = owner.post("/return/confirm", {"csrf": owner.csrf_of("/return/review")})
    rma = done.headers["Location"].split("/")[2]
    stranger = signed_in(client)
    response = stranger.get(f"/returns/{rma}")
    assert response.status_code == 404
    assert rma not in response.body.decode()


def test_every_page_escapes_the_customer_name(client: Client) -> None:
    shopper = signed_in(client)
    pages = [shopper.get("/return/items")]
    choose_first_line(shopper, reason="not_as_described", note=XSS)
    pages.append(shopper.get("/return/resolution"))
    shopper.post("/return/resolution", {"csrf": shopper.csrf_of("/return/resolution"), "resolution": "refund"})
    pages.append(shopper.get("/return/review"))
    done = shopper.post("/return/confirm", {"csrf": shopper.csrf_of("/return/review")})
    pages.append(shopper.get(done.headers["Location"]))
    pages.append(shopper.get(done.headers["Location"].removesuffix("/confirmation")))
    for page in pages:
        assert page.status_code == 200
        body = page.body.decode()
        assert "<script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].body.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[-1].body.decode()


def test_an_approved_return_offers_its_label_in_three_sizes_to_its_session_only(client: Client, aws_endpoint: str) -> None:
    import boto3

    from chalicelib.bootstrap import get_deps

    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name="us-east-1")
    bucket = get_deps().settings.label_bucket
    assert bucket
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    shopper = signed_in(client, "7001", "aiko@example.jp")
    assert choose_first_line(shopper, quantity="1").status_code == 303
    shopper.post("/return/resolution", {"csrf": shopper.csrf_of("/return/resolution"), "resolution": "refund"})
    done = shopper.post("/return/confirm", {"csrf": shopper.csrf_of("/return/review")})
    rma = done.headers["Location"].split("/")[2]
    body = shopper.get(done.headers["Location"]).body.decode()
    for size in ("4x6", "a4", "letter"):
        assert f'href="/returns/{rma}/label?size={size}"' in body
    download = shopper.get(f"/returns/{rma}/label?size=a4")
    assert download.status_code == 303
    assert rma in download.headers["Location"]
    assert Browser(client).get(f"/returns/{rma}/label").headers["Location"] == f"/?rma={rma}"


def test_a_double_click_on_confirm_makes_one_return(client: Client) -> None:
    document = an_order_document(number="7009", email="double@example.com", locale="en", currency="USD",
                                 placed_at=days_ago(7), delivered_at=days_ago(5))
    assert client.http.put("/api/v1/admin/orders/7009", headers=ADMIN, body=json.dumps(document)).status_code == 201
    shopper = signed_in(client, "7009", "double@example.com")
    choose_first_line(shopper)  # one of the line's two units: a second return would still fit
    shopper.post("/return/resolution", {"csrf": shopper.csrf_of("/return/resolution"), "resolution": "refund"})
    csrf = shopper.csrf_of("/return/review")
    # Both clicks leave the browser before the first answer: both carry the same cookie.
    cookies = dict(shopper.cookies)
    first = shopper.post("/return/confirm", {"csrf": csrf})
    shopper.cookies = dict(cookies)
    second = shopper.post("/return/confirm", {"csrf": csrf})
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert returns_of("7009") == 1


# --- cancelling a return ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def refund_queue(aws_endpoint: str) -> None:
    """The local stage's refund queue, so a parcel received in these tests can queue its refund."""
    import boto3

    from devstack.sqs import ensure_refund_queues

    sqs = boto3.client("sqs", endpoint_url=aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    ensure_refund_queues(sqs, "retour-local-refunds")


def an_order_of_two_tees(client: Client, number: str, *, locale: str = "en", late: bool = False) -> str:
    """A fresh order (two tees on L1); `late` puts it past the window, so the store must approve."""
    delivered = 45 if late else 5
    email = f"shopper{number}@example.com"
    document = an_order_document(number=number, email=email, locale=locale,
                                 currency="USD" if locale == "en" else "JPY",
                                 placed_at=days_ago(delivered + 2), delivered_at=days_ago(delivered))
    response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code in (200, 201), response.json_body
    return email


def a_return_of_both_tees(client: Client, number: str, **browser: Any) -> tuple[Browser, str]:
    """Through the pages: both tees, refund; the shopper's browser and the RMA."""
    shopper = signed_in(client, number, f"shopper{number}@example.com", **browser)
    assert choose_first_line(shopper, quantity="2").status_code == 303
    shopper.post("/return/resolution", {"csrf": shopper.csrf_of("/return/resolution"), "resolution": "refund"})
    done = shopper.post("/return/confirm", {"csrf": shopper.csrf_of("/return/review")})
    assert done.status_code == 303, text(done)
    return shopper, done.headers["Location"].split("/")[2]


def stored_return(rma: str) -> Any:
    from chalicelib.bootstrap import get_deps

    found = get_deps().returns.get(rma)
    assert found is not None
    return found


def available_on_lookup(client: Client, number: str) -> int:
    """How many tees a fresh lookup offers (the API a storefront or the pages would ask)."""
    found = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": number, "email": f"shopper{number}@example.com"}))
    assert found.status_code == 200, found.json_body
    verdict = found.json_body["order"]["lines"][0]["verdict"]
    return int(verdict["quantity_available"]) if verdict["status"] == "returnable" else 0


def emails_to(aws_endpoint: str, number: str) -> list[Any]:
    from chalicelib.adapters.local_ses_outbox import sent_emails

    return [e for e in sent_emails(aws_endpoint) if e.to == f"shopper{number}@example.com"]


def test_the_shopper_cancels_after_confirming_and_the_items_are_offered_again(
    client: Client, aws_endpoint: str, refund_queue: None,
) -> None:
    an_order_of_two_tees(client, "7101")
    shopper, rma = a_return_of_both_tees(client, "7101")
    assert available_on_lookup(client, "7101") == 0
    status_page = shopper.get(f"/returns/{rma}").body.decode()
    assert f'<form method="post" action="/returns/{rma}/cancel">' in status_page
    assert "Cancel this return" in status_page

    # The status page's button only asks: one tap cancels nothing.
    asked = shopper.post(f"/returns/{rma}/cancel", {"csrf": shopper.csrf_of(f"/returns/{rma}")})
    assert asked.status_code == 303 and asked.headers["Location"] == f"/returns/{rma}/cancel"
    assert stored_return(rma).status == "approved"
    confirm_page = shopper.get(f"/returns/{rma}/cancel")
    assert confirm_page.status_code == 200
    assert f"Cancel return {rma}?" in text(confirm_page)
    assert "Your return label stops working" in text(confirm_page)
    assert 'name="confirm" value="yes"' in confirm_page.body.decode()
    assert stored_return(rma).status == "approved"  # opening the confirmation changes nothing

    done = shopper.post(f"/returns/{rma}/cancel", {"csrf": shopper.csrf_of(f"/returns/{rma}/cancel"),
                                                   "confirm": "yes"})
    assert done.status_code == 303 and done.headers["Location"] == f"/returns/{rma}"
    after = shopper.get(f"/returns/{rma}")
    body = text(after)
    assert after.status_code == 200
    assert "Cancelled" in body and "Return cancelled" in body and "You cancelled this return" in body
    assert f'action="/returns/{rma}/cancel"' not in body  # nothing left to cancel
    assert "/label?size=" not in body  # no label links any more
    assert "Total refund" not in body  # nothing is paid back for a cancelled return
    label = shopper.get(f"/returns/{rma}/label?size=a4")
    assert label.status_code == 409 and "its label can no longer be used" in text(label)
    assert shopper.get(f"/returns/{rma}/cancel").headers["Location"] == f"/returns/{rma}"

    # Right after, the same units can be returned again.
    assert available_on_lookup(client, "7101") == 2
    items = text(shopper.get("/return/items"))
    assert "Return this item" in items
    cancelled_mail = [e for e in emails_to(aws_endpoint, "7101") if e.subject == f"Your return {rma} is cancelled"]
    assert len(cancelled_mail) == 1
    assert "throw it away" in cancelled_mail[0].text


def test_a_japanese_shopper_withdraws_a_request_waiting_for_the_store(client: Client, aws_endpoint: str) -> None:
    an_order_of_two_tees(client, "7102", locale="ja", late=True)
    shopper, rma = a_return_of_both_tees(client, "7102")
    assert stored_return(rma).status == "pending_approval"
    status_page = shopper.get(f"/returns/{rma}")
    assert '<html lang="ja">' in status_page.body.decode()
    assert "この返品をキャンセルする" in text(status_page)
    confirm_page = text(shopper.get(f"/returns/{rma}/cancel"))
    assert f"返品 {rma} をキャンセルしますか？" in confirm_page
    assert "ストアはこの返品リクエストを審査しなくなります。" in confirm_page
    assert "返品ラベル" not in confirm_page  # a request has no label yet
    done = shopper.post(f"/returns/{rma}/cancel", {"csrf": shopper.csrf_of(f"/returns/{rma}/cancel"),
                                                   "confirm": "yes"})
    assert done.status_code == 303
    assert stored_return(rma).status == "cancelled"
    assert "この返品はキャンセルされました。" in text(shopper.get(f"/returns/{rma}"))
    subjects = [e.subject for e in emails_to(aws_endpoint, "7102")]
    assert f"返品 {rma} をキャンセルしました" in subjects


def test_a_double_click_on_yes_cancels_once(client: Client, aws_endpoint: str) -> None:
    an_order_of_two_tees(client, "7103")
    shopper, rma = a_return_of_both_tees(client, "7103")
    form = {"csrf": shopper.csrf_of(f"/returns/{rma}/cancel"), "confirm": "yes"}
    first = shopper.post(f"/returns/{rma}/cancel", form)
    second = shopper.post(f"/returns/{rma}/cancel", form)
    assert first.status_code == second.status_code == 303
    assert [e.kind for e in stored_return(rma).events].count("cancelled") == 1
    assert [e.subject for e in emails_to(aws_endpoint, "7103")].count(f"Your return {rma} is cancelled") == 1


def test_a_cancel_without_the_sessions_csrf_token_or_session_changes_nothing(client: Client) -> None:
    an_order_of_two_tees(client, "7104")
    shopper, rma = a_return_of_both_tees(client, "7104")
    foreign = Browser(client).csrf
    for token in ("", foreign, "v1.forged.token"):
        refused = shopper.post(f"/returns/{rma}/cancel", {"csrf": token, "confirm": "yes"}, csrf=False)
        assert refused.status_code == 403, token
        assert "This form can't be sent" in text(refused)
    # A browser without the order's session is sent back to the start.
    stranger = Browser(client)
    ended = stranger.post(f"/returns/{rma}/cancel", {"confirm": "yes"})
    assert ended.status_code == 303 and ended.headers["Location"] == "/?ended=1"
    assert stored_return(rma).status == "approved"


def test_another_orders_return_cannot_be_cancelled_from_this_session(client: Client) -> None:
    an_order_of_two_tees(client, "7105")
    an_order_of_two_tees(client, "7106")
    _, rma = a_return_of_both_tees(client, "7105")
    stranger = signed_in(client, "7106", "shopper7106@example.com")
    assert stranger.get(f"/returns/{rma}/cancel").status_code == 404
    refused = stranger.post(f"/returns/{rma}/cancel", {"confirm": "yes"})
    assert refused.status_code == 404
    assert rma not in refused.body.decode()
    assert stored_return(rma).status == "approved"


def test_too_late_to_cancel_once_the_parcel_arrived_says_why_in_the_shoppers_language(
    client: Client, refund_queue: None,
) -> None:
    an_order_of_two_tees(client, "7107")
    shopper, rma = a_return_of_both_tees(client, "7107", accept_language="ko")
    csrf = shopper.csrf_of(f"/returns/{rma}")
    received = client.http.post(f"/api/v1/admin/returns/{rma}/receive", headers=ADMIN)
    assert received.status_code == 202, received.json_body
    before = stored_return(rma)
    assert 'action="/returns/' + rma + '/cancel"' not in shopper.get(f"/returns/{rma}").body.decode()
    late = shopper.post(f"/returns/{rma}/cancel", {"csrf": csrf, "confirm": "yes"})
    assert late.status_code == 409
    body = text(late)
    assert "스토어가 이미 소포를 받았으므로 이 반품은 취소할 수 없습니다." in body
    assert '<html lang="ko">' in late.body.decode()
    assert stored_return(rma) == before
    assert available_on_lookup(client, "7107") == 0


def test_a_declined_return_says_so_and_promises_no_refund(client: Client, aws_endpoint: str) -> None:
    an_order_of_two_tees(client, "7110", locale="ko", late=True)
    shopper, rma = a_return_of_both_tees(client, "7110")
    before = shopper.get(f"/returns/{rma}").body.decode()
    assert '<table class="money">' in before and "환불 합계" in before  # while the store decides
    declined = client.http.post(f"/api/v1/admin/returns/{rma}/reject", headers=ADMIN,
                                body=json.dumps({"note": "worn"}))
    assert declined.status_code == 200, declined.json_body
    page = shopper.get(f"/returns/{rma}")
    body = text(page)
    assert page.status_code == 200
    assert "스토어에서 이 반품을 거절했으므로 환불되지 않습니다." in body
    assert '<table class="money">' not in page.body.decode() and "환불 합계" not in body
    label = shopper.get(f"/returns/{rma}/label?size=a4")
    assert label.status_code == 409 and "스토어에서 이 반품을 거절했으므로 반품 라벨이 없습니다." in text(label)
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": "7110", "email": "shopper7110@example.com"})).json_body["token"]
    api_label = client.http.get(f"/api/v1/returns/{rma}/label.pdf", headers={"Authorization": f"Bearer {token}"})
    assert api_label.status_code == 409 and api_label.json_body["error"]["code"] == "return_rejected"
