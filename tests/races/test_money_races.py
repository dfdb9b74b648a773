"""Fifty hands on one return or one credit, and faults at every step of the refund saga: one
decision, one receipt, one refund, no overdraft, and a saga that always ends paid exactly once.

Everything runs against the local servers (moto behind its lock, localstripe). Faults are
injected at the wire: DynamoDB's throttling answer in place of a request (a botocore hook on the
app's client, past every SDK retry), and Stripe's 500 or a lost connection around a real
localstripe call (the Stripe SDK's own HTTP client, subclassed). localstripe keeps no
idempotency keys and no refund ceiling, so every test checks Stripe's rules itself.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import botocore.endpoint
import pytest
import stripe
from chalice.test import Client

from chalicelib.adapters.stripe_payments import StripePayments
from chalicelib.bootstrap import Deps, get_deps
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.money import Money
from chalicelib.jobs.refunds import handle_refund_body
from chalicelib.services.decide_return import DecidedBy, Decision, decide_return
from chalicelib.services.receive_return import receive_return
from chalicelib.services.refund_return import resume_stuck_refunds
from devstack.refund_worker import drain
from tests.dynamodb_faults import NOTHING_YET, BehindReplica, Throttle, replica_behind, return_partition
from tests.fakes import ShiftedClock
from tests.functional.conftest import ADMIN
from tests.functional.test_merchant_approvals import late_order
from tests.functional.test_store_credit_and_webhooks import signed
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    API_KEY,
    ONE_TEE,
    Stripe,
    api,
    money_env,
    paid_order,
    policy,
    receive,
    request_return,
    sqs,
    status_of,
    stripe_state,
)

THREADS = 50


def together(work: list[Any]) -> list[Any]:
    """Run every callable in its own thread, released at once; what each returned or raised."""
    start = threading.Barrier(len(work), timeout=60)
    outcomes: list[Any] = [None] * len(work)

    def run(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = work[i]()
        except Exception as error:  # noqa: BLE001 - the tests count outcomes by kind
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def a_paid_order(api: Client, stripe_endpoint: str, stripe_state: Stripe) -> dict[str, Any]:
    """A paid order of its own shopper, so the policy's per-shopper limit never decides a test."""
    return paid_order(api, stripe_endpoint, stripe_state, email=f"shopper-{uuid.uuid4().hex[:8]}@example.jp")


# --- fifty at once ------------------------------------------------------------------------------


