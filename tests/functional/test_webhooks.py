"""Outbound events end to end: registered through the admin API, written by a return's moves in
their own transactions, relayed, signed and POSTed to a real receiver on 127.0.0.1 that verifies
every signature with the standardwebhooks library; retried after a 500; replayed on request."""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.errors import StaleWriteError
from chalicelib.services.expire_returns import expire_returns
from chalicelib.services.webhooks import relay_outbox
from devstack.payments import pay
from devstack.refund_worker import drain
from devstack.sqs import ensure_refund_queues, ensure_webhook_queues
from devstack.webhook_worker import relay_and_drain
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, console_cookie, console_csrf, days_later, form_post, put_policy
from tests.webhook_receiver import Received, WebhookReceiver

API_KEY = "sk_test_local_fake_key_not_a_secret"
ALL_EVENTS = ["return.created", "return.approved", "return.rejected", "return.received", "return.refunded",
              "return.credited", "return.cancelled", "return.expired", "exchange.created"]
ONE_TEE = [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]


def _sqs(endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


@pytest.fixture(scope="module")
def queues(stripe_endpoint: str, aws_endpoint: str) -> Iterator[dict[str, str]]:
    """This module's refund and webhook queues, and the local Stripe, for the app."""
    suffix = uuid.uuid4().hex[:8]
    sqs = _sqs(aws_endpoint)
    urls = {"refunds": ensure_refund_queues(sqs, f"retour-test-refunds-{suffix}"),
            "webhooks": ensure_webhook_queues(sqs, f"retour-test-webhooks-{suffix}")}
    names = {"RETOUR_STRIPE_API_BASE": stripe_endpoint, "RETOUR_REFUND_QUEUE_NAME": f"retour-test-refunds-{suffix}",
             "RETOUR_WEBHOOK_QUEUE_NAME": f"retour-test-webhooks-{suffix}"}
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update(names)
    yield urls
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def api(queues: dict[str, str], client: Client) -> Client:
    put_policy(client)
    return client


@pytest.fixture
def receiver(api: Client) -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        answer = api.http.post("/api/v1/admin/webhooks", headers=ADMIN,
                               body=json.dumps({"url": running.url, "events": ALL_EVENTS}))
        assert answer.status_code == 201, answer.json_body
        assert answer.json_body["secret"].startswith("whsec_")
        running.secret = answer.json_body["secret"]
        running.endpoint_id = answer.json_body["id"]
        yield running
        # Later tests' events go to their own receivers only.
        assert api.http.delete(f"/api/v1/admin/webhooks/{answer.json_body['id']}", headers=ADMIN).status_code == 204


def paid_order(api: Client, stripe_endpoint: str, *, late: bool = False) -> dict[str, Any]:
    """A fresh order paid on the local Stripe; `late`: past the window, so the merchant decides."""
    number = f"7{uuid.uuid4().int % 10**7:07d}"
    delivered = 45 if late else 5
    document = an_order_document(number=number, placed_at=days_ago(delivered + 2), delivered_at=days_ago(delivered))
    total = sum(line["unit_price"] * line["quantity"] - line["discount"] + line["tax"]
                for line in document["lines"]) + document["shipping_total"]
    document["payment"] = {"provider": "stripe", "payment_intent": pay(
        stripe_endpoint, API_KEY, amount=total, currency=document["currency"], description=f"order {number}",
        metadata={"order_number": number})}
    assert api.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document)).status_code == 201
    return document


def request_return(api: Client, order: dict[str, Any]) -> str:
    token = api.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                          body=json.dumps({"order_number": order["number"], "email": order["email"]})).json_body["token"]
    created = api.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": order["number"], "lines": ONE_TEE, "resolution": "refund"}))
    assert created.status_code == 201, created.json_body
    rma: str = created.json_body["rma"]
    return rma


def of_return(got: list[Received], rma: str) -> list[Received]:
    return [r for r in got if r.payload["data"]["rma"] == rma]


