"""Money back against the local Stripe and the local DynamoDB/SQS: exact, once, and never above
what was captured, checked with Stripe's own rules after every scenario (localstripe is lenient)."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import stripe
from chalice.test import Client

from chalicelib.adapters.stripe_payments import StripePayments
from chalicelib.bootstrap import Deps, get_deps
from chalicelib.domain.money import Money
from chalicelib.services.receive_return import receive_return
from chalicelib.services.refund_return import resume_stuck_refunds
from devstack.payments import pay, stripe_client
from devstack.refund_worker import drain
from devstack.sqs import ensure_refund_queues
from tests.documents import an_order_document, days_ago
from tests.fakes import ShiftedClock
from tests.functional.conftest import ADMIN, put_policy

API_KEY = "sk_test_local_fake_key_not_a_secret"
WEBHOOK_SECRET = "whsec_local_fake_webhook_secret_not_a_secret"


@pytest.fixture(scope="module")
def money_env(stripe_endpoint: str, aws_endpoint: str) -> Iterator[str]:
    """The stage's Stripe and refund queue point at this session's servers."""
    queue = f"retour-test-refunds-{uuid.uuid4().hex[:8]}"
    sqs = boto3.client("sqs", endpoint_url=aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    url = ensure_refund_queues(sqs, queue)
    saved = {k: os.environ.get(k) for k in ("RETOUR_STRIPE_API_BASE", "RETOUR_REFUND_QUEUE_NAME")}
    os.environ["RETOUR_STRIPE_API_BASE"] = stripe_endpoint
    os.environ["RETOUR_REFUND_QUEUE_NAME"] = queue
    yield url
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def api(money_env: str, client: Client) -> Client:
    return client


@pytest.fixture
def sqs(aws_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=aws_endpoint, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


@pytest.fixture(autouse=True)
def policy(api: Client) -> None:
    put_policy(api)


class Stripe:
    """What localstripe holds, checked against Stripe's own rules."""

    def __init__(self, endpoint: str) -> None:
        self.client = stripe_client(endpoint, API_KEY)
        self.payment_intents: list[str] = []

    def refunds(self, payment_intent: str) -> list[Any]:
        return list(self.client.v1.refunds.list(params={"payment_intent": payment_intent, "limit": 100}).data)

    def assert_rules(self) -> None:
        for payment_intent in self.payment_intents:
            intent = self.client.v1.payment_intents.retrieve(payment_intent)
            refunds = self.refunds(payment_intent)
            assert sum(r.amount for r in refunds if r.status != "failed") <= intent.amount
            tags = [r.to_dict().get("metadata") or {} for r in refunds]
            keys = Counter((m.get("rma"), m.get("attempt")) for m in tags if m.get("rma"))
            assert all(n == 1 for n in keys.values()), keys


@pytest.fixture
def stripe_state(stripe_endpoint: str) -> Iterator[Stripe]:
    state = Stripe(stripe_endpoint)
    yield state
    state.assert_rules()


def paid_order(api: Client, stripe_endpoint: str, stripe_state: Stripe, **overrides: Any) -> dict[str, Any]:
    """A fresh order, paid on the local Stripe for exactly its total, imported with its PaymentIntent."""
    number = f"9{uuid.uuid4().int % 10**7:07d}"
    document = an_order_document(number=number, placed_at=days_ago(7), delivered_at=days_ago(5), **overrides)
    total = sum(
        line["unit_price"] * line["quantity"] - line["discount"] + line["tax"] for line in document["lines"]
    ) + document["shipping_total"]
    payment_intent = pay(stripe_endpoint, API_KEY, amount=total, currency=document["currency"],
                         description=f"order {number}", metadata={"order_number": number})
    stripe_state.payment_intents.append(payment_intent)
    document["payment"] = {"provider": "stripe", "payment_intent": payment_intent}
    response = api.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code == 201, response.json_body
    document["total"] = total
    return document


