"""Send-by dates and the timeline through the app: the status page, the emails and the label say by
when to send an approved return, a pending one says not to send yet, the hourly job reminds the
shopper once in their language, and the timeline keeps its order within a second, with the
store's time zone named."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chalice.local import LambdaContext
from chalice.test import Client

from pypdf import PdfReader

from chalicelib.adapters.babel_formatting import format_date
from chalicelib.adapters.reportlab_labels import render_label
from chalicelib.bootstrap import get_deps
from chalicelib.services.issue_label import label_document
from chalicelib.adapters.local_ses_outbox import OutboxEmail, sent_emails
from tests.documents import an_order_document, days_ago
from tests.fakes import FixedClock
from tests.functional.conftest import ADMIN, app_clock, console_cookie, days_later, put_policy
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    Stripe,
    api,
    money_env,
    policy,
    status_of,
    stripe_state,
)
from tests.functional.test_return_expiry import a_return, an_order, token_for
from tests.functional.test_shopper_pages import Browser, text
from tests.functional.test_status_links import link_in

TOKYO = ZoneInfo("Asia/Tokyo")


def mails_about(aws_endpoint: str, rma: str) -> list[OutboxEmail]:
    """The emails about return `rma`, oldest first (the shopper's first: the confirmation)."""
    return [e for e in sent_emails(aws_endpoint) if rma in e.subject and "merchant" not in e.to]


def status_page(api: Client, aws_endpoint: str, rma: str, *, language: str | None = None) -> str:
    """The return's status page, opened from the link of its first email."""
    shopper = Browser(api, accept_language=language)
    assert shopper.get(link_in(mails_about(aws_endpoint, rma)[0])).status_code == 303
    page = shopper.get(f"/returns/{rma}")
    assert page.status_code == 200
    return text(page)


def expected_send_by(rma: str, days: int, locale: str) -> str:
    request = status_of(rma)
    return format_date((request.created_at + timedelta(days=days)).astimezone(TOKYO).date(), locale)


def run_reminders(api: Client, *, days: float) -> dict[str, list[str]]:
    from app import app

    event = api.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                         resources=["arn:aws:events:us-east-1:123456789012:rule/ship-reminders"])
    context = LambdaContext("ship_reminders", memory_size=512, max_runtime_ms=20_000)
    with days_later(days):
        answer: dict[str, list[str]] = app.handler_map["ship_reminders"](event, context)
    return answer


def pending_return(api: Client, locale: str = "en") -> tuple[dict[str, Any], str]:
    """A return asked for 10 days after the window closed: it waits for the merchant."""
    late = an_order_document(number=f"7{uuid.uuid4().int % 10**7:07d}", email=f"late-{uuid.uuid4().hex[:8]}@example.com",
                             placed_at=days_ago(42), delivered_at=days_ago(40), locale=locale)
    assert api.http.put(f"/api/v1/admin/orders/{late['number']}", headers=ADMIN, body=json.dumps(late)).status_code == 201
    return late, a_return(api, late, expect="pending_approval")


def test_an_approved_return_shows_its_send_by_date_on_the_page_the_email_and_the_label(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, aws_endpoint: str,
) -> None:
    put_policy(api, time_zone="Asia/Tokyo", ship_within_days=14)
    order = an_order(api, stripe_endpoint, stripe_state, locale="en")
    rma = a_return(api, order)
    day = expected_send_by(rma, 14, "en")

    [confirmation] = mails_about(aws_endpoint, rma)
    for part in (confirmation.text, confirmation.html):
        assert f"Send by {day}" in part

    page = status_page(api, aws_endpoint, rma)
    assert f"Send by {day}" in page
    assert "Don't send anything yet" not in page

    # The label and the packing slip print the same date.
    document = label_document(get_deps(), status_of(rma))
    printed = "".join(page.extract_text() for page in PdfReader(io.BytesIO(render_label(document, "a4"))).pages)
    assert re.sub(r"\s+", "", f"Send by {day}") in re.sub(r"\s+", "", printed)


def test_a_store_without_a_limit_shows_no_date(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, aws_endpoint: str,
) -> None:
    put_policy(api, ship_within_days=None)
    rma = a_return(api, an_order(api, stripe_endpoint, stripe_state, locale="en"))
    assert "Send by" not in status_page(api, aws_endpoint, rma)
    assert "Send by" not in mails_about(aws_endpoint, rma)[0].text


def test_a_pending_return_says_dont_send_yet_and_has_no_label_to_print(api: Client, aws_endpoint: str) -> None:
    order, rma = pending_return(api)
    [requested] = [m for m in mails_about(aws_endpoint, rma) if m.to == order["email"]]
    assert "Don't send anything yet: the store is reviewing your return." in requested.text
    assert "Send by" not in requested.text

    shopper = Browser(api)
    assert shopper.get(link_in(requested)).status_code == 303
    page = text(shopper.get(f"/returns/{rma}"))
    assert "Don't send anything yet: the store is reviewing your return." in page
    assert "/label?size=" not in page and "Send by" not in page
    # A label link typed or bookmarked says the same, and prints nothing.
    label = shopper.get(f"/returns/{rma}/label?size=a4")
    assert label.status_code == 409 and "Location" not in label.headers
    assert "Don't send anything yet" in text(label)