def test_a_receiver_gets_each_event_of_a_return_once_signed_from_request_to_refund(
    api: Client, stripe_endpoint: str, queues: dict[str, str], aws_endpoint: str, receiver: WebhookReceiver
) -> None:
    sqs, deps = _sqs(aws_endpoint), get_deps()

    def relay() -> None:
        relay_and_drain(deps, sqs, queues["webhooks"])

    order = paid_order(api, stripe_endpoint, late=True)
    rma = request_return(api, order)
    approved = api.http.post(f"/api/v1/admin/returns/{rma}/approve", headers=ADMIN, body=json.dumps({}))
    assert approved.status_code == 200, approved.json_body
    assert api.http.post(f"/api/v1/admin/returns/{rma}/receive", headers=ADMIN).status_code == 202
    assert drain(deps, sqs, queues["refunds"]) == 1

    got = receiver.wait_for(lambda got: any(r.type == "return.refunded" for r in of_return(got, rma)), step=relay)
    # A second round relays and sends nothing more.
    relay()
    got = of_return(receiver.snapshot(), rma)

    assert [r.type for r in got] == ["return.created", "return.approved", "return.received", "return.refunded"]
    assert all(r.verified and r.answered == 204 for r in got)
    assert len({r.webhook_id for r in got}) == 4
    assert all(r.webhook_id.startswith(f"msg_{rma}_") for r in got)
    refunded = got[-1].payload
    assert refunded["data"]["status"] == "refunded"
    assert refunded["data"]["order_number"] == order["number"]
    assert refunded["data"]["amounts"]["currency"] == "JPY" and refunded["data"]["amounts"]["total"] == 3600
    assert got[0].payload["data"]["status"] == "pending_approval"
    log = api.http.get(f"/api/v1/admin/webhooks/{receiver.endpoint_id}/deliveries",
                       headers=ADMIN).json_body["deliveries"]
    mine = [d for d in log if d["message_id"].startswith(f"msg_{rma}_")]
    assert [d["type"] for d in mine] == ["return.refunded", "return.received", "return.approved", "return.created"]
    assert all(d["status"] == "delivered" and [a["status_code"] for a in d["attempts"]] == [204] for d in mine)


def test_a_return_the_clock_closes_sends_return_expired(
    api: Client, stripe_endpoint: str, queues: dict[str, str], aws_endpoint: str, receiver: WebhookReceiver
) -> None:
    sqs = _sqs(aws_endpoint)
    order = paid_order(api, stripe_endpoint)
    rma = request_return(api, order)  # in the window: approved as it is made
    days = get_deps().policies.current().ship_within_days
    assert days is not None
    with days_later(days + 1):
        assert rma in expire_returns(get_deps())
    got = receiver.wait_for(lambda got: any(r.type == "return.expired" for r in of_return(got, rma)),
                            step=lambda: relay_and_drain(get_deps(), sqs, queues["webhooks"]))
    mine = of_return(got, rma)
    assert [r.type for r in mine] == ["return.created", "return.approved", "return.expired"]
    assert mine[-1].verified and mine[-1].payload["data"]["status"] == "expired"


def test_a_receiver_that_answered_500_gets_the_event_again_and_a_replay_keeps_its_id(
    api: Client, stripe_endpoint: str, queues: dict[str, str], aws_endpoint: str, receiver: WebhookReceiver
) -> None:
    sqs, deps = _sqs(aws_endpoint), get_deps()
    endpoint_id = receiver.endpoint_id

    def relay() -> None:
        relay_and_drain(deps, sqs, queues["webhooks"])

    receiver.fail_first(1)
    rma = request_return(api, paid_order(api, stripe_endpoint))
    # Approved as it was made: the store hears of both.
    got = receiver.wait_for(lambda got: len({r.webhook_id for r in of_return(got, rma) if r.answered == 204}) == 2,
                            step=relay, timeout=30)
    mine = of_return(got, rma)
    refused = [r for r in mine if r.answered == 500]
    assert len(refused) == 1 and refused[0].verified
    again = [r for r in mine if r.webhook_id == refused[0].webhook_id and r.answered == 204]
    assert len(again) == 1 and again[0].body == refused[0].body
    assert sorted(r.type for r in mine if r.answered == 204) == ["return.approved", "return.created"]

    log = api.http.get(f"/api/v1/admin/webhooks/{endpoint_id}/deliveries", headers=ADMIN).json_body["deliveries"]
    retried = next(d for d in log if d["message_id"] == refused[0].webhook_id)
    assert retried["status"] == "delivered"
    assert [a["status_code"] for a in retried["attempts"]] == [500, 204]
    assert all(a["duration_ms"] >= 0 and a["at"].endswith("Z") for a in retried["attempts"])

    replay = api.http.post(f"/api/v1/admin/webhooks/{endpoint_id}/deliveries/{refused[0].webhook_id}/replay",
                           headers=ADMIN)
    assert replay.status_code == 202, replay.json_body
    got = receiver.wait_for(lambda got: len([r for r in got if r.webhook_id == refused[0].webhook_id]) == 3,
                            step=relay)
    replayed = [r for r in got if r.webhook_id == refused[0].webhook_id][-1]
    assert replayed.verified and replayed.answered == 204 and replayed.body == refused[0].body
    log = api.http.get(f"/api/v1/admin/webhooks/{endpoint_id}/deliveries", headers=ADMIN).json_body["deliveries"]
    assert next(d for d in log if d["message_id"] == refused[0].webhook_id)["replays"] == 1


