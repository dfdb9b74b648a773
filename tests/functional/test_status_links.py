"""The emails' "Follow your return" link opens that one return without a lookup (its status page,
label and cancel), never the order's other returns nor a new return, and never replaces the
session the browser holds; a tampered or expired link gets the lookup form in the shopper's
language."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from chalice.test import Client

from chalicelib.adapters.local_ses_outbox import OutboxEmail, sent_emails
from chalicelib.adapters.signed_tokens import SignedTokens
from chalicelib.services.status_links import STATUS_LINK_PURPOSE
from chalicelib.web.sessions import GRANT_COOKIE, SESSION_COOKIE
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN
from tests.functional.test_shopper_pages import Browser, signed_in, text

LOCAL_SIGNING_KEY = "local-signing-key-not-a-secret"
LINK = re.compile(r"http://127\.0\.0\.1:8000(/returns/(R-[0-9A-Z]{4}-[0-9A-Z]{4})\?link=[A-Za-z0-9._%-]+)")


def email_of(number: str) -> str:
    return f"follow{number}@example.com"


def an_order(client: Client, number: str, *, locale: str = "en") -> None:
    document = an_order_document(number=number, email=email_of(number), locale=locale,
                                 currency="USD" if locale == "en" else "JPY",
                                 placed_at=days_ago(7), delivered_at=days_ago(5))
    response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code in (200, 201), response.json_body


def token_for(client: Client, number: str) -> str:
    found = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": number, "email": email_of(number)}))
    assert found.status_code == 200, found.json_body
    return str(found.json_body["token"])


def a_return(client: Client, number: str, *, locale: str = "en") -> str:
    """A return of one tee, requested through the API (no page session anywhere)."""
    an_order(client, number, locale=locale)
    created = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json",
                                    "Authorization": f"Bearer {token_for(client, number)}"},
        body=json.dumps({"order_number": number, "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
    assert created.status_code == 201, created.json_body
    return str(created.json_body["rma"])


def mail_about(aws_endpoint: str, number: str, rma: str, subject_has: str = "") -> OutboxEmail:
    found = [e for e in sent_emails(aws_endpoint)
             if e.to == email_of(number) and rma in e.subject and subject_has in e.subject]
    assert found, f"no email about {rma}"
    return found[0]


def link_in(mail: OutboxEmail) -> str:
    """The path and query of the "Follow your return" link, the same in both parts."""
    in_text = {m.group(1) for m in LINK.finditer(mail.text)}
    in_html = {m.group(1) for m in LINK.finditer(mail.html)}
    assert len(in_text) == 1 and in_text == in_html, (in_text, in_html)
    return in_text.pop()


def token_of(path: str) -> str:
    return parse_qs(urlsplit(path).query)["link"][0]


def forged(subject: dict[str, str], *, issued: datetime | None = None, ttl: timedelta = timedelta(days=60),
           purpose: str = STATUS_LINK_PURPOSE) -> str:
    """A token signed with the local stage's key (what only the app can make on a real stage)."""
    return SignedTokens(lambda: LOCAL_SIGNING_KEY).issue(
        json.dumps(subject, separators=(",", ":"), sort_keys=True), purpose=purpose,
        now=issued or datetime.now(UTC), ttl=ttl)


def test_the_link_of_a_real_email_opens_that_returns_status_page_and_nothing_else(
    client: Client, aws_endpoint: str,
) -> None:
    rma = a_return(client, "7301")
    path = link_in(mail_about(aws_endpoint, "7301", rma))
    assert path.startswith(f"/returns/{rma}?link=v1.")
    shopper = Browser(client)  # straight from the inbox: no cookie at all

    opened = shopper.get(path)

    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/returns/{rma}"  # the token leaves the address bar
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    assert opened.headers["Cache-Control"] == "no-store"
    grant = next(c for c in shopper.set_cookie_headers if c.startswith(f"{GRANT_COOKIE}="))
    assert f"Path=/returns/{rma};" in grant and "HttpOnly" in grant  # sent to this return's pages only
    page = shopper.get(opened.headers["Location"])
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    body = text(page)
    assert f"Return {rma}" in body and "Return requested" in body and "Order 7301" in body
    assert token_of(path) not in page.body.decode()
    # No session of the order: a new return on it still takes the lookup.
    assert shopper.get("/return/items").headers["Location"] == "/?ended=1"


