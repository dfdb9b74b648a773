"""The daily expiry job through the app: an approved return whose parcel did not arrive within the
policy's `ship_within_days` expires, its units are offered again, the shopper hears it in their
language, its label and its parcel are refused saying why; nothing else moves, nothing twice."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from chalice.local import LambdaContext
from chalice.test import Client

from chalicelib.adapters.local_ses_outbox import OutboxEmail, sent_emails
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, days_later, put_policy
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    ONE_TEE,
    Stripe,
    api,
    money_env,
    paid_order,
    policy,
    receive,
    status_of,
    stripe_state,
)
from tests.functional.test_shopper_pages import Browser, text
from tests.functional.test_status_links import link_in
from tests.functional.test_warehouse_pages import FORM, csrf, signed_in

JSON = {"Content-Type": "application/json"}


def run_the_job(api: Client, *, days: float, seconds: int = 20) -> list[str]:
    """One run of the app's scheduled function as EventBridge starts it, `days` from now.

    Called as Lambda calls it, with a context that has the function's `seconds` (the stage's
    20 s): Chalice's test client would give it 3 s, and the job stops early when time runs out.
    """
    from app import app

    event = api.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                         resources=["arn:aws:events:us-east-1:123456789012:rule/return-expiry"])
    context = LambdaContext("return_expiry", memory_size=512, max_runtime_ms=seconds * 1000)
    with days_later(days):
        answer = app.handler_map["return_expiry"](event, context)
    expired: list[str] = answer["expired"]
    return expired


def set_ship_within(api: Client, days: int | None) -> None:
    assert put_policy(api, ship_within_days=days)["ship_within_days"] == days


def token_for(api: Client, order: dict[str, Any]) -> str:
    found = api.http.post("/api/v1/lookup", headers=JSON,
                          body=json.dumps({"order_number": order["number"], "email": order["email"]}))
    assert found.status_code == 200, found.json_body
    return str(found.json_body["token"])


def tees_offered(api: Client, order: dict[str, Any]) -> int:
    found = api.http.post("/api/v1/lookup", headers=JSON,
                          body=json.dumps({"order_number": order["number"], "email": order["email"]}))
    verdict = found.json_body["order"]["lines"][0]["verdict"]
    return int(verdict["quantity_available"]) if verdict["status"] == "returnable" else 0


def a_return(api: Client, order: dict[str, Any], *, expect: str = "approved") -> str:
    created = api.http.post(
        "/api/v1/returns", headers={**JSON, "Authorization": f"Bearer {token_for(api, order)}"},
        body=json.dumps({"order_number": order["number"], "lines": ONE_TEE, "resolution": "refund"}))
    assert created.status_code == 201, created.json_body
    assert created.json_body["status"] == expect
    return str(created.json_body["rma"])


def an_order(api: Client, stripe_endpoint: str, stripe_state: Stripe, **overrides: Any) -> dict[str, Any]:
    # A shopper of their own per order: the 90-day abuse limit never turns a return into a request.
    return paid_order(api, stripe_endpoint, stripe_state, email=f"ship-{uuid.uuid4().hex[:8]}@example.jp",
                      **overrides)


def expiry_emails(aws_endpoint: str, rma: str) -> list[OutboxEmail]:
    return [e for e in sent_emails(aws_endpoint) if rma in e.subject and "期限が切れました" in e.subject]


def test_an_approved_return_not_shipped_in_time_expires_its_items_are_offered_again_and_the_shopper_is_told(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, aws_endpoint: str,
) -> None:
    order = an_order(api, stripe_endpoint, stripe_state)
    rma = a_return(api, order)
    assert tees_offered(api, order) == 1  # one of the two tees is in the return

    assert rma in run_the_job(api, days=31)  # the default policy: 30 days to ship

    expired = status_of(rma)
    assert expired.status == "expired"
    assert (expired.events[-1].kind, expired.events[-1].actor) == ("expired", "system:return_expiry")
    assert tees_offered(api, order) == 2  # both tees can be returned again

    # The shopper hears it once, in Japanese (the order's language), with the status link.
    [mail] = expiry_emails(aws_endpoint, rma)
    assert mail.to == order["email"]
    assert mail.subject == f"返品 {rma} の期限が切れました"
    for words in ("承認から30日以内にお荷物が当店に届かなかった", "ラベルはもう使えません", "新しい返品を申し込めます"):
        assert words in mail.text and words in mail.html
    page = link_in(mail)
    assert page.startswith(f"/returns/{rma}?link=")

    # The link leads to the status page, which says the return expired and offers a new one
    # (from the lookup: a status link opens this return only, never new returns on the order).
    shopper = Browser(api)
    assert shopper.get(page).status_code == 303
    status_page = text(shopper.get(f"/returns/{rma}"))
    assert 'status-expired">期限切れ</span>' in status_page  # the status, in the one name every surface uses
    assert "返品の期限が切れました" in status_page  # the timeline's event
    assert "この返品は期限切れになりました" in status_page
    assert '<a href="/">新しい返品を始める</a>' in status_page and 'href="/return/items"' not in status_page
    assert "/label?size=" not in status_page and 'action="/returns/' not in status_page
    assert '<table class="money">' not in status_page  # nothing is paid back: no total that reads like one
    # A bookmarked label link says why there is none, in the shopper's language.
    bookmarked = shopper.get(f"/returns/{rma}/label?size=a4")
    assert bookmarked.status_code == 409
    assert "この返品は期限切れのため、返品ラベルは使用できなくなりました。" in text(bookmarked)

    # The label is no longer served, in any size.
    token = token_for(api, order)
    for size in ("", "?size=a4", "?size=letter"):
        label = api.http.get(f"/api/v1/returns/{rma}/label.pdf{size}", headers={"Authorization": f"Bearer {token}"})
        assert label.status_code == 409 and "Location" not in label.headers
        assert label.json_body["error"]["code"] == "return_expired"
        assert "expired" in label.json_body["error"]["message"]

    # A second run, the same day or the next, expires and emails nothing again.
    assert run_the_job(api, days=31) == []
    assert run_the_job(api, days=32) == []
    assert status_of(rma) == expired
    assert len(expiry_emails(aws_endpoint, rma)) == 1


def test_the_warehouse_scan_of_an_expired_return_refuses_the_parcel_saying_it_expired(
    api: Client, stripe_endpoint: str, stripe_state: Stripe,
) -> None:
    order = an_order(api, stripe_endpoint, stripe_state)
    rma = a_return(api, order)
    assert rma in run_the_job(api, days=31)

    session = signed_in(api)
    scanned = api.http.get(f"/warehouse?rma={rma}", headers={"Cookie": session})
    page = text(scanned)
    assert scanned.status_code == 200 and "This return expired on" in page and "Mark received" not in page
    refused = api.http.post("/warehouse/receive", headers={**FORM, "Cookie": session},
                            body=urlencode({"rma": rma, "csrf": csrf(scanned.body.decode())}))
    assert refused.status_code == 409
    assert "return expired" in text(refused) and "This return expired on" in text(refused)
    admin = receive(api, rma)
    assert admin.status_code == 409
    assert admin.json_body["error"]["code"] == "return_expired"
    assert f"Return {rma} expired" in admin.json_body["error"]["message"]
    assert status_of(rma).status == "expired"


def test_a_younger_a_received_and_a_pending_return_are_left_as_they_are(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, aws_endpoint: str,
) -> None:
    old = a_return(api, an_order(api, stripe_endpoint, stripe_state))
    received = a_return(api, an_order(api, stripe_endpoint, stripe_state))
    assert receive(api, received).status_code == 202
    # Asked for 10 days after the window closed: it waits for the merchant.
    late = an_order_document(number=f"8{uuid.uuid4().int % 10**7:07d}", email=f"late-{uuid.uuid4().hex[:8]}@example.jp",
                             placed_at=days_ago(42), delivered_at=days_ago(40))
    assert api.http.put(f"/api/v1/admin/orders/{late['number']}", headers=ADMIN, body=json.dumps(late)).status_code == 201
    pending = a_return(api, late, expect="pending_approval")
    # Approved 20 days from now: 11 days old when the job runs.
    younger_order = an_order(api, stripe_endpoint, stripe_state)
    with days_later(20):
        younger = a_return(api, younger_order)

    expired = run_the_job(api, days=31)

    assert old in expired and not {received, pending, younger} & set(expired)
    assert [status_of(rma).status for rma in (old, received, pending, younger)] == [
        "expired", "received", "pending_approval", "approved"]
    assert not expiry_emails(aws_endpoint, younger) and not expiry_emails(aws_endpoint, pending)
    assert tees_offered(api, younger_order) == 1  # still held by its return


def test_a_store_that_sets_no_limit_expires_nothing(api: Client, stripe_endpoint: str, stripe_state: Stripe) -> None:
    set_ship_within(api, None)
    order = an_order(api, stripe_endpoint, stripe_state)
    rma = a_return(api, order)

    assert run_the_job(api, days=400) == []

    assert status_of(rma).status == "approved"
    assert tees_offered(api, order) == 1


def test_a_shorter_limit_applies_to_returns_already_approved(
    api: Client, stripe_endpoint: str, stripe_state: Stripe,
) -> None:
    set_ship_within(api, 30)
    rma = a_return(api, an_order(api, stripe_endpoint, stripe_state))
    assert rma not in run_the_job(api, days=8)
    set_ship_within(api, 7)
    assert rma in run_the_job(api, days=8)


def test_a_run_that_runs_out_of_time_leaves_the_rest_for_the_next_one(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, aws_endpoint: str,
) -> None:
    rma = a_return(api, an_order(api, stripe_endpoint, stripe_state))

    assert run_the_job(api, days=31, seconds=3) == []  # less than the safety margin left
    assert status_of(rma).status == "approved" and not expiry_emails(aws_endpoint, rma)

    assert rma in run_the_job(api, days=31)
