"""A counter-offer (issue 18 item 5): the merchant offers other terms, the shopper answers once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import ConflictError, ValidationError
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.reservations import Release
from chalicelib.domain.return_request import (
    APPROVED,
    CANCELLED,
    EXPIRED,
    OFFERED,
    EventKind,
    OfferClosedError,
    ReturnRequest,
)
from tests.builders import an_order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SELECTIONS = (Selection("L1", 2, "too_small"),)


def a_pending_return() -> ReturnRequest:
    order = an_order()
    priced = quote(order, SELECTIONS, DEFAULT_POLICY, resolution="refund")
    return ReturnRequest.request(rma="R-7Q4K-9M2P", order=order, selections=SELECTIONS, quote=priced,
                                 needs_approval=True, at=NOW)


def fee_terms(percent: int = 10):  # type: ignore[no-untyped-def]
    policy = replace(DEFAULT_POLICY, fees=replace(DEFAULT_POLICY.fees, restocking_percent=percent))
    return quote(an_order(), SELECTIONS, policy, resolution="refund")


def an_offered_return() -> ReturnRequest:
    return a_pending_return().make_offer(fee_terms(), at=NOW + timedelta(hours=1), actor="merchant:shop@example.com",
                                         note="The box was opened.", terms="offered minus a 10% fee")


def test_an_offer_keeps_the_ask_and_waits_for_the_shopper_with_the_merchants_reason() -> None:
    pending = a_pending_return()
    offered = an_offered_return()
    assert offered.status == OFFERED
    assert offered.quote == pending.quote  # what the shopper asked for, beside the offer
    assert offered.offer is not None and offered.offer.total < pending.quote.total
    assert offered.merchant_note == "The box was opened."
    assert offered.is_open  # its units stay reserved while the shopper thinks


@pytest.mark.parametrize("note", ["", "   ", "x" * 1001])
def test_an_offer_without_a_reason_is_refused(note: str) -> None:
    with pytest.raises(ValidationError) as refused:
        a_pending_return().make_offer(fee_terms(), at=NOW, actor="merchant:a", note=note, terms="fee")
    assert refused.value.fields == ("note",)


def test_accepting_makes_the_offer_the_quote_and_approves() -> None:
    offered = an_offered_return()
    accepted = offered.accept_offer(at=NOW + timedelta(hours=2))
    assert accepted.status == APPROVED
    assert accepted.quote == offered.offer and accepted.offer is None
    assert accepted.events[-1].kind == EventKind.OFFER_ACCEPTED and accepted.events[-1].actor == "shopper"
    assert accepted.reservation_changes(new_events=1) == ()  # the units stay in the return


def test_declining_closes_without_money_and_frees_the_units() -> None:
    declined = an_offered_return().decline_offer(at=NOW + timedelta(hours=2))
    assert declined.status == CANCELLED and declined.offer is None
    assert declined.offer_outcome == "declined"
    assert declined.reservation_changes(new_events=1) == (Release("L1", 2),)


def test_an_unanswered_offer_expires_and_frees_the_units() -> None:
    expired = an_offered_return().expire(at=NOW + timedelta(days=8), actor="system:return_expiry")
    assert expired.status == EXPIRED and expired.offer_outcome == "expired"
    assert expired.reservation_changes(new_events=1) == (Release("L1", 2),)


def test_an_answered_offer_cannot_be_answered_the_other_way() -> None:
    accepted = an_offered_return().accept_offer(at=NOW + timedelta(hours=2))
    with pytest.raises(OfferClosedError):
        accepted.decline_offer(at=NOW + timedelta(hours=3))
    declined = an_offered_return().decline_offer(at=NOW + timedelta(hours=2))
    with pytest.raises(OfferClosedError):
        declined.accept_offer(at=NOW + timedelta(hours=3))


def test_only_a_pending_return_gets_an_offer() -> None:
    with pytest.raises(ConflictError):
        an_offered_return().make_offer(fee_terms(), at=NOW, actor="merchant:a", note="again", terms="fee")


def test_the_shoppers_message_is_the_merchants_words_not_a_jobs() -> None:
    rejected = a_pending_return().reject(at=NOW, actor="merchant:a", note="Worn items can't be returned")
    assert rejected.merchant_note == "Worn items can't be returned"
    timed_out = a_pending_return().reject(at=NOW, actor="system:approval_timeout", note="No decision within 168 hours")
    assert timed_out.merchant_note == ""