def test_fifty_merchants_approving_and_denying_one_request_decide_it_once(
    api: Client, s3: Any
) -> None:
    number = f"7{uuid.uuid4().int % 10**7:07d}"
    document = late_order(number)
    assert api.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document)).status_code == 201
    token = api.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                          body=json.dumps({"order_number": number, "email": document["email"]})).json_body["token"]
    created = api.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": number, "resolution": "refund", "lines": ONE_TEE}))
    assert created.json_body["status"] == "pending_approval", created.json_body
    rma = created.json_body["rma"]
    deps = get_deps()
    actions = ["approve", "reject"] * (THREADS // 2)
    outcomes = together([
        lambda a=action, i=i: decide_return(deps, rma, Decision(action=a), by=DecidedBy(actor=f"merchant-{i}"))
        for i, action in enumerate(actions)
    ])
    won = [o for o in outcomes if not isinstance(o, Exception)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1, outcomes
    assert all(isinstance(e, ConflictError) for e in lost), {repr(e) for e in lost}
    decided = deps.returns.get(rma)
    assert decided is not None and decided.status == won[0].status in ("approved", "rejected")
    assert [e.kind for e in decided.events if e.kind in ("approved", "rejected")] == [decided.status]
    # A rejection gives the unit back; an approval keeps it reserved: never both, never twice.
    units = deps.return_history.units_of_order(number)
    assert dict(units.in_open_returns).get("L1", 0) == (1 if decided.status == "approved" else 0)


def test_fifty_scans_of_one_parcel_receive_it_once_and_refund_it_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any  # noqa: F811
) -> None:
    order = a_paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    deps = get_deps()
    outcomes = together([lambda i=i: receive_return(deps, rma, received_by=f"dock-{i}") for i in range(THREADS)])
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert {o.status for o in outcomes} == {"received"}
    received = deps.returns.get(rma)
    assert received is not None and [e.kind for e in received.events].count("received") == 1
    # However many jobs the scans queued, three workers at once pay one refund.
    workers = [threading.Thread(target=drain, args=(deps, sqs, money_env)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done = status_of(rma)
    refunds = stripe_state.refunds(order["payment"]["payment_intent"])
    assert done.status == "refunded" and [r.id for r in refunds] == [done.refund.refund_id]
    assert dict(deps.return_history.units_of_order(order["number"]).returned) == {"L1": 1}


def test_fifty_redeems_of_one_credit_never_overdraw(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any  # noqa: F811
) -> None:
    email = f"shopper-{uuid.uuid4().hex[:8]}@example.jp"
    order = paid_order(api, stripe_endpoint, stripe_state, email=email)
    rma = request_return(api, order, ONE_TEE, resolution="store_credit")
    assert receive(api, rma).json_body["status"] == "credited"
    deps = get_deps()
    balance = deps.store_credit.account(email, "JPY").balance.minor
    spend = 300
    outcomes = together([
        lambda k=k: deps.store_credit.redeem(email, Money(spend, "JPY"), idempotency_key=f"cart-{k:03d}",
                                             now=deps.clock.now())
        for k in range(THREADS)
    ])
    spent = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(spent) == balance // spend < THREADS
    assert {getattr(e, "code", repr(e)) for e in refused} == {"insufficient_credit"}
    account = api.http.get(f"/api/v1/admin/store-credit/{email}?currency=JPY", headers=ADMIN).json_body
    assert account["balance"] == balance - spend * len(spent) >= 0
    assert sum(e["amount"] for e in account["entries"]) == account["balance"]
    assert stripe_state.refunds(order["payment"]["payment_intent"]) == []


# --- faults at every step of the refund saga -----------------------------------------------------


class StripeFaults(stripe.RequestsClient):  # type: ignore[misc]
    """The Stripe SDK's HTTP client with one fault on the first matching call: a 500 or a lost
    connection, before the request reaches localstripe or after localstripe acted on it."""

    def __init__(self, method: str, path: str, fault: str) -> None:
        super().__init__(timeout=10)
        self.method, self.path, self.fault, self.fired = method, path, fault, False

    def request(self, method: str, url: str, headers: Any, post_data: Any = None) -> Any:
        hit = not self.fired and method == self.method and url.split("?")[0].endswith(self.path)
        if hit:
            self.fired = True
        if hit and self.fault == "500-before":
            return b'{"error": {"type": "api_error", "message": "injected"}}', 500, {}
        if hit and self.fault == "timeout-before":
            raise stripe.APIConnectionError("connect timed out (injected)")
        body, status, response_headers = super().request(method, url, headers, post_data)
        if hit and self.fault == "500-after":
            return b'{"error": {"type": "api_error", "message": "injected"}}', 500, response_headers
        if hit and self.fault == "timeout-after":
            raise stripe.APIConnectionError("read timed out (injected after Stripe acted)")
        return body, status, response_headers


@pytest.fixture
def no_backoff() -> Iterator[None]:
    """The SDK's retry sleeps skipped, so a call throttled past every retry fails at once."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.endpoint.time, "sleep", lambda seconds: None)
        yield


def queued_refund_job(sqs: Any, queue_url: str, rma: str) -> str:
    """The refund job the receipt queued, taken off the queue (the test delivers it by hand)."""
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            break
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            bodies.append(message["Body"])
    mine = [b for b in bodies if rma in b]
    assert len(mine) == 1, bodies
    return mine[0]


def deliver(deps: Deps, body: str) -> str:
    """One delivery of the job to the worker's handler: 'ok' or the error it raised (SQS would
    hand the message out again after a failure)."""
    try:
        handle_refund_body(deps, body)
    except Exception as error:  # noqa: BLE001 - a failed delivery is an outcome here
        return type(error).__name__
    return "ok"


def assert_paid_exactly_once(stripe_state: Stripe, order: dict[str, Any], rma: str) -> None:
    done = status_of(rma)
    assert done.status == "refunded", done.status
    refunds = stripe_state.refunds(order["payment"]["payment_intent"])
    assert [(r.id, r.amount, r.metadata["rma"]) for r in refunds] == [
        (done.refund.refund_id, done.quote.refund_value.minor, rma)
    ]
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None
    assert ledger.remaining_refundable.minor == order["total"] - done.quote.refund_value.minor
    assert Counter(e.kind for e in done.events)["refunded"] == 1


# (operation, how many of its calls pass before the throttling starts): the saga reads the
# return, writes the payment ledger's first copy, moves to refunding with the ceiling (first
# transaction), then to refunded after Stripe answered (second transaction).
DYNAMODB_STEPS = [("Query", 0), ("GetItem", 0), ("PutItem", 0), ("TransactWriteItems", 0), ("TransactWriteItems", 1)]


@pytest.mark.parametrize(("operation", "skip"), DYNAMODB_STEPS,
                         ids=[f"{op}-{n + 1}" for op, n in DYNAMODB_STEPS])
def test_throttling_at_any_saga_step_still_ends_refunded_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
    no_backoff: None, operation: str, skip: int,
) -> None:
    order = a_paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    body = queued_refund_job(sqs, money_env, rma)
    deps = get_deps()
    client = deps.orders._client  # type: ignore[attr-defined]
    throttle = Throttle(skip=skip, code="ThrottlingException")
    event = f"before-send.dynamodb.{operation}"
    client.meta.events.register_first(event, throttle)
    try:
        first = deliver(deps, body)
    finally:
        client.meta.events.unregister(event, throttle)
    assert throttle.throttled, f"the saga made no {operation} call to throttle"
    assert first != "ok", "a delivery that met throttling past every retry must fail (SQS retries it)"
    # SQS hands the message out again; two minutes later the resume job takes what is left.
    assert deliver(deps, body) == "ok"
    resume_stuck_refunds(dataclasses.replace(deps, clock=ShiftedClock(timedelta(minutes=3))))
    assert_paid_exactly_once(stripe_state, order, rma)


STRIPE_STEPS = [
    ("post", "/v1/refunds", "500-before"), ("post", "/v1/refunds", "timeout-before"),
    ("post", "/v1/refunds", "500-after"), ("post", "/v1/refunds", "timeout-after"),
]


@pytest.mark.parametrize(("method", "path", "fault"), STRIPE_STEPS, ids=[s[2] for s in STRIPE_STEPS])
def test_a_stripe_fault_on_the_refund_ends_refunded_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
    method: str, path: str, fault: str,
) -> None:
    order = a_paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    body = queued_refund_job(sqs, money_env, rma)
    faults = StripeFaults(method, path, fault)
    faulty = dataclasses.replace(get_deps(), _payments=StripePayments(
        lambda: API_KEY, api_base=stripe_endpoint, http_client=faults, min_interval_seconds=0))
    assert deliver(faulty, body) == "ok"
    assert faults.fired
    # No definite answer: the return waits in refunding; a second delivery leaves it to the job.
    assert status_of(rma).status == "refunding"
    assert deliver(get_deps(), body) == "ok" and status_of(rma).status == "refunding"
    resume_stuck_refunds(dataclasses.replace(get_deps(), clock=ShiftedClock(timedelta(minutes=3))))
    assert_paid_exactly_once(stripe_state, order, rma)


@pytest.mark.parametrize("fault", ["500-before", "timeout-before"])
def test_a_stripe_fault_while_the_job_looks_for_the_refund_is_retried_on_its_next_run(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
    fault: str,
) -> None:
    order = a_paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    body = queued_refund_job(sqs, money_env, rma)
    lost = dataclasses.replace(get_deps(), _payments=StripePayments(
        lambda: API_KEY, api_base=stripe_endpoint, http_client=StripeFaults("post", "/v1/refunds", "timeout-after"),
        min_interval_seconds=0))
    assert deliver(lost, body) == "ok" and status_of(rma).status == "refunding"
    # The job's first run cannot list the PaymentIntent's refunds: it leaves the return alone.
    listing_fails = dataclasses.replace(get_deps(), clock=ShiftedClock(timedelta(minutes=3)), _payments=StripePayments(
        lambda: API_KEY, api_base=stripe_endpoint, http_client=StripeFaults("get", "/v1/refunds", fault),
        min_interval_seconds=0))
    assert resume_stuck_refunds(listing_fails) == []
    assert status_of(rma).status == "refunding"
    # Its next run (two minutes after the claim) finds the refund Stripe made and settles on it.
    resume_stuck_refunds(dataclasses.replace(get_deps(), clock=ShiftedClock(timedelta(minutes=6))))
    assert_paid_exactly_once(stripe_state, order, rma)


# --- eventually consistent reads behind the table -------------------------------------------------


def deliver_behind(deps: Deps, body: str, rma: str, copy: dict[str, Any]) -> BehindReplica:
    """One delivery of the refund job while eventually consistent reads of the return answer `copy`."""
    with replica_behind(deps, rma, copy) as replica:
        assert deliver(deps, body) == "ok"
    return replica


def test_a_refund_job_whose_read_predates_the_receipt_still_refunds_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
) -> None:
    order = a_paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    deps = get_deps()
    before_receipt = return_partition(deps, rma)  # approved: nothing due under on_receipt
    assert receive(api, rma).status_code == 202
    body = queued_refund_job(sqs, money_env, rma)
    replica = deliver_behind(deps, body, rma, before_receipt)
    assert replica.served, "the job did not read the return eventually consistent"
    assert_paid_exactly_once(stripe_state, order, rma)


def test_a_refund_job_whose_copy_loses_its_first_write_reads_again_and_refunds_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
) -> None:
    order = a_paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    body = queued_refund_job(sqs, money_env, rma)
    deps = get_deps()
    older = return_partition(deps, rma)
    # A write the replica has not seen yet (the status stays received): the job's copy is one
    # version behind, so its conditional move to refunding fails.
    deps.orders._client.update_item(  # type: ignore[attr-defined]
        TableName=deps.returns._table, Key={"pk": {"S": f"RETURN#{rma}"}, "sk": {"S": "RETURN"}},  # type: ignore[attr-defined]
        UpdateExpression="SET version = version + :one", ExpressionAttributeValues={":one": {"N": "1"}})
    replica = deliver_behind(deps, body, rma, older)
    assert replica.served
    assert_paid_exactly_once(stripe_state, order, rma)


def receive_behind(api: Client, rma: str, copy: dict[str, Any]) -> tuple[Any, BehindReplica]:
    """The warehouse's receipt while eventually consistent reads of the return answer `copy`."""
    with replica_behind(get_deps(), rma, copy) as replica:
        return receive(api, rma), replica


@pytest.mark.parametrize("replica_shows", ["nothing yet", "still pending"])
def test_a_receipt_whose_first_read_is_behind_the_table_still_receives_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
    replica_shows: str,
) -> None:
    order = a_paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    copy = return_partition(get_deps(), rma)
    if replica_shows == "nothing yet":
        copy = NOTHING_YET
    else:  # a replica that has not seen the approval yet
        for item in copy["Items"]:
            if item["sk"]["S"] == "RETURN":
                item["status"] = {"S": "pending_approval"}
    answer, replica = receive_behind(api, rma, copy)
    assert replica.served, "the receipt did not read eventually consistent first"
    assert answer.status_code == 202, answer.json_body
    received = status_of(rma)
    assert received.status == "received" and [e.kind for e in received.events].count("received") == 1


# --- attempts, late events and reconciliation (issue 15) ------------------------------------------


def refund_event(kind: str, refund_id: str, rma: str, attempt: int, status: str) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": kind,
        "data": {"object": {"id": refund_id, "object": "refund", "status": status, "amount": 3600,
                            "currency": "jpy", "failure_reason": "lost_or_stolen_card" if status == "failed" else None,
                            "metadata": {"rma": rma, "attempt": str(attempt)}}},
    }