def test_a_move_that_loses_its_conditional_write_leaves_no_outbox_item(api: Client, stripe_endpoint: str) -> None:
    deps = get_deps()
    rma = request_return(api, paid_order(api, stripe_endpoint, late=True))
    read = deps.returns.get(rma)
    assert read is not None and read.status == "pending_approval"
    now = deps.clock.now()
    deps.returns.save(read.approve(at=now, actor="admin"), new_events=1, now=now)

    with pytest.raises(StaleWriteError):
        deps.returns.save(read.reject(at=now, actor="admin"), new_events=1, now=now)

    waiting = [e for e in deps.webhooks.outbox() if e.rma == rma]
    assert sorted(e.type for e in waiting) == ["return.approved", "return.created"]


def test_an_endpoint_is_refused_for_unknown_events_or_an_address_it_may_not_reach(api: Client) -> None:
    cases = [
        ({"url": "http://127.0.0.1:9/hooks", "events": ["return.shipped"]}, "unknown_event_type"),
        ({"url": "http://127.0.0.1:9/hooks", "events": []}, "no_event_types"),
        ({"url": "http://169.254.169.254/latest/meta-data", "events": ["return.created"]}, "webhook_url_not_allowed"),
        ({"url": "https://10.0.0.1/hooks", "events": ["return.created"]}, "webhook_url_not_allowed"),
        ({"url": "http://localhost:9/hooks", "events": ["return.created"]}, "webhook_url_not_allowed"),
        ({"url": "https://example.com/" + "a" * 2000, "events": ["return.created"]}, "webhook_url_not_allowed"),
    ]
    before = api.http.get("/api/v1/admin/webhooks", headers=ADMIN).json_body["webhooks"]
    for body, code in cases:
        answer = api.http.post("/api/v1/admin/webhooks", headers=ADMIN, body=json.dumps(body))
        assert answer.status_code == 400, (body, answer.json_body)
        assert answer.json_body["error"]["code"] == code
        assert answer.json_body["error"]["message"]
    assert api.http.get("/api/v1/admin/webhooks", headers=ADMIN).json_body["webhooks"] == before
    assert api.http.post("/api/v1/admin/webhooks", body=json.dumps(cases[0][0]),
                         headers={"Content-Type": "application/json"}).status_code == 401


def test_the_list_shows_no_secret_and_a_removed_endpoint_gets_nothing_more(api: Client) -> None:
    made = api.http.post("/api/v1/admin/webhooks", headers=ADMIN,
                         body=json.dumps({"url": "http://127.0.0.1:9/gone", "events": ["return.created"]})).json_body
    listed = api.http.get("/api/v1/admin/webhooks", headers=ADMIN).json_body["webhooks"]
    mine = next(e for e in listed if e["id"] == made["id"])
    assert mine == {"id": made["id"], "url": "http://127.0.0.1:9/gone", "events": ["return.created"],
                    "created_at": made["created_at"], "paused": False, "paused_at": None}
    assert made["secret"] not in json.dumps(listed)
    assert api.http.delete(f"/api/v1/admin/webhooks/{made['id']}", headers=ADMIN).status_code == 204
    assert api.http.delete(f"/api/v1/admin/webhooks/{made['id']}", headers=ADMIN).status_code == 404
    assert api.http.get(f"/api/v1/admin/webhooks/{made['id']}/deliveries", headers=ADMIN).status_code == 404