def test_the_link_works_again_and_in_the_later_emails_too(client: Client, aws_endpoint: str) -> None:
    rma = a_return(client, "7302", locale="ja")
    first = link_in(mail_about(aws_endpoint, "7302", rma))
    assert Browser(client).get(first).headers["Location"] == f"/returns/{rma}"
    assert Browser(client).get(first).headers["Location"] == f"/returns/{rma}"  # not single-use
    cancelled = client.http.post(f"/api/v1/returns/{rma}/cancel",
                                 headers={"Authorization": f"Bearer {token_for(client, '7302')}"})
    assert cancelled.status_code == 200
    later = link_in(mail_about(aws_endpoint, "7302", rma, subject_has="キャンセル"))
    shopper = Browser(client)
    assert shopper.get(later).headers["Location"] == f"/returns/{rma}"
    page = shopper.get(f"/returns/{rma}")
    assert '<html lang="ja">' in page.body.decode()  # the order's language, as after a lookup
    assert "この返品はキャンセルされました。" in text(page)


@pytest.mark.parametrize(("case", "status", "message"), [
    ("tampered", 403, "この返品へのリンクは不完全か、無効になっています。"),
    ("truncated", 403, "この返品へのリンクは不完全か、無効になっています。"),
    ("expired", 410, "この返品へのリンクは有効期限が切れています。"),
    ("a shopper API token", 403, "この返品へのリンクは不完全か、無効になっています。"),
])
def test_a_bad_link_gets_the_lookup_form_in_the_shoppers_language_and_no_session(
    client: Client, aws_endpoint: str, case: str, status: int, message: str,
) -> None:
    number = {"tampered": "7303", "truncated": "7313", "expired": "7323", "a shopper API token": "7333"}[case]
    rma = a_return(client, number)
    token = token_of(link_in(mail_about(aws_endpoint, number, rma)))
    bad = {
        "tampered": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        "truncated": token[: len(token) // 2],
        "expired": forged({"r": rma, "o": number}, issued=datetime.now(UTC) - timedelta(days=61)),
        "a shopper API token": token_for(client, number),
    }[case]
    shopper = Browser(client, accept_language="ja")

    refused = shopper.get(f"/returns/{rma}?link={bad}")

    assert refused.status_code == status
    assert refused.headers["Content-Type"].startswith("text/html")
    assert refused.headers["Referrer-Policy"] == "no-referrer"
    body = refused.body.decode()
    assert message in text(refused)
    assert 'action="/lookup"' in body and f'name="rma" value="{rma}"' in body  # back here after the lookup
    assert "Traceback" not in body and bad not in body
    # Nothing about the order was opened.
    assert shopper.get("/return/items").headers["Location"] == "/?ended=1"
    assert shopper.get(f"/returns/{rma}").headers["Location"] == f"/?rma={rma}"


def test_the_lookup_offered_by_a_refused_link_leads_back_to_the_return(client: Client, aws_endpoint: str) -> None:
    rma = a_return(client, "7304")
    shopper = Browser(client)
    refused = shopper.get(f"/returns/{rma}?link=v1.nope.nope")
    assert refused.status_code == 403
    csrf = re.search(r'name="csrf" value="([^"]+)"', refused.body.decode()).group(1)  # type: ignore[union-attr]
    found = shopper.post("/lookup", {"csrf": csrf, "order_number": "7304", "email": email_of("7304"), "rma": rma})
    assert found.headers["Location"] == f"/returns/{rma}"
    assert shopper.get(f"/returns/{rma}").status_code == 200


def test_an_expired_link_in_a_browser_that_holds_the_order_just_shows_the_return(client: Client) -> None:
    rma = a_return(client, "7305")
    shopper = signed_in(client, "7305", email_of("7305"))
    expired = forged({"r": rma, "o": "7305"}, issued=datetime.now(UTC) - timedelta(days=90))
    assert shopper.get(f"/returns/{rma}?link={expired}").headers["Location"] == f"/returns/{rma}"


def test_a_link_for_return_a_never_shows_order_b(client: Client, aws_endpoint: str) -> None:
    rma_a = a_return(client, "7306")
    rma_b = a_return(client, "7307")
    link_a = link_in(mail_about(aws_endpoint, "7306", rma_a))
    token_a = token_of(link_a)

    # A's token on B's address is refused, and shows nothing of B.
    shopper = Browser(client)
    moved = shopper.get(f"/returns/{rma_b}?link={token_a}")
    assert moved.status_code == 403
    assert "7307" not in moved.body.decode()
    assert shopper.get(f"/returns/{rma_b}").headers["Location"] == f"/?rma={rma_b}"

    # A's link opens A only: B's page asks for the lookup, as if no link had been opened.
    assert shopper.get(link_a).headers["Location"] == f"/returns/{rma_a}"
    assert shopper.get(f"/returns/{rma_b}").headers["Location"] == f"/?rma={rma_b}"

    # Even a genuine signature naming B's return with A's order opens nothing: the return is
    # checked against the order.
    mixed = forged({"r": rma_b, "o": "7306"})
    stranger = Browser(client)
    assert stranger.get(f"/returns/{rma_b}?link={mixed}").status_code == 403
    assert stranger.get("/return/items").headers["Location"] == "/?ended=1"


def test_a_page_session_cookie_is_no_status_link(client: Client) -> None:
    rma = a_return(client, "7308")
    shopper = signed_in(client, "7308", email_of("7308"))
    cookie = shopper.cookies[SESSION_COOKIE]
    assert Browser(client).get(f"/returns/{rma}?link={cookie}").status_code == 403


def test_the_label_keeps_its_plain_address(client: Client) -> None:
    """The label's QR code travels through many hands: it never carries a link that opens a session."""
    from chalicelib.bootstrap import get_deps

    rma = a_return(client, "7309")
    deps = get_deps()
    request = deps.returns.get(rma)
    assert request is not None
    from chalicelib.services.issue_label import label_document

    assert label_document(deps, request).status_url == f"{deps.public_base_url.rstrip('/')}/returns/{rma}"
    assert "?link=" in deps.status_url(request)


@pytest.mark.usefixtures("s3")  # the approval issues the label into the stage's bucket
def test_the_decision_emails_links_open_the_approved_return_with_its_label(client: Client, aws_endpoint: str) -> None:
    number = "7310"
    document = an_order_document(number=number, email=email_of(number), locale="en", currency="USD",
                                 placed_at=days_ago(50), delivered_at=days_ago(45))
    assert client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document)).status_code == 201
    created = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json",
                                    "Authorization": f"Bearer {token_for(client, number)}"},
        body=json.dumps({"order_number": number, "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
    rma = created.json_body["rma"]
    assert created.json_body["status"] == "pending_approval"
    assert client.http.post(f"/api/v1/admin/returns/{rma}/approve", headers=ADMIN, body="{}").status_code == 200
    decision = mail_about(aws_endpoint, number, rma, subject_has="is approved")
    path = link_in(decision)
    shopper = Browser(client)
    assert shopper.get(path).headers["Location"] == f"/returns/{rma}"
    page = shopper.get(f"/returns/{rma}").body.decode()
    assert f'href="/returns/{rma}/label?size=a4"' in page


def a_second_return(client: Client, number: str) -> str:
    """Another return on the same order (the second tee), through the API."""
    created = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json",
                                    "Authorization": f"Bearer {token_for(client, number)}"},
        body=json.dumps({"order_number": number, "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
    assert created.status_code == 201, created.json_body
    return str(created.json_body["rma"])


def csrf_on(page: Any) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.body.decode())
    assert found, "no CSRF field on the page"
    return found.group(1)


def test_the_link_cancels_its_return_after_asking_first(client: Client, aws_endpoint: str) -> None:
    rma = a_return(client, "7311")
    shopper = Browser(client)
    assert shopper.get(link_in(mail_about(aws_endpoint, "7311", rma))).headers["Location"] == f"/returns/{rma}"
    status = shopper.get(f"/returns/{rma}")
    asked = shopper.post(f"/returns/{rma}/cancel", {"csrf": csrf_on(status)})
    assert asked.headers["Location"] == f"/returns/{rma}/cancel"  # one tap cancels nothing
    confirm = shopper.get(f"/returns/{rma}/cancel")
    assert confirm.status_code == 200 and "Yes, cancel this return" in text(confirm)
    assert shopper.post(f"/returns/{rma}/cancel", {"csrf": csrf_on(confirm), "confirm": "yes"}).headers[
        "Location"] == f"/returns/{rma}"
    page = shopper.get(f"/returns/{rma}")
    assert "You cancelled this return" in text(page)
    # A new return for these items starts from the lookup, not from the link.
    assert 'href="/return/items"' not in page.body.decode() and "Start a new return" in text(page)


def test_the_link_opens_no_other_return_of_the_order_and_starts_none(client: Client, aws_endpoint: str) -> None:
    rma = a_return(client, "7312")
    other = a_second_return(client, "7312")
    shopper = Browser(client)
    assert shopper.get(link_in(mail_about(aws_endpoint, "7312", rma))).headers["Location"] == f"/returns/{rma}"
    csrf = csrf_on(shopper.get(f"/returns/{rma}"))

    # The order's other return: every page of it asks for the lookup, and its cancel does nothing.
    assert shopper.get(f"/returns/{other}").headers["Location"] == f"/?rma={other}"
    assert shopper.get(f"/returns/{other}/label?size=a4").headers["Location"] == f"/?rma={other}"
    assert shopper.get(f"/returns/{other}/cancel").headers["Location"] == f"/?rma={other}"
    refused = shopper.post(f"/returns/{other}/cancel", {"csrf": csrf, "confirm": "yes"})
    assert refused.headers["Location"] == "/?ended=1"
    from chalicelib.bootstrap import get_deps

    kept = get_deps().returns.get(other)
    assert kept is not None and kept.status != "cancelled"

    # No new return on the order: each step of one sends the shopper to the lookup.
    shopper = Browser(client)
    shopper.get(link_in(mail_about(aws_endpoint, "7312", rma)))
    csrf = csrf_on(shopper.get(f"/returns/{rma}"))
    assert shopper.get("/return/items").headers["Location"] == "/?ended=1"
    for step, form in (("/return/items", {"return-0": "1", "quantity-0": "1", "reason-0": "too_small"}),
                       ("/return/resolution", {"resolution": "refund"}), ("/return/confirm", {})):
        shopper.get(f"/returns/{rma}")  # keep the grant in the jar (the client ignores cookie paths)
        assert shopper.post(step, {"csrf": csrf, **form}).headers["Location"] == "/?ended=1", step
    assert shopper.get(f"/returns/{rma}/confirmation").headers["Location"] == f"/?rma={rma}"


def test_opening_a_link_keeps_the_session_the_browser_holds_for_another_order(
    client: Client, aws_endpoint: str,
) -> None:
    rma = a_return(client, "7314")
    an_order(client, "7315")
    shopper = signed_in(client, "7315", email_of("7315"))
    chosen = shopper.post("/return/items", {"csrf": shopper.csrf_of("/return/items"), "return-0": "1",
                                            "quantity-0": "1", "reason-0": "too_small"})
    assert chosen.headers["Location"] == "/return/resolution"
    session = shopper.cookies[SESSION_COOKIE]

    opened = shopper.get(link_in(mail_about(aws_endpoint, "7314", rma)))

    assert opened.headers["Location"] == f"/returns/{rma}"
    assert shopper.cookies[SESSION_COOKIE] == session  # not replaced, not even re-issued
    assert "Order 7314" in text(shopper.get(f"/returns/{rma}"))
    # The other order and its half-made return are where the shopper left them.
    resolution = shopper.get("/return/resolution")
    assert resolution.status_code == 200 and "Order 7315" in text(shopper.get("/return/items"))
    assert shopper.get("/return/review").status_code in (200, 303)
