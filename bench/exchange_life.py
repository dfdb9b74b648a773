"""An exchange's life in DynamoDB calls, read and write units, and what 1,000 exchanges cost.

Every step runs for real on the local servers through the HTTP API (Chalice's test client):
the store puts its product, the shopper looks the order up (the lookup reads the product for
its exchange options) and asks for another size, prints the label, and the warehouse receives
the parcel, which makes the replacement order (the policy's trigger "on_receipt") and ends the
return `exchanged`. Three lives: an even exchange (no money moves), a cheaper one, whose
difference the refund worker pays back on the local Stripe, and a dearer one, whose shopper opens
the pay page from the status link (it makes the PaymentIntent), pays with Stripe's test card (what
Stripe.js does: Stripe's work, not counted) and comes back to the page that records the payment
before the parcel may go. The outbox entries of the outbound
events are part of each move's write units; their delivery is counted apart (the relay and the
sender run off the request path).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from bench.local_aws import ADMIN, JSON, app_client, days_ago, local_aws
from bench.return_life import (
    API_GATEWAY_USD,
    LAMBDA_GB_SECOND_USD,
    LAMBDA_REQUEST_USD,
    MEMORY_GB,
    RRU_USD,
    STRIPE_KEY,
    WRU_USD,
)

EXCHANGES = 10
# (read units, write units, seconds, calls)
Sample = tuple[float, float, float, int]
PRODUCT = {
    "product_id": "bench-tee", "title": "Organic tee",
    "variants": [
        {"sku": "BT-S", "options": {"size": "S"}, "price": 3300, "stock": 1000},
        {"sku": "BT-M", "options": {"size": "M"}, "price": 3300, "stock": 1000},
        {"sku": "BT-XS", "options": {"size": "XS"}, "price": 2800, "stock": 1000},
        {"sku": "BT-L", "options": {"size": "L"}, "price": 3800, "stock": 1000},
    ],
}


def an_order(number: str) -> dict[str, Any]:
    """A USD order of one tee in M, delivered three days ago, paid on the local Stripe."""
    return {
        "number": number, "email": f"shopper{number}@example.com", "customer_name": "Sam Shopper",
        "locale": "en", "currency": "USD", "placed_at": days_ago(5), "delivered_at": days_ago(3),
        "shipping_address": {"name": "Sam Shopper", "line1": "1 Main St", "line2": "", "city": "Reno",
                             "region": "NV", "postal_code": "89501", "country": "US"},
        "payment": {"provider": "stripe", "payment_intent": None},
        "shipping_total": 500,
        "lines": [{"id": "L1", "sku": "BT-M", "title": "Organic tee, M", "quantity": 1, "unit_price": 3300,
                   "tax": 300, "discount": 0, "product_type": "apparel", "tags": [], "final_sale": False,
                   "product_id": "bench-tee", "options": {"size": "M"}}],
    }


class Life:
    """One exchange's steps, each recorded as (read units, write units, seconds, DynamoDB calls)."""

    def __init__(self, client: Any, calls: Any, stripe_url: str, sqs: Any, queue_url: str) -> None:
        self.client, self.calls, self.stripe_url, self.sqs, self.queue_url = client, calls, stripe_url, sqs, queue_url
        self.steps: dict[str, list[Sample]] = {}

    def step(self, name: str, call: Any) -> Any:
        self.calls.reset()
        started = time.perf_counter()
        result = call()
        self.steps.setdefault(name, []).append((self.calls.read_units, self.calls.write_units,
                                                time.perf_counter() - started, len(self.calls.operations)))
        return result

    def live(self, number: str, *, sku: str) -> None:
        from chalicelib.bootstrap import get_deps
        from chalicelib.jobs.refunds import handle_refund_body
        from devstack.payments import pay

        document = an_order(number)
        document["payment"]["payment_intent"] = pay(
            self.stripe_url, STRIPE_KEY, amount=3300 + 300 + 500, currency="USD",
            description=f"order {number}", metadata={"order_number": number})
        put = self.client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
        assert put.status_code == 201, put.body
        found = self.step("lookup", lambda: self.client.http.post("/api/v1/lookup", headers=JSON, body=json.dumps(
            {"order_number": number, "email": f"shopper{number}@example.com"}))).json_body
        offered = {option["sku"] for option in found["order"]["lines"][0]["exchange_options"]}
        assert sku in offered, found
        token = found["token"]
        created = self.step("create", lambda: self.client.http.post(
            "/api/v1/returns", headers={**JSON, "Authorization": f"Bearer {token}"},
            body=json.dumps({"order_number": number, "resolution": "exchange", "lines": [
                {"line_id": "L1", "quantity": 1, "reason": "too_small", "exchange_for": {"sku": sku}}]}))).json_body
        rma = created["rma"]
        if created["status"] == "awaiting_payment":
            self._pay(rma)
        else:
            assert created["status"] == "approved", created
        label = self.step("label", lambda: self.client.http.get(
            f"/api/v1/returns/{rma}/label.pdf?size=4x6", headers={"Authorization": f"Bearer {token}"}))
        assert label.status_code == 302, label.body
        received = self.step("receive", lambda: self.client.http.post(
            f"/api/v1/admin/returns/{rma}/receive", headers=ADMIN, body=json.dumps({})))
        assert received.status_code == 202, received.body
        if created["amounts"]["total"] > 0:
            job = self._queued_job(rma)
            self.step("refund the difference", lambda: handle_refund_body(get_deps(), job))
        done = get_deps().returns.get(rma)
        assert done is not None and done.status == "exchanged" and done.exchange_order is not None, done

    def _pay(self, rma: str) -> None:
        """The shopper pays a dearer exchange's difference: the pay page, the card on Stripe,
        back to the page that asks Stripe and records it; the return is then approved."""
        from urllib.parse import urlsplit

        from chalicelib.bootstrap import get_deps
        from devstack.payments import confirm_with_card

        request = get_deps().returns.get(rma)
        assert request is not None
        link = urlsplit(get_deps().status_url(request))
        opened = self.client.http.get(f"{link.path}?{link.query}")  # the status link: the return's grant
        cookie = _cookies(opened)
        page = self.step("pay page", lambda: self.client.http.get(f"/returns/{rma}/pay", headers=cookie))
        assert page.status_code == 200, page.body
        stored = get_deps().returns.get(rma)
        assert stored is not None and stored.payment is not None
        payment_intent = stored.payment.payment_intent
        confirm_with_card(self.stripe_url, STRIPE_KEY, payment_intent)
        back = self.step("payment recorded", lambda: self.client.http.get(
            f"/returns/{rma}/pay/done?payment_intent={payment_intent}", headers=cookie))
        assert back.status_code == 303, back.body
        paid = get_deps().returns.get(rma)
        assert paid is not None and paid.status == "approved", paid

    def _queued_job(self, rma: str) -> str:
        for _ in range(20):
            for message in self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", []):
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
                if rma in message["Body"]:
                    return str(message["Body"])
        raise AssertionError(f"no refund job was queued for {rma}")


