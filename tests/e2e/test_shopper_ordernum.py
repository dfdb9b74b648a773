"""Items 3 and 6 of issue 18 in a real browser on a phone (390x844): a Japanese shopper types the
order number as a Japanese keyboard does (`＃１００２`) and finds the order; switching to English
mid-flow keeps the items chosen; the return speaks English from then on. axe-core, no sideways
scroll and no CSP violation on every page. Screenshots go to test-artifacts/shopper-ordernum/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.processes import REPO_ROOT
from tests.e2e.test_make_run import Stack
from tests.e2e.phone import Phone
from tests.e2e.test_shopper_journey import RMA

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-ordernum"


@pytest.fixture
def phone(chromium: Any) -> Iterator[Phone]:
    shopper = Phone(chromium, "ja", artifacts=ARTIFACTS)
    yield shopper
    shopper.context.close()


def test_a_japanese_shopper_types_a_full_width_number_and_keeps_the_items_when_switching_to_english(
    stack: Stack, phone: Phone,
) -> None:
    page = phone.page
    page.goto(stack.app_url + "/")
    phone.check("01-start", language="ja")

    # A malformed email: a format message beside the email field, not "order not found".
    page.fill("#order_number", "＃１００２")
    page.fill("#email", "emily.carter@example")
    page.click("button[type=submit]")
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    assert page.locator("#email-error").is_visible()
    assert page.locator("#order_number").get_attribute("aria-invalid") is None
    phone.check("02-email-format", language="ja")

    # As a Japanese keyboard types it: full-width digits and hash sign; the email in capitals
    # with spaces around it. Enter in the field sends the lookup (not a language button).
    page.fill("#order_number", "＃１００２")
    page.fill("#email", "  Emily.Carter@Example.com ")
    page.press("#email", "Enter")
    page.wait_for_url("**/return/items")
    assert "1002" in page.content()
    phone.check("03-items", language="ja")

    # Choose an item, then switch to English before continuing.
    page.check("#return-0")
    page.check("#reason-0")
    chosen_reason = page.locator("#reason-0").get_attribute("value")
    page.click("nav.languages button[lang=en]")
    page.wait_for_url("**/return/items")
    assert "Return this item" in page.content()
    assert page.is_checked("#return-0"), "the ticked item was lost when switching language"
    assert page.locator(f"input[name=reason-0][value={chosen_reason}]").is_checked()
    phone.check("04-items-kept", language="en")

    page.click("button[type=submit]")
    page.wait_for_url("**/return/resolution")
    phone.check("05-resolution", language="en")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/review")
    phone.check("06-review", language="en")
    page.click("form[action='/return/confirm'] button[type=submit]")
    page.wait_for_url("**/confirmation")
    rma = page.locator(".rma").inner_text()
    assert RMA.fullmatch(rma)
    phone.check("07-confirmation", language="en")

    # The return speaks English: its confirmation email, sent to the local outbox.
    outbox = page.context.new_page()
    outbox.goto(stack.app_url + "/_dev/outbox")
    english = (f"Your return {rma} is approved", f"We received your return request {rma}")
    assert any(subject in outbox.content() for subject in english), "the return's email is not in English"
    outbox.close()
    assert not phone.violations, phone.violations
