"""Exchanges end to end on `make run` (issue 19, "done when"): three shoppers exchange a size in a
real browser on a phone, the store's system hears every step signed, and the stock and the money
add up.

The store allows exchanges at any price, made when the parcel arrives (`on_receipt`), and has a
receiver on 127.0.0.1 registered for every event type; the receiver is down for its first
request. Three orders of the demo catalog's classic tee in M (€29.00, paid on the local Stripe)
are exchanged on the shopper's pages:

- for the S at the same price: no money moves;
- for the XS, €5.00 cheaper: the difference goes back through the refund worker, on the order's
  own PaymentIntent, once;
- for the L, €5.00 dearer: the shopper pays the difference on the pay page through Stripe.js (the
  local Stripe's mock), which approves the exchange.

The warehouse receives each parcel; each return ends `exchanged` with its replacement order,
shown on the shopper's status page, and the catalog's stock moved by exactly the units sent. The
receiver verified every request's signature with the standardwebhooks library, got each event
of each return (`return.created`, `return.approved`, `return.received`, `exchange.created`, and
`return.refunded` for the cheaper one) under a stable id, saw the request it refused with 500
come again, and sees a delivery again when the store replays it.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from devstack.demo_orders import order_total
from devstack.payments import pay, stripe_client
from devstack.processes import REPO_ROOT
from tests.documents import days_ago
from tests.e2e.phone import Phone
from tests.e2e.test_make_run import Stack, http
from tests.e2e.test_shopper_pay_difference import pay_on_the_page
from tests.webhook_receiver import Received, WebhookReceiver

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-exchange"
STRIPE_KEY = "sk_test_local_fake_key_not_a_secret"
EVERY_EVENT = ["return.created", "return.approved", "return.rejected", "return.received", "return.refunded",
               "return.credited", "return.cancelled", "exchange.created"]
# What each exchange is for, and what the shopper's pages say about its money.
CASES = {
    "even": ("TEE-CLASSIC-S", "No price difference"),
    "cheaper": ("TEE-CLASSIC-XS", "We refund €5.00"),
    "dearer": ("TEE-CLASSIC-L", "You pay €5.00"),
}


def admin(stack: Stack, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    reply = http(method, stack.app_url + path, body, admin=True)
    assert 200 <= reply.status < 300, (path, reply.status, reply.body)
    return reply.json()


def stripe(stack: Stack) -> Any:
    return stripe_client(f"http://127.0.0.1:{stack.ports['RETOUR_STRIPE_PORT']}", STRIPE_KEY)


def a_paid_order(stack: Stack, case: str) -> tuple[str, str, str]:
    """A fresh EUR order of one classic tee in M, paid on the local Stripe: (number, email, PaymentIntent)."""
    number = f"X{case[:2].upper()}{uuid.uuid4().hex[:6].upper()}"
    email = f"{case}.{number.lower()}@example.ie"
    body: dict[str, Any] = {
        "number": number, "email": email, "customer_name": "Róisín Walsh", "locale": "en", "currency": "EUR",
        "placed_at": days_ago(6), "delivered_at": days_ago(3),
        "shipping_address": {"name": "Róisín Walsh", "line1": "3 Merrion Square", "line2": "", "city": "Dublin",
                             "region": "", "postal_code": "D02 VR66", "country": "IE"},
        "shipping_total": 495,
        "lines": [{"id": "L1", "sku": "TEE-CLASSIC-M", "title": "Classic organic tee — M", "quantity": 1,
                   "unit_price": 2900, "tax": 667, "discount": 0, "product_type": "apparel", "tags": [],
                   "final_sale": False, "product_id": "tee-classic", "options": {"size": "M"}}],
    }
    intent = pay(f"http://127.0.0.1:{stack.ports['RETOUR_STRIPE_PORT']}", STRIPE_KEY, amount=order_total(body),
                 currency="EUR", description=f"Order {number}", metadata={"order_number": number})
    body["payment"] = {"provider": "stripe", "payment_intent": intent}
    admin(stack, "PUT", f"/api/v1/admin/orders/{number}", body)
    return number, email, intent


def stock(stack: Stack) -> dict[str, tuple[int, int]]:
    """Each tee variant's (stock on hand, available to promise), as the admin API shows them."""
    product = admin(stack, "GET", "/api/v1/admin/products/tee-classic")
    return {v["sku"]: (v["stock"], v["available"]) for v in product["variants"]}


