"""An exchanged shopper follows their replacement order on a phone (issue 19, item 5).

The demo store's order 1091 (佐藤 花子, ja, EUR) has a tee M exchanged for an S whose parcel
arrived, so its replacement order is made (devstack/demo_returns.py `seed_exchanged_return`). The
email announcing the replacement order carries the status link; it opens the return on a 390px
phone in English and in Japanese: what is exchanged for what, the replacement order's number,
the exchange's timeline entries; axe clean, no sideways scroll, no CSP violation.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.phone import Phone
from tests.e2e.test_make_run import Stack

pytestmark = pytest.mark.stack

SHOPPER = "hanako.sato@example.jp"
NUMBER = re.compile(r"X-[0-9A-Z]{4}-[0-9A-Z]{4}")
LINK = re.compile(r"http://127\.0\.0\.1:\d+/returns/R-[0-9A-Z]{4}-[0-9A-Z]{4}\?link=[A-Za-z0-9._%-]+")


def exchange_email_link(stack: Stack, chromium: Any) -> tuple[str, str]:
    """(status link, replacement order number) from the shopper's replacement order email."""
    context = chromium.new_context()
    inbox = context.new_page()
    inbox.goto(stack.app_url + "/_dev/outbox")
    for article in inbox.locator("article").all():
        text = article.inner_text()
        found = NUMBER.search(text)
        # Read from the text: a Japanese label ends in a full-width colon, so the outbox's urlize
        # does not make the address after it a link.
        links = LINK.findall(text)
        if SHOPPER in text and found and links:
            context.close()
            return links[0], found.group(0)
    body = inbox.locator("body").inner_text()
    context.close()
    raise AssertionError(f"no replacement order email to {SHOPPER} in the outbox:\n{body[:2000]}")


def test_an_exchanged_shopper_sees_the_replacement_order_on_a_phone_in_english_and_japanese(
    stack: Stack, chromium: Any,
) -> None:
    from devstack.processes import REPO_ROOT

    link, number = exchange_email_link(stack, chromium)
    # English first (the words to look for), then Japanese: its words need the merged catalog.
    expected = {
        "en": ("Your exchange", "You get: Size S", "Replacement order made", "Exchange complete"),
        "ja": ("ご希望の交換", "受け取る交換品：Size S", "交換品の注文を作成", "交換完了"),
    }
    for language, (heading, replacement, created, complete) in expected.items():
        phone = Phone(chromium, language, artifacts=REPO_ROOT / "test-artifacts" / "exchange-order")
        page = phone.page
        page.goto(link)
        page.wait_for_url(re.compile(r".*/returns/R-[0-9A-Z-]+$"))
        page.goto(f"{page.url}?lang={language}")
        card = page.locator("section.exchange")
        # The page's checks first (language, phone width, axe, CSP), then its words.
        phone.check("exchange-status")
        assert number in card.inner_text()
        assert card.locator("h2").inner_text().strip() == heading
        assert replacement in card.inner_text()
        timeline = page.locator("ol.timeline").inner_text()
        assert created in timeline and complete in timeline
        phone.close()