def test_an_owner_registers_an_endpoint_in_the_console_and_sees_its_secret_once(api: Client) -> None:
    owner = console_cookie("owner")
    page = api.http.get("/console/webhooks", headers=owner)
    assert page.status_code == 200
    assert 'href="/console/webhooks"' in page.body.decode()
    csrf = console_csrf(page.body.decode())

    refused = form_post(api, "/console/webhooks", owner, csrf=csrf, url="https://169.254.169.254/latest",
                        **{"event:return.created": "yes"})
    assert refused.status_code == 400
    text = refused.body.decode()
    assert 'aria-describedby="webhook-url-hint webhook-url-error"' in text and "public internet" in text
    none_chosen = form_post(api, "/console/webhooks", owner, csrf=csrf, url="http://127.0.0.1:9/console")
    assert none_chosen.status_code == 400 and "Choose at least one event" in none_chosen.body.decode()

    made = form_post(api, "/console/webhooks", owner, csrf=csrf, url="http://127.0.0.1:9/console",
                     **{"event:return.refunded": "yes", "event:exchange.created": "yes"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    secret = re.search(r'value="(whsec_[^"]+)"', made.body.decode())
    assert secret is not None
    listed = api.http.get("/api/v1/admin/webhooks", headers=ADMIN).json_body["webhooks"]
    mine = next(e for e in listed if e["url"] == "http://127.0.0.1:9/console")
    assert mine["events"] == ["return.refunded", "exchange.created"]
    again = api.http.get("/console/webhooks", headers=owner).body.decode()
    assert "http://127.0.0.1:9/console" in again and secret.group(1) not in again

    deliveries = api.http.get(f"/console/webhooks/{mine['id']}", headers=owner)
    assert deliveries.status_code == 200
    removed = form_post(api, f"/console/webhooks/{mine['id']}/remove", owner, csrf=csrf)
    assert removed.status_code in (302, 303)
    assert all(e["id"] != mine["id"] for e in api.http.get("/api/v1/admin/webhooks", headers=ADMIN).json_body["webhooks"])


@pytest.mark.parametrize("role", ["agent", "warehouse"])
def test_only_owners_reach_the_webhooks_page(api: Client, role: str) -> None:
    member = console_cookie(role)
    assert api.http.get("/console/webhooks", headers=member).status_code == 403
    assert 'href="/console/webhooks"' not in api.http.get("/console/account", headers=member).body.decode()


def test_the_console_replays_a_delivery_with_its_webhook_id(
    api: Client, stripe_endpoint: str, queues: dict[str, str], aws_endpoint: str, receiver: WebhookReceiver
) -> None:
    sqs, deps = _sqs(aws_endpoint), get_deps()
    endpoint_id = receiver.endpoint_id

    def relay() -> None:
        relay_and_drain(deps, sqs, queues["webhooks"])

    rma = request_return(api, paid_order(api, stripe_endpoint))
    got = receiver.wait_for(lambda got: len(of_return(got, rma)) == 2, step=relay)
    created = next(r for r in of_return(got, rma) if r.type == "return.created")
    owner = console_cookie("owner", "owner@retour.local")
    page = api.http.get(f"/console/webhooks/{endpoint_id}", headers=owner)
    text = page.body.decode()
    assert page.status_code == 200 and created.webhook_id in text and "HTTP 204" in text

    replayed = form_post(api, f"/console/webhooks/{endpoint_id}/replay", owner, csrf=console_csrf(text),
                         message_id=created.webhook_id)
    assert replayed.status_code in (302, 303)
    got = receiver.wait_for(lambda got: len([r for r in got if r.webhook_id == created.webhook_id]) == 2, step=relay)
    assert [r.body for r in got if r.webhook_id == created.webhook_id] == [created.body, created.body]
    assert form_post(api, f"/console/webhooks/{endpoint_id}/replay", owner, csrf="forged",
                     message_id=created.webhook_id).status_code == 403


def test_a_paused_endpoint_holds_its_events_and_gets_them_all_when_resumed(
    api: Client, stripe_endpoint: str, queues: dict[str, str], aws_endpoint: str, receiver: WebhookReceiver
) -> None:
    sqs, deps = _sqs(aws_endpoint), get_deps()
    endpoint_id = receiver.endpoint_id

    def relay() -> None:
        relay_and_drain(deps, sqs, queues["webhooks"])

    def log() -> list[dict[str, Any]]:
        answer = api.http.get(f"/api/v1/admin/webhooks/{endpoint_id}/deliveries", headers=ADMIN)
        deliveries: list[dict[str, Any]] = answer.json_body["deliveries"]
        return deliveries

    # A first event while live: delivered. Then the store's system goes down for maintenance.
    first = request_return(api, paid_order(api, stripe_endpoint))
    receiver.wait_for(lambda got: len(of_return(got, first)) == 2, step=relay)
    owner = console_cookie("owner", "owner@retour.local")
    page = api.http.get(f"/console/webhooks/{endpoint_id}", headers=owner).body.decode()
    paused = form_post(api, f"/console/webhooks/{endpoint_id}/pause", owner, csrf=console_csrf(page))
    assert paused.status_code in (302, 303)
    listed = next(e for e in api.http.get("/api/v1/admin/webhooks", headers=ADMIN).json_body["webhooks"]
                  if e["id"] == endpoint_id)
    assert listed["paused"] is True and listed["paused_at"].endswith("Z")

    # While paused: events are recorded and held, a replay too; nothing reaches the address.
    rma = request_return(api, paid_order(api, stripe_endpoint))
    relay()
    earliest = next(d["message_id"] for d in log() if d["message_id"].startswith(f"msg_{first}_"))  # delivered
    replayed = api.http.post(f"/api/v1/admin/webhooks/{endpoint_id}/deliveries/{earliest}/replay", headers=ADMIN)
    assert replayed.status_code == 202
    for _ in range(20):  # the worker takes the replay's message off the queue, and holds it
        relay()
        if next(d for d in log() if d["message_id"] == earliest)["held"]:
            break
    assert next(d for d in log() if d["message_id"] == earliest)["held"]
    assert of_return(receiver.snapshot(), rma) == []
    assert len([r for r in of_return(receiver.snapshot(), first) if r.webhook_id == earliest]) == 1
    held = [d for d in log() if d["message_id"].startswith(f"msg_{rma}_")]
    assert len(held) == 2 and all(d["held"] and d["status"] == "pending" and d["attempts"] == [] for d in held)
    text = api.http.get(f"/console/webhooks/{endpoint_id}", headers=owner).body.decode()
    assert "Paused since" in text and "Held while paused" in text and "Resume endpoint" in text
    assert "Paused" in api.http.get("/console/webhooks", headers=owner).body.decode()

    # Resumed: every held event goes out, with the id a receiver dedupes on; the log says delivered.
    resumed = api.http.post(f"/api/v1/admin/webhooks/{endpoint_id}/resume", headers=ADMIN)
    assert resumed.status_code == 200 and resumed.json_body["paused"] is False
    assert resumed.json_body["released"] == 3
    got = receiver.wait_for(lambda got: len(of_return(got, rma)) == 2, step=relay)
    mine = of_return(got, rma)
    assert sorted(r.type for r in mine) == ["return.approved", "return.created"]
    assert all(r.verified and r.answered == 204 for r in mine)
    assert {r.webhook_id for r in mine} == {d["message_id"] for d in held}
    receiver.wait_for(lambda got: len([r for r in got if r.webhook_id == earliest]) == 2, step=relay)
    assert all(not d["held"] and d["status"] == "delivered" for d in log()
               if d["message_id"].startswith(f"msg_{rma}_"))
    again = api.http.post(f"/api/v1/admin/webhooks/{endpoint_id}/resume", headers=ADMIN)
    assert again.status_code == 200 and again.json_body["released"] == 0
    assert api.http.post("/api/v1/admin/webhooks/ep_nope/pause", headers=ADMIN).status_code == 404
    assert api.http.post("/api/v1/admin/webhooks/ep_nope/resume", headers=ADMIN).status_code == 404


class CountingQueue:
    """The app's own webhook queue, counting what each endpoint was sent (it still sends)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.sent: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def enqueue(self, endpoint_id: str, message_id: str) -> None:
        with self._lock:
            self.sent.append((endpoint_id, message_id))
        self.real.enqueue(endpoint_id, message_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_eight_relays_racing_over_one_outbox_queue_each_delivery_once(api: Client, stripe_endpoint: str) -> None:
    deps = get_deps()
    made = api.http.post("/api/v1/admin/webhooks", headers=ADMIN,
                         body=json.dumps({"url": "http://127.0.0.1:9/race", "events": ALL_EVENTS})).json_body
    rma = request_return(api, paid_order(api, stripe_endpoint))
    counting = CountingQueue(deps._webhook_queue)
    deps._webhook_queue = counting  # type: ignore[assignment]
    barrier = threading.Barrier(8)

    def relay() -> None:
        barrier.wait()
        relay_outbox(deps)

    try:
        threads = [threading.Thread(target=relay) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        deps._webhook_queue = counting.real
        api.http.delete(f"/api/v1/admin/webhooks/{made['id']}", headers=ADMIN)

    # (Events other tests left waiting go to this endpoint too: it subscribes to everything.)
    mine = sorted(m for e, m in counting.sent if e == made["id"] and m.startswith(f"msg_{rma}_"))
    assert mine == [f"msg_{rma}_0000", f"msg_{rma}_0000_approved"]
    assert not [e for e in deps.webhooks.outbox() if e.rma == rma]