def lost_after_stripe_acted(stripe_endpoint: str) -> Deps:
    return dataclasses.replace(get_deps(), _payments=StripePayments(
        lambda: API_KEY, api_base=stripe_endpoint, http_client=StripeFaults("post", "/v1/refunds", "timeout-after"),
        min_interval_seconds=0))


def a_refund_failed_that_stripe_in_fact_paid(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,
) -> tuple[dict[str, Any], str]:
    """Attempt 1's answer is lost after Stripe paid, then a failure is reported for that attempt
    (Stripe's word; the refund it holds is paid): the return is refund_failed, Stripe has paid."""
    order = a_paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    assert deliver(lost_after_stripe_acted(stripe_endpoint), queued_refund_job(sqs, money_env, rma)) == "ok"
    assert signed(api, refund_event("refund.failed", "re_unknown_to_us", rma, 1, "failed")).status_code == 200
    assert status_of(rma).status == "refund_failed"
    return order, rma


def test_a_late_failure_of_an_earlier_attempt_never_fails_the_retry_nor_raises_the_ceiling(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
) -> None:
    order = a_paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    assert deliver(get_deps(), queued_refund_job(sqs, money_env, rma)) == "ok"
    first = status_of(rma).refund
    # Stripe reports the first refund failed (refund.failed; the other two events of that news wait).
    assert signed(api, refund_event("refund.failed", first.refund_id, rma, 1, "failed")).status_code == 200
    assert status_of(rma).status == "refund_failed"
    # Staff retry; attempt 2 takes the ceiling, then cannot ask Stripe what exists: it waits in
    # refunding, its money counted out.
    assert api.http.post(f"/api/v1/admin/returns/{rma}/retry-refund", headers=ADMIN).status_code == 202
    unlisted = dataclasses.replace(get_deps(), _payments=StripePayments(
        lambda: API_KEY, api_base=stripe_endpoint, http_client=StripeFaults("get", "/v1/refunds", "timeout-before"),
        min_interval_seconds=0))
    assert deliver(unlisted, queued_refund_job(sqs, money_env, rma)) == "ok"
    assert status_of(rma).status == "refunding" and status_of(rma).refund.attempt == 2
    # The same failure of attempt 1 arrives again, under other event ids: it is old news.
    for kind in ("refund.updated", "charge.refund.updated"):
        late = signed(api, refund_event(kind, first.refund_id, rma, 1, "failed"))
        assert late.status_code == 200 and late.json_body["outcome"] == "ignored"
    assert status_of(rma).status == "refunding"
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == order["total"] - 3600
    # The resume job asks Stripe, which (localstripe) still holds attempt 1's refund as paid:
    # it is adopted, and nothing is paid twice.
    resume_stuck_refunds(dataclasses.replace(get_deps(), clock=ShiftedClock(timedelta(minutes=3))))
    done = status_of(rma)
    assert done.status == "refunded" and done.refund.attempt == 2 and done.refund.refund_id == first.refund_id
    assert [r.id for r in stripe_state.refunds(order["payment"]["payment_intent"])] == [first.refund_id]
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == order["total"] - 3600


