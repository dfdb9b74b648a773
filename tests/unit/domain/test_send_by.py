"""Send-by dates and the reminder before them (domain/send_by.py), as the shopper meets them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from chalicelib.domain.send_by import approvals_due_for_reminder, reminder_due, send_by, send_by_date
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document

NOW = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
TOKYO = replace(DEFAULT_POLICY, time_zone="Asia/Tokyo", ship_within_days=14, ship_reminder_days_before=3)


def a_return(*, pending: bool = False, at: datetime = NOW) -> ReturnRequest:
    order = OrderIn.model_validate(an_order_document(number="1001")).to_domain()
    selections = (Selection("L1", 1, "too_small"),)
    priced = quote(order, selections, DEFAULT_POLICY, resolution="refund")
    return ReturnRequest.request(rma="R-0000-0001", order=order, selections=selections, quote=priced,
                                 needs_approval=pending, at=at)


def test_an_approved_return_is_sent_by_its_approval_plus_the_policys_days_on_the_stores_calendar() -> None:
    approved = a_return()
    assert send_by(approved, 14) == NOW + timedelta(days=14)
    # 16:30 UTC on 7 December is 01:30 on 8 December in Tokyo: the store's day is the 8th.
    assert send_by_date(approved, TOKYO) == date(2026, 12, 8)
    assert send_by_date(approved, replace(TOKYO, time_zone="UTC")) == date(2026, 12, 7)


def test_the_date_counts_from_the_merchants_approval_not_from_the_request() -> None:
    pending = a_return(pending=True)
    assert send_by_date(pending, TOKYO) is None  # waiting for the store: nothing to send yet
    approved = pending.approve(at=NOW + timedelta(days=2), actor="merchant")
    assert send_by(approved, 14) == NOW + timedelta(days=16)


def test_no_date_without_a_limit_nor_once_the_return_left_approved() -> None:
    approved = a_return()
    assert send_by_date(approved, replace(TOKYO, ship_within_days=None)) is None
    assert send_by_date(approved.cancel(at=NOW + timedelta(hours=1)), TOKYO) is None
    assert send_by_date(approved.receive(at=NOW + timedelta(days=3), actor="warehouse"), TOKYO) is None


def test_the_reminder_falls_due_days_before_the_send_by_and_not_after_it() -> None:
    approved = a_return()
    assert not reminder_due(approved, TOKYO, now=NOW + timedelta(days=10, hours=23))
    assert reminder_due(approved, TOKYO, now=NOW + timedelta(days=11))
    assert reminder_due(approved, TOKYO, now=NOW + timedelta(days=13, hours=23))
    assert not reminder_due(approved, TOKYO, now=NOW + timedelta(days=14))  # expired by then


def test_the_reminder_goes_once_and_not_when_the_store_turned_it_off() -> None:
    approved = a_return()
    later = NOW + timedelta(days=12)
    assert not reminder_due(approved, replace(TOKYO, ship_reminder_days_before=None), now=later)
    assert not reminder_due(approved, replace(TOKYO, ship_within_days=None), now=later)
    reminded = approved.record_ship_reminder(at=later, actor="system:ship_reminders",
                                             send_by=NOW + timedelta(days=14))
    assert not reminder_due(reminded, TOKYO, now=later + timedelta(hours=1))


def test_a_reminder_is_no_move_the_return_stays_approved_from_the_same_moment() -> None:
    approved = a_return()
    reminded = approved.record_ship_reminder(at=NOW + timedelta(days=11), actor="system:ship_reminders",
                                             send_by=NOW + timedelta(days=14))
    assert reminded.status == "approved"
    assert reminded.status_changed_at == NOW  # the expiry still counts from the approval
    assert [e.kind for e in reminded.shopper_events] == ["requested", "ship_reminder_sent"]
    assert send_by(reminded, 14) == NOW + timedelta(days=14)


def test_the_jobs_range_is_the_approvals_whose_reminder_is_due_and_send_by_not_passed() -> None:
    since, until = approvals_due_for_reminder(TOKYO, now=NOW) or (None, None)
    assert since == NOW - timedelta(days=14)
    assert until is not None and NOW - timedelta(days=11) < until <= NOW - timedelta(days=11) + timedelta(seconds=1)
    # A reminder as early as the approval itself is no reminder.
    assert approvals_due_for_reminder(replace(TOKYO, ship_within_days=3), now=NOW) is None


def test_the_reminder_setting_is_whole_days_from_1_to_30_or_none() -> None:
    import pytest

    from chalicelib.domain.errors import ValidationError

    for wrong in (0, 31, -1, 2.5, "3"):
        with pytest.raises(ValidationError) as refused:
            replace(DEFAULT_POLICY, ship_reminder_days_before=wrong)
        assert refused.value.fields == ("ship_reminder_days_before",)
    assert replace(DEFAULT_POLICY, ship_reminder_days_before=None).ship_reminder_days_before is None
    assert DEFAULT_POLICY.ship_reminder_days_before == 3
