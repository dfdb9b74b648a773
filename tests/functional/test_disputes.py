"""A disputed charge holds its refunds for the merchant; the dispute closing lets them go."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from devstack.refund_worker import drain
from tests.functional.conftest import LOCAL_TABLE
from tests.functional.test_merchant_approvals import sent, subject
from tests.functional.test_money_back_notices import status_page
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
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
from tests.functional.test_store_credit_and_webhooks import imported_order, signed


def dispute_event(kind: str, dispute_id: str, payment_intent: str) -> dict[str, Any]:
    # As Stripe sends it: the dispute names the PaymentIntent, not our order.
    return {
        "id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": kind,
        "data": {"object": {"id": dispute_id, "object": "dispute", "charge": "ch_disputed",
                            "payment_intent": payment_intent, "amount": 5000, "metadata": {},
                            "status": "needs_response" if kind.endswith("created") else "won"}},
    }


def received_and_drained(api: Client, order: dict[str, Any], sqs: Any, queue_url: str) -> str:
    """A return of one tee, its parcel received and the refund queue worked off: its RMA."""
    rma = request_return(api, order, ONE_TEE)
    assert receive(api, rma).status_code == 202
    drain(get_deps(), sqs, queue_url)
    return rma


# Our checkout tags its PaymentIntents with the order number; another storefront's, imported
# through the admin API, may carry no metadata at all: the order is found by its PaymentIntent.
@pytest.mark.parametrize("paid_by", [paid_order, imported_order], ids=["tagged", "imported_without_metadata"])
def test_a_disputed_charge_holds_the_refund_for_the_merchant_until_the_dispute_closes(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, aws_endpoint: str,
    paid_by: Callable[..., dict[str, Any]],
) -> None:
    order = paid_by(api, stripe_endpoint, stripe_state)
    payment_intent = order["payment"]["payment_intent"]
    dispute = f"dp_{uuid.uuid4().hex[:12]}"
    opened = signed(api, dispute_event("charge.dispute.created", dispute, payment_intent))
    assert opened.status_code == 200, opened.json_body
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.dispute_id == dispute

    rma = received_and_drained(api, order, sqs, money_env)
    held = status_of(rma)
    assert held.status == "received" and held.events[-1].kind == "refund_held"
    assert held.events[-1].detail == "charge_disputed"
    assert stripe_state.refunds(payment_intent) == []
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == order["total"]
    merchant = [m for m in sent(aws_endpoint) if subject(m).startswith(f"Refund held for return {rma}")]
    assert len(merchant) == 1
    # The shopper's page says why nothing has arrived yet, in words, not codes.
    page = status_page(api, order, rma)
    assert "Your refund is on hold while your bank reviews a dispute about this payment." in page
    assert "Refund on hold" in page and "refund_held" not in page and "on its way" not in page

    closed = signed(api, dispute_event("charge.dispute.closed", dispute, payment_intent))
    assert closed.status_code == 200, closed.json_body
    drain(get_deps(), sqs, money_env)
    done = status_of(rma)
    assert done.status == "refunded"
    assert [r.id for r in stripe_state.refunds(payment_intent)] == [done.refund.refund_id]
    assert "Your refund is on hold" not in status_page(api, order, rma)
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.dispute_id is None


def test_a_closed_dispute_does_not_pay_a_return_that_is_not_due(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    payment_intent = order["payment"]["payment_intent"]
    dispute = f"dp_{uuid.uuid4().hex[:12]}"
    assert signed(api, dispute_event("charge.dispute.created", dispute, payment_intent)).status_code == 200
    rma = request_return(api, order, ONE_TEE)  # approved, the parcel not yet received
    assert signed(api, dispute_event("charge.dispute.closed", dispute, payment_intent)).status_code == 200
    drain(get_deps(), sqs, money_env)
    assert status_of(rma).status == "approved"
    assert stripe_state.refunds(payment_intent) == []


def test_a_dispute_on_a_payment_intent_no_order_of_ours_names_is_acknowledged(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    dispute = f"dp_{uuid.uuid4().hex[:12]}"
    # Neither our index nor Stripe knows the PaymentIntent: 2xx, or Stripe would retry for days.
    response = signed(api, dispute_event("charge.dispute.created", dispute, "pi_nobody_we_know"))
    assert response.status_code == 200 and response.json_body["outcome"] == "ignored"


def test_an_order_stored_before_the_payment_intent_index_is_found_through_stripe_metadata(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, local_table: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    # As an order imported before the index existed: no gsi3 keys on its item.
    key = {"pk": {"S": f"ORDER#{order['number']}"}, "sk": {"S": "ORDER"}}
    local_table.update_item(TableName=LOCAL_TABLE, Key=key, UpdateExpression="REMOVE gsi3pk, gsi3sk")
    assert get_deps().orders.paid_by(order["payment"]["payment_intent"]) == []
    dispute = f"dp_{uuid.uuid4().hex[:12]}"
    opened = signed(api, dispute_event("charge.dispute.created", dispute, order["payment"]["payment_intent"]))
    assert opened.status_code == 200 and opened.json_body["outcome"] == "dispute_opened"
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.dispute_id == dispute


def test_a_lost_dispute_lowers_the_ceiling_so_the_held_refund_never_pays_again(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    payment_intent = order["payment"]["payment_intent"]
    dispute = f"dp_{uuid.uuid4().hex[:12]}"
    assert signed(api, dispute_event("charge.dispute.created", dispute, payment_intent)).status_code == 200
    rma = received_and_drained(api, order, sqs, money_env)
    assert status_of(rma).events[-1].kind == "refund_held"
    # The bank sided with the cardholder on the whole charge: the money went back that way.
    lost = dispute_event("charge.dispute.closed", dispute, payment_intent)
    lost["data"]["object"].update(status="lost", amount=order["total"])
    assert signed(api, lost).status_code == 200
    again = dict(lost, id=f"evt_{uuid.uuid4().hex[:16]}")  # the same news under another event id
    assert signed(api, again).status_code == 200
    drain(get_deps(), sqs, money_env)
    failed = status_of(rma)
    assert failed.status == "refund_failed" and failed.refund.failure_reason == "exceeds_refundable"
    assert stripe_state.refunds(payment_intent) == []
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == 0 and ledger.dispute_id is None


def test_a_dispute_created_event_delivered_after_its_closing_holds_nothing(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    payment_intent = order["payment"]["payment_intent"]
    dispute = f"dp_{uuid.uuid4().hex[:12]}"
    assert signed(api, dispute_event("charge.dispute.closed", dispute, payment_intent)).status_code == 200
    late = signed(api, dispute_event("charge.dispute.created", dispute, payment_intent))
    assert late.status_code == 200 and late.json_body["outcome"] == "duplicate"
    rma = received_and_drained(api, order, sqs, money_env)
    done = status_of(rma)
    assert done.status == "refunded"
    assert [r.id for r in stripe_state.refunds(payment_intent)] == [done.refund.refund_id]