def exchange_on_a_phone(stack: Stack, phone: Phone, case: str, number: str, email: str) -> str:
    """The shopper finds the order, picks the tee, a reason and the variant, reviews and confirms:
    the new return's RMA (a dearer one is left on its pay page)."""
    sku, money_words = CASES[case]
    page = phone.page
    page.goto(stack.app_url + "/?lang=en")
    page.fill("#order_number", number)
    page.fill("#email", email)
    page.click("button[type=submit]")
    page.wait_for_url("**/return/items")
    page.check("#return-0")
    page.check("#reason-0")
    page.check(f"input[name=exchange-0][value={sku}]")
    phone.check(f"{case}-items", targets=True)
    page.click("button[type=submit]")
    page.wait_for_url("**/return/review")
    assert money_words in page.locator("main").inner_text()
    phone.check(f"{case}-review")
    page.click("form[action='/return/confirm'] button")
    page.wait_for_url(re.compile(r".*/returns/R-[0-9A-Z]{4}-[0-9A-Z]{4}/(confirmation|pay)$"))
    found = re.search(r"/returns/(R-[0-9A-Z]{4}-[0-9A-Z]{4})/", page.url)
    assert found is not None
    return found.group(1)


def pay_the_difference(stack: Stack, phone: Phone, rma: str) -> None:
    """On the pay page: the card field of the local Stripe.js, the card, 3-D Secure, back to the status."""
    page = phone.page
    page.wait_for_selector("#card-element input")
    phone.check("dearer-pay")
    payment_intent = pay_on_the_page(page, stack, rma)
    assert "Approved" in page.locator(".status-line").inner_text()
    client = stripe(stack)
    intent = client.v1.payment_intents.retrieve(payment_intent)
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 500, "eur")


def status_link(stack: Stack, number: str, email: str, rma: str) -> str:
    """The return's status link, as the shopper's emails and the lookup carry it."""
    found = http("POST", stack.app_url + "/api/v1/lookup", {"order_number": number, "email": email}).json()
    link: str = next(r["status_url"] for r in found["returns"] if r["rma"] == rma)
    return link


def events_of(got: list[Received], rma: str) -> list[Received]:
    return [r for r in got if r.payload["data"]["rma"] == rma]