def request_return(api: Client, order: dict[str, Any], lines: list[dict[str, Any]], resolution: str = "refund") -> str:
    lookup = api.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                           body=json.dumps({"order_number": order["number"], "email": order["email"]}))
    assert lookup.status_code == 200, lookup.json_body
    token = lookup.json_body["token"]
    created = api.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": order["number"], "lines": lines, "resolution": resolution}),
    )
    assert created.status_code == 201, created.json_body
    assert created.json_body["status"] == "approved"
    rma: str = created.json_body["rma"]
    return rma


def receive(api: Client, rma: str) -> Any:
    return api.http.post(f"/api/v1/admin/returns/{rma}/receive", headers=ADMIN)


def status_of(rma: str) -> Any:
    found = get_deps().returns.get(rma)
    assert found is not None
    return found


ONE_TEE = [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]


def test_a_received_return_is_refunded_exactly_in_yen(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    response = receive(api, rma)
    assert response.status_code == 202, response.json_body
    assert response.json_body["status"] == "received"
    assert drain(get_deps(), sqs, money_env) == 1
    refunded = status_of(rma)
    assert refunded.status == "refunded"
    refunds = stripe_state.refunds(order["payment"]["payment_intent"])
    assert [(r.amount, r.currency, r.metadata["rma"], r.id) for r in refunds] == [
        (3600, "jpy", rma, refunded.refund.refund_id)
    ]
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable == Money(order["total"] - 3600, "JPY")


def test_a_partial_refund_in_dollars_is_exact_to_the_cent(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    lines = [{"id": "L1", "sku": "MUG", "title": "Mug", "quantity": 3, "unit_price": 1999, "tax": 480,
              "discount": 0, "product_type": "home", "tags": [], "final_sale": False}]
    order = paid_order(api, stripe_endpoint, stripe_state, currency="USD", locale="en", lines=lines,
                       shipping_total=595)
    rma = request_return(api, order, [{"line_id": "L1", "quantity": 1, "reason": "changed_mind"}])
    assert receive(api, rma).status_code == 202
    drain(get_deps(), sqs, money_env)
    assert status_of(rma).status == "refunded"
    refunds = stripe_state.refunds(order["payment"]["payment_intent"])
    assert [(r.amount, r.currency) for r in refunds] == [(1999 + 160, "usd")]


def test_twenty_concurrent_receipts_make_exactly_one_stripe_refund(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    deps = get_deps()
    barrier = threading.Barrier(20)
    statuses: list[str] = []

    def scan() -> None:
        barrier.wait()
        statuses.append(receive_return(deps, rma, received_by="dock").status)

    threads = [threading.Thread(target=scan) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 20 and set(statuses) == {"received"}
    # Every message is safe twice: deliver the job again, and drain with two workers at once.
    deps.refund_queue.enqueue(rma, trigger="receipt")
    deps.refund_queue.enqueue(rma, trigger="receipt")
    workers = [threading.Thread(target=drain, args=(deps, sqs, money_env)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert status_of(rma).status == "refunded"
    assert len(stripe_state.refunds(order["payment"]["payment_intent"])) == 1


def test_two_returns_on_one_order_never_exceed_what_was_captured(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    payment_intent = order["payment"]["payment_intent"]
    first = request_return(api, order, ONE_TEE)
    second = request_return(api, order, ONE_TEE)
    deps = get_deps()
    # Someone refunded most of the order in the Stripe dashboard meanwhile.
    outside = stripe_state.client.v1.refunds.create(params={"payment_intent": payment_intent, "amount": order["total"] - 5000})
    order_domain = deps.orders.get(order["number"])
    assert order_domain is not None
    deps.payment_ledger.ensure(order_domain, now=datetime.now(UTC))
    assert deps.payment_ledger.record_outside_refund(order["number"], outside.id, Money(outside.amount, "JPY"),
                                                    now=datetime.now(UTC))
    for rma in (first, second):
        assert receive(api, rma).status_code == 202
    drain(deps, sqs, money_env)
    assert status_of(first).status == "refunded"
    failed = status_of(second)
    assert failed.status == "refund_failed" and failed.refund.failure_reason == "exceeds_refundable"
    refunds = stripe_state.refunds(payment_intent)
    assert sum(r.amount for r in refunds) == order["total"] - 5000 + 3600 <= order["total"]
    ledger = deps.payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable == Money(5000 - 3600, "JPY")


class CrashingHTTP(stripe.RequestsClient):  # type: ignore[misc]
    """Forwards to localstripe, then loses or alters the answer of a refund creation (or, with
    "refused", answers it with Stripe's refusal and never forwards it)."""

    def __init__(self, fault: str) -> None:
        super().__init__(timeout=10)
        self.fault = fault

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        if self.fault == "refused" and method == "post" and url.endswith("/v1/refunds"):
            # Stripe says no before paying anything (localstripe never refuses a refund).
            refusal = {"error": {"type": "invalid_request_error", "code": "charge_disputed",
                                 "message": "This charge is disputed (injected)."}}
            return json.dumps(refusal).encode(), 400, {}
        body, status, response_headers = super().request(method, url, headers, post_data)
        if method == "post" and url.endswith("/v1/refunds"):
            if self.fault == "timeout":
                raise stripe.APIConnectionError("read timed out (injected after the refund was made)")
            if self.fault == "500":
                return b'{"error": {"type": "api_error", "message": "injected"}}', 500, response_headers
            if self.fault in ("failed", "pending"):
                data = json.loads(body)
                data["status"] = self.fault
                if self.fault == "failed":
                    data["failure_reason"] = "expired_or_canceled_card"
                return json.dumps(data).encode(), status, response_headers
        return body, status, response_headers


def faulty_deps(stripe_endpoint: str, fault: str) -> Deps:
    gateway = StripePayments(lambda: API_KEY, api_base=stripe_endpoint, http_client=CrashingHTTP(fault),
                             min_interval_seconds=0)
    return dataclasses.replace(get_deps(), _payments=gateway, _difference_payments=None)


@pytest.mark.parametrize("fault", ["timeout", "500"])
def test_a_crash_after_stripe_refunded_is_resumed_into_refunded_with_one_refund(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, fault: str
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    drain(faulty_deps(stripe_endpoint, fault), sqs, money_env)
    assert status_of(rma).status == "refunding"
    assert len(stripe_state.refunds(order["payment"]["payment_intent"])) == 1
    # Not yet two minutes: the job leaves it alone.
    assert resume_stuck_refunds(get_deps()) == []
    later = dataclasses.replace(get_deps(), clock=ShiftedClock(timedelta(minutes=3)))
    resumed = resume_stuck_refunds(later)
    assert [r.rma for r in resumed] == [rma]
    done = status_of(rma)
    refunds = stripe_state.refunds(order["payment"]["payment_intent"])
    assert done.status == "refunded" and [r.id for r in refunds] == [done.refund.refund_id]


def test_a_refund_stripe_reports_failed_restores_the_ceiling_and_can_be_retried(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    drain(faulty_deps(stripe_endpoint, "failed"), sqs, money_env)
    failed = status_of(rma)
    assert failed.status == "refund_failed" and failed.refund.failure_reason == "expired_or_canceled_card"
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == order["total"]
    retried = api.http.post(f"/api/v1/admin/returns/{rma}/retry-refund", headers=ADMIN)
    assert retried.status_code == 202, retried.json_body
    drain(get_deps(), sqs, money_env)
    done = status_of(rma)
    assert done.status == "refunded" and done.refund.attempt == 2
    assert done.refund.idempotency_key == f"refund-{rma}-2"


def test_a_pending_refund_counts_as_refunded(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    drain(faulty_deps(stripe_endpoint, "pending"), sqs, money_env)
    assert status_of(rma).status == "refunded"


def test_receiving_needs_the_admin_key_and_an_existing_return(api: Client) -> None:
    assert api.http.post("/api/v1/admin/returns/R-0000-0000/receive").status_code == 401
    assert receive(api, "R-0000-0000").status_code == 404


def test_under_refund_on_approval_a_return_approved_at_once_is_refunded_without_receipt(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    put_policy(api, refund_trigger="on_approval")
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    drain(get_deps(), sqs, money_env)
    assert status_of(rma).status == "refunded"
    # The parcel arriving later changes nothing about the money, but its units count as returned.
    history = get_deps().return_history
    assert history.units_of_order(order["number"]).returned == {"L1": 0}
    for _ in range(2):
        late = receive(api, rma)
        assert late.status_code == 202 and late.json_body["status"] == "refunded"
    assert history.units_of_order(order["number"]).returned == {"L1": 1}
    assert [e.kind for e in status_of(rma).events].count("received") == 1
    drain(get_deps(), sqs, money_env)
    assert len(stripe_state.refunds(order["payment"]["payment_intent"])) == 1


def test_a_received_parcel_counts_its_units_as_returned_not_as_requested(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    lines = [{"id": "L1", "sku": "TEE", "title": "Tee", "quantity": 1, "unit_price": 3300, "tax": 300,
              "discount": 0, "product_type": "apparel", "tags": [], "final_sale": False}]
    order = paid_order(api, stripe_endpoint, stripe_state, lines=lines, email=f"{uuid.uuid4().hex[:8]}@example.jp")
    rma = request_return(api, order, ONE_TEE)
    history = get_deps().return_history
    assert history.units_of_order(order["number"]).returned == {"L1": 0}
    assert receive(api, rma).status_code == 202
    units = history.units_of_order(order["number"])
    assert units.returned == {"L1": 1} and units.in_open_returns == {"L1": 0}
    lookup = api.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                           body=json.dumps({"order_number": order["number"], "email": order["email"]}))
    verdict = lookup.json_body["order"]["lines"][0]["verdict"]
    assert (verdict["status"], verdict["reason_code"]) == ("not_returnable", "fully_returned")
    # A second scan of the same parcel counts nothing twice.
    assert receive(api, rma).status_code == 202
    assert history.units_of_order(order["number"]).returned == {"L1": 1}
    drain(get_deps(), sqs, money_env)


def test_a_rejected_return_gives_its_reserved_units_back(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    # Delivered 5 days ago, a 0-day window and 30 days' grace: the merchant decides.
    put_policy(api, window_days=0)
    order = paid_order(api, stripe_endpoint, stripe_state, email=f"{uuid.uuid4().hex[:8]}@example.jp")
    lookup = api.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                           body=json.dumps({"order_number": order["number"], "email": order["email"]}))
    created = api.http.post(
        "/api/v1/returns",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {lookup.json_body['token']}"},
        body=json.dumps({"order_number": order["number"], "lines": ONE_TEE, "resolution": "refund"}),
    )
    assert created.json_body["status"] == "pending_approval", created.json_body
    history = get_deps().return_history
    assert history.units_of_order(order["number"]).in_open_returns == {"L1": 1}
    rejected = api.http.post(f"/api/v1/admin/returns/{created.json_body['rma']}/reject", headers=ADMIN,
                             body=json.dumps({"note": "worn"}))
    assert rejected.status_code == 200 and rejected.json_body["status"] == "rejected"
    units = history.units_of_order(order["number"])
    assert units.in_open_returns == {"L1": 0} and units.returned == {"L1": 0}


def test_an_unreadable_queue_message_is_never_dropped_but_ends_in_the_dead_letter_queue(
    api: Client, money_env: str, sqs: Any
) -> None:
    from chalicelib.domain.errors import ValidationError
    from chalicelib.jobs.refunds import handle_refund_body

    with pytest.raises(ValidationError):
        handle_refund_body(get_deps(), "not a refund job")
    sqs.send_message(QueueUrl=money_env, MessageBody='{"rma": 42}')
    # The worker fails on it every time (an error returns a message to SQS), five receives in all;
    # each receive here makes it visible again at once instead of after the visibility timeout.
    for _ in range(5):
        [message] = sqs.receive_message(QueueUrl=money_env, VisibilityTimeout=0)["Messages"]
        with pytest.raises(ValidationError):
            handle_refund_body(get_deps(), message["Body"])
    assert sqs.receive_message(QueueUrl=money_env, VisibilityTimeout=0).get("Messages", []) == []
    dead_letter = sqs.get_queue_url(QueueName=money_env.rsplit("/", 1)[1] + "-dlq")["QueueUrl"]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=dead_letter, MaxNumberOfMessages=10).get("Messages", [])]
    assert bodies == ['{"rma": 42}']
