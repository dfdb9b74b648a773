"""Paying a dearer exchange's difference back: only what is owed, claimed by one worker,
recorded once, and the claim never seen by the shopper nor counted as a move."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.errors import ConflictError
from chalicelib.domain.money import Money
from chalicelib.domain.return_request import CANCELLED, EventKind, ReturnRequest
from tests.unit.domain.test_exchange import NOW, an_exchange


def paid_then_cancelled() -> ReturnRequest:
    paid = an_exchange("TEE-NAVY-L").attach_payment_intent("pi_1").record_payment("pi_1", Money(500, "JPY"), at=NOW)
    return paid.cancel(at=NOW + timedelta(hours=1))


def test_an_unpaid_or_open_exchange_owes_nothing_and_cannot_be_claimed() -> None:
    unpaid = an_exchange("TEE-NAVY-L").attach_payment_intent("pi_1").cancel(at=NOW)
    paid_open = an_exchange("TEE-NAVY-L").attach_payment_intent("pi_1").record_payment(
        "pi_1", Money(500, "JPY"), at=NOW)
    for request in (unpaid, paid_open):
        assert not request.owes_difference_refund
        with pytest.raises(ConflictError):
            request.start_difference_refund(at=NOW, actor="system")


def test_the_claim_keeps_the_status_and_stays_off_the_shoppers_timeline() -> None:
    cancelled = paid_then_cancelled()
    at = NOW + timedelta(hours=2)
    claimed = cancelled.start_difference_refund(at=at, actor="system")
    assert claimed.status == CANCELLED and claimed.status_changed_at == cancelled.status_changed_at
    assert claimed.payment is not None and claimed.payment.status == "refunding"
    assert claimed.difference_refund_started_at == at
    assert claimed.owes_difference_refund  # still owed until the refund is recorded
    assert EventKind.DIFFERENCE_REFUND_STARTED not in {e.kind for e in claimed.shopper_events}


def test_the_refund_is_recorded_once_and_then_nothing_is_owed() -> None:
    claimed = paid_then_cancelled().start_difference_refund(at=NOW, actor="system")
    back = claimed.record_difference_refunded("re_1", at=NOW, actor="system")
    assert back.payment is not None and (back.payment.status, back.payment.refund_id) == ("refunded", "re_1")
    assert not back.owes_difference_refund and back.difference_refund_started_at is None
    with pytest.raises(ConflictError):
        back.record_difference_refunded("re_2", at=NOW, actor="system")
    with pytest.raises(ConflictError):
        back.start_difference_refund(at=NOW, actor="system")