def test_a_job_delivered_again_after_stripe_refunded_unanswered_adopts_that_refund(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
) -> None:
    order = a_paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    body = queued_refund_job(sqs, money_env, rma)
    assert deliver(lost_after_stripe_acted(stripe_endpoint), body) == "ok"
    assert status_of(rma).status == "refunding"
    # SQS hands the job out again once the worker's time is up: it looks on Stripe and adopts.
    assert deliver(dataclasses.replace(get_deps(), clock=ShiftedClock(timedelta(minutes=3))), body) == "ok"
    assert_paid_exactly_once(stripe_state, order, rma)


def test_a_staff_retry_adopts_a_refund_stripe_made_for_an_earlier_attempt(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
) -> None:
    order, rma = a_refund_failed_that_stripe_in_fact_paid(api, stripe_endpoint, stripe_state, money_env, sqs)
    made = stripe_state.refunds(order["payment"]["payment_intent"])
    assert [r.metadata["attempt"] for r in made] == ["1"]
    assert api.http.post(f"/api/v1/admin/returns/{rma}/retry-refund", headers=ADMIN).status_code == 202
    assert deliver(get_deps(), queued_refund_job(sqs, money_env, rma)) == "ok"
    # Stripe was asked first: attempt 1's refund is adopted, no second one is made.
    done = status_of(rma)
    assert done.status == "refunded" and done.refund.attempt == 2 and done.refund.refund_id == made[0].id
    assert [r.id for r in stripe_state.refunds(order["payment"]["payment_intent"])] == [made[0].id]
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == order["total"] - 3600


def test_store_credit_instead_of_a_failed_refund_stripe_in_fact_paid_is_refused(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
) -> None:
    order, rma = a_refund_failed_that_stripe_in_fact_paid(api, stripe_endpoint, stripe_state, money_env, sqs)
    # Stripe holds attempt 1's refund as paid: store credit on top would pay the shopper twice.
    refused = api.http.post(f"/api/v1/admin/returns/{rma}/credit", headers=ADMIN)
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "refund_exists"
    email = order["email"]
    account = api.http.get(f"/api/v1/admin/store-credit/{email}?currency=JPY", headers=ADMIN).json_body
    assert account["balance"] == 0 and status_of(rma).status == "refund_failed"