def _cookies(response: Any) -> dict[str, str]:
    """The Cookie header a browser sends after `response` (its Set-Cookie values)."""
    from http.cookies import SimpleCookie

    raw = response.headers.get("Set-Cookie") or response.headers.get("set-cookie") or []
    jar: SimpleCookie = SimpleCookie()
    for value in raw if isinstance(raw, list) else [raw]:
        jar.load(value)
    return {"Cookie": "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())}


def _rows(title: str, life: Life) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = [(f"{title}: steps", " + ".join(life.steps), "lookup ... exchanged")]
    total_r = total_w = seconds = 0.0
    total_calls = 0.0
    for name, samples in life.steps.items():
        n = len(samples)
        r, w = sum(s[0] for s in samples) / n, sum(s[1] for s in samples) / n
        s, c = sum(s[2] for s in samples) / n, sum(s[3] for s in samples) / n
        total_r, total_w, seconds, total_calls = total_r + r, total_w + w, seconds + s, total_calls + c
        rows.append((f"  {title}, {name}: DynamoDB calls / RRU / WRU", f"{c:.0f} / {r:.1f} / {w:.1f}", "-"))
    rows.append((f"{title}: DynamoDB calls", f"{total_calls:.0f}", "report only"))
    rows.append((f"{title}: read units / write units", f"{total_r:.1f} / {total_w:.1f}", "report only"))
    n_steps = len(life.steps)
    dynamodb = 1000 * (total_r * RRU_USD + total_w * WRU_USD)
    lambda_usd = 1000 * n_steps * LAMBDA_REQUEST_USD + 1000 * seconds * MEMORY_GB * LAMBDA_GB_SECOND_USD
    http_steps = n_steps - (1 if "refund the difference" in life.steps else 0)
    gateway = 1000 * http_steps * API_GATEWAY_USD
    rows.append((f"cost per 1,000 exchanges ({title}): DynamoDB + Lambda + API Gateway",
                 f"${dynamodb:.4f} + ${lambda_usd:.4f} + ${gateway:.4f} = ${dynamodb + lambda_usd + gateway:.4f}", "-"))
    return rows


def measure() -> list[tuple[str, str, str]]:
    import boto3

    from devstack.processes import free_port, start_server
    from devstack.sqs import ensure_refund_queues

    stripe = start_server("devstack.stripe_server", free_port())
    saved = os.environ.get("RETOUR_STRIPE_API_BASE")
    os.environ["RETOUR_STRIPE_API_BASE"] = stripe.url
    try:
        with local_aws() as endpoint:
            client, calls = app_client()
            from chalicelib.bootstrap import get_deps

            sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                               aws_access_key_id="local", aws_secret_access_key="local")
            queue_url = ensure_refund_queues(sqs, get_deps().settings.refund_queue_name)
            policy = client.http.put("/api/v1/admin/policy", headers=ADMIN, body=json.dumps(
                {"exchanges": "any_price", "exchange_trigger": "on_receipt"}))
            assert policy.status_code == 200, policy.body
            product = client.http.put("/api/v1/admin/products/bench-tee", headers=ADMIN, body=json.dumps(PRODUCT))
            assert product.status_code in (200, 201), product.body
            even = Life(client, calls, stripe.url, sqs, queue_url)
            cheaper = Life(client, calls, stripe.url, sqs, queue_url)
            dearer = Life(client, calls, stripe.url, sqs, queue_url)
            for i in range(EXCHANGES):
                even.live(f"XE{i:04d}", sku="BT-S")
                cheaper.live(f"XC{i:04d}", sku="BT-XS")
                dearer.live(f"XD{i:04d}", sku="BT-L")
    finally:
        stripe.stop()
        if saved is None:
            os.environ.pop("RETOUR_STRIPE_API_BASE", None)
        else:
            os.environ["RETOUR_STRIPE_API_BASE"] = saved
    return (_rows("an even exchange's life", even) + _rows("a cheaper exchange's life", cheaper)
            + _rows("a dearer exchange's life", dearer))


if __name__ == "__main__":
    for row in measure():
        print(*row, sep="  |  ")
