"""Send-by dates and the timeline as a shopper meets them on a phone (items 4 and 8 of issue 18).

On `make run`, on a 390px phone: the demo store's pending exception (order 1003, English), opened
from its email's link, says not to send anything yet and offers no label; a shopper in 简体中文
(order 1004) and one in English (order 1006) make a return the policy approves at once, and its
status page shows "Send by <date>" (30 days after approval, the store's calendar) and the timeline
in the store's time zone, named. On each page: axe finds nothing serious or critical, no sideways
scroll, no CSP violation. Screenshots go to test-artifacts/shopper-sendby/.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.adapters.babel_formatting import format_date
from devstack.demo_returns import ORDER as PENDING_ORDER
from devstack.processes import REPO_ROOT
from tests.e2e.test_make_run import Stack
from tests.e2e.phone import Phone
from tests.e2e.test_shopper_journey import RMA

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-sendby"
PENDING_SHOPPER = "lukas.schneider@example.com"
# The demo store keeps the default policy: 30 days to send, times in UTC.
SHIP_WITHIN_DAYS = 30


def make_a_return(phone: Phone, stack: Stack, order_number: str, email: str) -> str:
    """The shopper's first returnable item, the first reason, the offered resolution; the RMA."""
    page = phone.page
    page.goto(stack.app_url + "/")
    page.fill("#order_number", order_number)
    page.fill("#email", email)
    page.click("button[type=submit]")
    page.wait_for_url("**/return/items")
    page.check("#return-0")
    page.check("#reason-0")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/resolution")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/review")
    page.click("form[action='/return/confirm'] button")
    page.wait_for_url("**/confirmation")
    rma: str = page.locator(".rma").inner_text()
    assert RMA.fullmatch(rma)
    page.click(".actions a")
    page.wait_for_url(f"**/returns/{rma}")
    return rma


def assert_send_by_and_timeline(phone: Phone, *, send_by_words: str) -> None:
    page = phone.page
    # Approved a moment ago: the date is 30 days on, on the store's (UTC) calendar.
    today = datetime.now(UTC)
    days = {format_date((today + timedelta(days=SHIP_WITHIN_DAYS + shift)).date(), phone.language) for shift in (0, 1)}
    notice = page.locator(".send-by").inner_text()
    assert any(day in notice for day in days), (notice, days)
    assert send_by_words in notice
    whens = page.locator(".timeline-when").all_inner_texts()
    assert whens and all(when.endswith(" UTC") for when in whens), whens
    assert "UTC" in page.locator(".timeline-zone").inner_text()
    # The label links are there to print it, each a 44px target.
    for link in page.locator(".label-links a").all():
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44


def test_a_pending_return_says_dont_send_yet_on_a_phone_in_english(stack: Stack, chromium: Any) -> None:
    phone = Phone(chromium, "en", artifacts=ARTIFACTS)
    page = phone.page
    page.goto(stack.app_url + "/_dev/outbox")
    emails = page.eval_on_selector_all(
        "article", "els => els.map(e => ({text: e.innerText, links: [...e.querySelectorAll('a')].map(a => a.href)}))")
    links = [href for email in emails if f"To: {PENDING_SHOPPER}" in email["text"]
             for href in email["links"] if "?link=" in href]
    assert links, f"no status link in the outbox for order {PENDING_ORDER}"
    page.goto(links[-1])  # newest first: the oldest is the request's confirmation
    page.wait_for_url(re.compile(r".*/returns/R-[^?]+$"))
    assert "Don't send anything yet: the store is reviewing your return." in page.locator(".send-by").inner_text()
    assert page.locator(".label-links").count() == 0
    assert page.locator(".timeline-when").first.inner_text().endswith(" UTC")
    phone.check("pending-status")

    # The label's address, typed or bookmarked, says the same and prints nothing.
    answer = page.goto(page.url + "/label?size=a4")
    assert answer is not None and answer.status == 409
    assert "Don't send anything yet" in page.content().replace("&#39;", "'")
    phone.check("pending-label")
    phone.close()


@pytest.mark.parametrize(("language", "locale", "order", "email", "send_by_words"), [
    # 寄回截止日期: the glossary's "send by".
    ("zh-Hans", "zh-CN", "1004", "wang.fang@example.cn", "寄回截止日期"),
    ("en", "en-US", "1006", "camille.dubois@example.com", "Send by"),
])
def test_an_approved_return_shows_its_send_by_date_and_a_zoned_timeline_on_a_phone(
    stack: Stack, chromium: Any, language: str, locale: str, order: str, email: str, send_by_words: str,
) -> None:
    phone = Phone(chromium, language, artifacts=ARTIFACTS, locale=locale)
    make_a_return(phone, stack, order, email)
    assert_send_by_and_timeline(phone, send_by_words=send_by_words)
    phone.check("approved-status")
    phone.close()
