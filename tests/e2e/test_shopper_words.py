"""The store's words reach the shopper (issue 18 item 5), in a real browser on a phone (390x844).

The merchant opens the approval page of the demo's pending exception (order 1003) from the
dev outbox, previews what a fee leaves the shopper, and makes a counter-offer with a reason; the
shopper reads the store's message and the offer on the status page, in English and in Japanese,
and accepts it. Every page: axe-core, no sideways scroll, 44px targets, no CSP violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.processes import REPO_ROOT
from tests.e2e.test_make_run import Stack
from tests.e2e.phone import Phone

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-words"
ORDER, EMAIL = "1003", "lukas.schneider@example.com"
REASON = "The boots were worn outside: we can take them back minus a 10% fee."


@pytest.fixture
def merchant(chromium: Any) -> Iterator[Phone]:
    phone = Phone(chromium, "en", artifacts=ARTIFACTS)
    yield phone
    phone.close()


def approval_link(phone: Phone, stack: Stack) -> str:
    """The demo exception's "minus a fee" link, from the local outbox."""
    phone.page.goto(stack.app_url + "/_dev/outbox")
    links = [href for href in phone.page.eval_on_selector_all("a", "els => els.map(e => e.href)")
             if "/merchant/approvals/" in href and "action=approve_fee" in href]
    assert links, "no approval link of the demo's pending exception in the outbox"
    return str(links[0])


def open_return(phone: Phone, stack: Stack) -> None:
    """Look order 1003 up, as the shopper does before their return's status page opens."""
    page = phone.page
    page.goto(stack.app_url + "/")
    page.fill("#order_number", ORDER)
    page.fill("#email", EMAIL)
    page.click("form[action='/lookup'] button[type=submit]")
    page.wait_for_url("**/return/**")


def test_a_counter_offer_with_a_reason_is_read_and_accepted_on_a_phone(stack: Stack, chromium: Any,
                                                                        merchant: Phone) -> None:
    page = merchant.page
    page.goto(approval_link(merchant, stack))
    assert page.locator("#decision-approve_fee").is_checked()
    found = re.search(r"R-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", page.locator("main").inner_text())
    assert found, "the approval page names the return"
    rma = found.group(0)
    # Declining says plainly what the shopper is left with.
    assert "The shopper gets nothing back." in page.locator("#outcome-reject").inner_text()
    merchant.check("01-approval-page", targets=True)

    # The fee's preview, without JavaScript: the form again, priced at the percent typed.
    page.fill("#fee-percent", "10")
    page.click("button[name=preview]")
    page.wait_for_load_state()
    preview = page.locator("#outcome-approve_fee").inner_text()
    amounts = re.findall(r"€[\d,]*\d(?:\.\d+)?", preview)
    assert "instead of" in preview and len(amounts) == 2 and amounts[0] != amounts[1], preview
    assert page.locator("#fee-percent").input_value() == "10"

    # An offer without a reason is refused beside the field; with one, it is made.
    page.click("form button[type=submit]:not([name])")
    page.wait_for_load_state()
    assert page.locator("#note").get_attribute("aria-invalid") == "true"
    assert "write a reason" in page.locator("#note-error").inner_text()
    merchant.check("02-approval-reason-missing", targets=True)
    page.fill("#note", REASON)
    page.fill("#fee-percent", "10")
    page.click("form button[type=submit]:not([name])")
    page.wait_for_load_state()
    assert "The shopper accepts or declines it" in page.locator("main").inner_text()
    merchant.check("03-offer-made", targets=True)

    # The shopper, in English: the store's message and the offer beside the ask.
    english = Phone(chromium, "en", artifacts=ARTIFACTS)
    open_return(english, stack)
    rma_page = english.page
    rma_page.goto(f"{stack.app_url}/returns/{rma}")
    message = rma_page.locator("section.store-message")
    assert "Message from Retour Demo Store" in message.inner_text() and REASON in message.inner_text()
    offer = rma_page.locator("section.offer").inner_text()
    assert "The store's offer" in offer and "You asked for" in offer and amounts[0] in offer and amounts[1] in offer
    assert rma_page.locator(f"a[href^='/returns/{rma}/label']").count() == 0  # nothing to print before the answer
    english.check("04-status-offer", targets=True)
    english.close()

    # The same return in Japanese: the message and the offer, then Accept.
    japanese = Phone(chromium, "ja", artifacts=ARTIFACTS)
    open_return(japanese, stack)
    jp = japanese.page
    jp.goto(f"{stack.app_url}/returns/{rma}")
    assert jp.locator("html").get_attribute("lang") == "ja"
    assert REASON in jp.locator("section.store-message").inner_text()
    assert "代替案" in jp.locator("#offer-heading").inner_text()  # the glossary's counter-offer (merged catalogs)
    japanese.check("05-status-offer", targets=True)
    accept = jp.locator(f"form[action='/returns/{rma}/offer']:has(input[value=accept]) button")
    accept.click()
    jp.wait_for_url(re.compile(rf".*/returns/{rma}$"))
    assert jp.locator("section.offer").count() == 0
    assert jp.locator(f"a[href^='/returns/{rma}/label']").count() == 3
    assert REASON in jp.locator("section.store-message").inner_text()
    japanese.check("06-status-accepted", targets=True)
    japanese.close()

    # The merchant is told, by email.
    page.goto(stack.app_url + "/_dev/outbox")
    assert f"Return {rma}: the shopper accepted your offer" in page.locator("body").inner_text()

