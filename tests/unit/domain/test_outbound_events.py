"""Which timeline entries send which event, under which id, with which body; the retry schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.outbound_events import (
    EVENT_TYPE_BY_KIND,
    EVENT_TYPES,
    MAX_ATTEMPTS,
    OUTBOX_SHARDS,
    check_event_types,
    event_type_of,
    message_id,
    outbound_events,
    outbox_shard,
    retry_delay,
)
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import EventKind, ReturnRequest
from tests.builders import an_order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def a_return(*, needs_approval: bool) -> ReturnRequest:
    order = an_order()
    selections = (Selection("L1", 1, "too_small"),)
    priced = quote(order, selections, DEFAULT_POLICY, resolution="refund")
    return ReturnRequest.request(rma="R-7Q4K-9M2P", order=order, selections=selections, quote=priced,
                                 needs_approval=needs_approval, at=NOW)


@pytest.mark.parametrize(("kind", "event_type"), [
    ("requested", "return.created"),
    ("approved", "return.approved"),
    ("offer_accepted", "return.approved"),
    ("rejected", "return.rejected"),
    ("received", "return.received"),
    ("refunded", "return.refunded"),
    ("credited", "return.credited"),
    ("cancelled", "return.cancelled"),
    ("offer_declined", "return.cancelled"),
    ("expired", "return.expired"),
    ("exchange_created", "exchange.created"),
    ("difference_refunded", "return.refunded"),
])
def test_each_move_a_store_cares_about_sends_its_event(kind: str, event_type: str) -> None:
    assert event_type_of(kind) == event_type


def test_a_paid_difference_approves_an_exchange_unless_the_store_must_approve_it() -> None:
    assert event_type_of("payment_received", "approved") == "return.approved"
    assert event_type_of("payment_received", "pending_approval") is None


@pytest.mark.parametrize("kind", ["note", "refund_started", "refund_held", "refund_failed", "offered",
                                  "ship_reminder_sent", "approval_email_resent", "refund_retry_requested",
                                  "exchanged", "exchange_unavailable", "difference_refund_started"])
def test_staff_notes_reminders_and_steps_inside_a_refund_send_nothing(kind: str) -> None:
    assert event_type_of(kind) is None


def test_every_mapped_event_is_a_published_type_and_every_kind_mapped_exists() -> None:
    assert set(EVENT_TYPE_BY_KIND.values()) == set(EVENT_TYPES)
    known = {k.value for k in EventKind} | {"exchange_created"}
    assert set(EVENT_TYPE_BY_KIND) <= known


def test_the_id_comes_from_the_rma_and_the_entry_so_a_retry_makes_the_same_one() -> None:
    assert message_id("R-7Q4K-9M2P", 3) == "msg_R-7Q4K-9M2P_0003"
    assert message_id("R-7Q4K-9M2P", 3) == message_id("R-7Q4K-9M2P", 3) != message_id("R-7Q4K-9M2P", 4)


def test_a_return_waiting_for_the_merchant_sends_created_then_approved_when_decided() -> None:
    made = a_return(needs_approval=True)
    assert [(e.type, e.message_id) for e in outbound_events(made, first_new=0)] == [
        ("return.created", "msg_R-7Q4K-9M2P_0000")]
    decided = made.approve(at=NOW + timedelta(hours=2), actor="admin")
    sent = outbound_events(decided, first_new=1)
    assert [(e.type, e.message_id) for e in sent] == [("return.approved", "msg_R-7Q4K-9M2P_0001")]
    body = json.loads(sent[0].body)
    assert body["type"] == "return.approved" and body["timestamp"] == "2026-11-23T14:00:00Z"
    assert body["data"]["status"] == "approved" and body["data"]["rma"] == "R-7Q4K-9M2P"


def test_a_return_approved_as_it_is_made_sends_created_and_approved_under_two_ids() -> None:
    sent = outbound_events(a_return(needs_approval=False), first_new=0)
    assert [(e.type, e.message_id) for e in sent] == [
        ("return.created", "msg_R-7Q4K-9M2P_0000"), ("return.approved", "msg_R-7Q4K-9M2P_0000_approved")]


def test_the_payload_is_the_return_in_minor_units_and_nothing_private() -> None:
    made = a_return(needs_approval=False)
    data = json.loads(outbound_events(made, first_new=0)[0].body)["data"]
    assert set(data) == {"rma", "order_number", "status", "resolution", "amounts", "lines", "created_at"}
    assert data["amounts"]["currency"] == "JPY" and isinstance(data["amounts"]["total"], int)
    assert data["lines"][0]["line_id"] == "L1" and data["lines"][0]["quantity"] == 1
    assert data["created_at"] == "2026-11-23T12:00:00Z"
    assert made.customer_email not in json.dumps(data)


def test_a_return_spreads_over_the_outbox_shards_the_same_way_every_time() -> None:
    shards = {outbox_shard(f"R-0000-{n:04d}") for n in range(200)}
    assert shards == set(range(OUTBOX_SHARDS))
    assert outbox_shard("R-7Q4K-9M2P") == outbox_shard("R-7Q4K-9M2P")


def test_retries_back_off_exponentially_and_stop_after_the_last_attempt() -> None:
    delays = [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays[:5] == [5, 30, 120, 600, 3600]
    waits = [d for d in delays if d is not None]
    assert waits == sorted(waits) and max(waits) <= 12 * 3600
    assert delays[-1] is None and delays.count(None) == 1
    with pytest.raises(ValueError):
        retry_delay(0)


def test_an_endpoint_subscribes_to_known_types_only_and_at_least_one() -> None:
    assert check_event_types(["return.refunded", "return.created"]) == ("return.created", "return.refunded")
    for bad in ([], ["return.shipped"], ["return.created", 7]):
        with pytest.raises(ValidationError):
            check_event_types(bad)