def test_the_reminder_goes_once_a_few_days_before_the_date_in_the_returns_language(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, aws_endpoint: str,
) -> None:
    put_policy(api, time_zone="Asia/Tokyo", ship_within_days=14, ship_reminder_days_before=3)
    order = an_order(api, stripe_endpoint, stripe_state)  # a Japanese shopper
    rma = a_return(api, order)
    assert rma not in run_reminders(api, days=10)["sent"]

    assert rma in run_reminders(api, days=11.1)["sent"]
    assert run_reminders(api, days=11.2)["sent"] == []  # the next runs send nothing more
    assert rma not in run_reminders(api, days=12)["sent"]

    # The approval's confirmation, and one reminder.
    [reminder] = [m for m in mails_about(aws_endpoint, rma) if m.subject != f"返品 {rma} を承認しました"]
    assert reminder.to == order["email"]
    day = expected_send_by(rma, 14, "ja")
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", day)
    assert day in reminder.subject and day in reminder.text and day in reminder.html
    assert 'lang="ja"' in reminder.html
    assert "までに" in reminder.subject  # the Japanese words (the message catalog's)
    assert link_in(reminder).startswith(f"/returns/{rma}?link=")

    stored = status_of(rma)
    assert stored.status == "approved" and stored.events[-1].kind == "ship_reminder_sent"
    assert stored.status_changed_at == stored.created_at  # the expiry still counts from the approval


def test_the_timeline_keeps_the_order_of_events_within_one_second_with_the_zone_named(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, aws_endpoint: str,
) -> None:
    put_policy(api, time_zone="Asia/Tokyo")
    order = an_order(api, stripe_endpoint, stripe_state, locale="en")
    one_second = datetime(2026, 12, 3, 5, 5, 7, tzinfo=UTC)
    with app_clock(FixedClock(one_second)):
        rma = a_return(api, order)
        cancelled = api.http.post(f"/api/v1/returns/{rma}/cancel",
                                  headers={"Authorization": f"Bearer {token_for(api, order)}"})
        assert cancelled.status_code == 200, cancelled.json_body
    # The API lists them as they happened.
    assert [(e["seq"], e["kind"]) for e in cancelled.json_body["events"]] == [(0, "requested"), (1, "cancelled")]
    assert {e["at"] for e in cancelled.json_body["events"]} == {"2026-12-03T05:05:07Z"}

    # The status page, newest first: the cancellation above the request, in Tokyo time, named.
    page = status_page(api, aws_endpoint, rma)
    timeline = page[page.index('<ol class="timeline">'):]
    assert timeline.index("Return cancelled") < timeline.index("Return requested")
    assert timeline.count("3 Dec 2026, 14:05 JST") == 2
    assert "Times are in the store's time zone: Asia/Tokyo." in page

    # The console's return page keeps the same order and zone.
    console = text(api.http.get(f"/console/returns/{rma}", headers=console_cookie("agent")))
    table = console[console.index('id="timeline-heading"'):]
    assert table.index("Cancelled") < table.index("Return requested")
    assert table.count("3 Dec 2026, 14:05 JST") == 2
    assert "Times are in the store's time zone: Asia/Tokyo." in console


def test_the_reminder_setting_is_checked_by_the_api_and_nothing_changes(api: Client) -> None:
    stored = put_policy(api, ship_reminder_days_before=5)
    assert stored["ship_reminder_days_before"] == 5
    for wrong in (0, 31, "3", 2.5):
        refused = api.http.put("/api/v1/admin/policy", headers=ADMIN, body=json.dumps({"ship_reminder_days_before": wrong}))
        assert refused.status_code == 400, refused.json_body
        assert refused.json_body["error"]["code"]
    current = api.http.get("/api/v1/admin/policy", headers=ADMIN).json_body
    assert current["ship_reminder_days_before"] == 5
    assert put_policy(api, ship_reminder_days_before=None)["ship_reminder_days_before"] is None


def test_the_stores_approval_email_and_page_count_the_date_from_the_decision(
    api: Client, aws_endpoint: str,
) -> None:
    put_policy(api, time_zone="Asia/Tokyo", ship_within_days=14)
    order, rma = pending_return(api)
    with days_later(2):
        approved = api.http.post(f"/api/v1/admin/returns/{rma}/approve", headers=ADMIN, body="{}")
        assert approved.status_code == 200, approved.json_body
    decided_at = [e.at for e in status_of(rma).events if e.kind == "approved"][0]
    day = format_date((decided_at + timedelta(days=14)).astimezone(TOKYO).date(), "en")
    decision = [m for m in mails_about(aws_endpoint, rma) if m.to == order["email"] and "approved" in m.subject]
    assert decision, [m.subject for m in mails_about(aws_endpoint, rma)]
    for part in (decision[-1].text, decision[-1].html):
        assert f"Send by {day}" in part
    assert f"Send by {day}" in status_page(api, aws_endpoint, rma)