def test_three_shoppers_exchange_a_size_and_the_store_hears_each_step_signed(stack: Stack, chromium: Any) -> None:
    policy = admin(stack, "GET", "/api/v1/admin/policy")
    policy.update(exchanges="any_price", exchange_trigger="on_receipt")
    admin(stack, "PUT", "/api/v1/admin/policy", policy)
    with WebhookReceiver() as receiver:
        endpoint = admin(stack, "POST", "/api/v1/admin/webhooks", {"url": receiver.url, "events": EVERY_EVENT})
        receiver.secret = endpoint["secret"]
        receiver.fail_first(1)
        before = stock(stack)

        orders = {case: a_paid_order(stack, case) for case in CASES}
        returns: dict[str, str] = {}
        phone = Phone(chromium, "en", artifacts=ARTIFACTS)
        try:
            for case, (number, email, _) in orders.items():
                rma = exchange_on_a_phone(stack, phone, case, number, email)
                returns[case] = rma
                if case == "dearer":
                    assert admin(stack, "GET", f"/api/v1/admin/returns/{rma}")["status"] == "awaiting_payment"
                    pay_the_difference(stack, phone, rma)
                else:
                    assert "as soon as the store has your parcel" in phone.page.locator("main").inner_text()
                    phone.check(f"{case}-confirmation")
            # Promised, not yet sent: each chosen variant has one unit fewer to promise.
            promised = stock(stack)
            for case, (sku, _) in CASES.items():
                assert promised[sku] == (before[sku][0], before[sku][1] - 1), (case, promised[sku], before[sku])

            # The parcels arrive: the replacement orders are made; the cheaper one's €5.00 goes back.
            for rma in returns.values():
                admin(stack, "POST", f"/api/v1/admin/returns/{rma}/receive")
            wanted = {
                rma: {"return.created", "return.approved", "return.received", "exchange.created"}
                | ({"return.refunded"} if case == "cheaper" else set())
                for case, rma in returns.items()
            }
            got = receiver.wait_for(lambda got: all(
                wanted[rma] <= {r.type for r in events_of(got, rma) if r.answered == 204} for rma in wanted),
                timeout=90)

            for case, rma in returns.items():
                shown = admin(stack, "GET", f"/api/v1/admin/returns/{rma}")
                assert shown["status"] == "exchanged", (case, shown["status"])
                order = shown["exchange"]
                assert order["lines"] == [{"line_id": "L1", "sku": CASES[case][0],
                                           "options": order["lines"][0]["options"], "quantity": 1}]
                number, email, _ = orders[case]
                phone.page.goto(status_link(stack, number, email, rma))
                phone.page.wait_for_url(f"**/returns/{rma}")
                assert "Exchanged" in phone.page.locator(".status-line").inner_text()
                assert order["number"] in phone.page.locator("section.exchange").inner_text()
                settled = {"even": "No price difference", "cheaper": "We refund €5.00", "dearer": "You paid €5.00"}
                assert settled[case] in phone.page.locator("main").inner_text()
                phone.check(f"{case}-exchanged")
        finally:
            phone.close()
        assert not phone.violations, phone.violations

        # Stock: each replacement left the shelf, nothing is still promised for these returns.
        after = stock(stack)
        for sku, _ in CASES.values():
            assert after[sku] == (before[sku][0] - 1, before[sku][1] - 1), (sku, after[sku], before[sku])

        # Money: only the cheaper exchange was refunded, €5.00 once, on its own order's payment.
        for case, (_, _, intent) in orders.items():
            refunds = stripe(stack).v1.refunds.list(params={"payment_intent": intent}).data
            assert [r.amount for r in refunds] == ([500] if case == "cheaper" else []), (case, refunds)

        # Every request verified; every event of each return, its id stable and never reused.
        assert all(r.verified for r in got)
        for case, rma in returns.items():
            mine = events_of(got, rma)
            delivered = [r for r in mine if r.answered == 204]
            assert len({r.webhook_id for r in delivered}) == len(delivered), "one delivery per event"
            assert all(r.webhook_id.startswith(f"msg_{rma}_") for r in mine)
            made = next(r for r in delivered if r.type == "exchange.created")
            assert made.payload["data"]["exchange"]["lines"][0]["sku"] == CASES[case][0]
            assert made.payload["data"]["lines"][0]["exchange_for"] == {"sku": CASES[case][0]}
            assert {r.headers["webhook-id"] for r in mine} == {r.webhook_id for r in mine}
        # The first request was refused with 500 and came again, the same body signed again.
        refused = got[0]
        assert refused.answered == 500
        again = [r for r in got if r.webhook_id == refused.webhook_id]
        assert [r.answered for r in again] == [500, 204] and again[1].body == refused.body

        # The store replays a delivered event: the receiver sees it once more, same id, same body.
        replayed = next(r for r in got if r.type == "exchange.created")
        admin(stack, "POST", f"/api/v1/admin/webhooks/{endpoint['id']}/deliveries/{replayed.webhook_id}/replay")
        receiver.wait_for(lambda got: len([r for r in got if r.webhook_id == replayed.webhook_id]) == 2, timeout=30)
        copies = [r for r in receiver.snapshot() if r.webhook_id == replayed.webhook_id]
        assert all(r.verified and r.body == replayed.body for r in copies)
        log = admin(stack, "GET", f"/api/v1/admin/webhooks/{endpoint['id']}/deliveries")
        entry = next(d for d in log["deliveries"] if d["message_id"] == refused.webhook_id)
        assert [a["status_code"] for a in entry["attempts"]] == [500, 204]
        (ARTIFACTS / "received.json").write_text(json.dumps(
            [{"id": r.webhook_id, "type": r.type, "answered": r.answered} for r in receiver.snapshot()], indent=1))
