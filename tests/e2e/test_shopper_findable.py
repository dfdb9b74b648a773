"""A return is always findable (issue 18, item 1), walked as a shopper in a real browser.

On a 390px phone, in English and in Japanese: the shopper makes a return, presses the back
button and lands on that return (not on "nothing can be returned"), then looks the order up again
in a fresh browser and finds the return above the lines, with a status link and a label link that
work. Every page is checked with axe-core, for sideways scrolling and for CSP violations; the
screenshots go to test-artifacts/shopper-findable/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from devstack.processes import REPO_ROOT
from tests.e2e.test_make_run import Stack
from tests.e2e.phone import Phone
from tests.e2e.test_shopper_journey import RMA

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-findable"
# The demo store's orders (devstack/demo_orders.py): a Japanese and an English shopper.
SHOPPERS = {
    "ja": ("1001", "aiko.yamada@example.jp"),
    "en": ("1002", "emily.carter@example.com"),
}
# What each language calls things here ("Returns of this order", the notice of a return already
# sent), in English and in Japanese.
WORDS = {
    "en": {"returns": "Returns of this order", "made": "already sent this return"},
    "ja": {"returns": "この注文の返品", "made": "すでに送信済み"},
}


def look_up(phone: Phone, app_url: str) -> None:
    """The phone's shopper looks their order up."""
    number, email = SHOPPERS[phone.language]
    phone.page.goto(app_url + "/")
    phone.page.fill("#order_number", number)
    phone.page.fill("#email", email)
    phone.page.click("button[type=submit]")
    phone.page.wait_for_url("**/return/items")


@pytest.fixture
def phones(chromium: Any) -> Iterator[list[Phone]]:
    made: list[Phone] = []
    yield made
    for phone in made:
        phone.context.close()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_shopper_finds_the_return_again_after_the_back_button_and_a_new_lookup(
        stack: Stack, phones: list[Phone], chromium: Any, language: str) -> None:
    phone = Phone(chromium, language, artifacts=ARTIFACTS)
    phones.append(phone)
    page = phone.page
    look_up(phone, stack.app_url)
    page.check("#return-0")
    page.check("#reason-0")  # the first reason, which asks for no note
    page.click("form[action='/return/items'] button[type=submit]")
    page.wait_for_url("**/return/resolution")
    page.locator("input[name=resolution]").first.check()
    page.click("form[action='/return/resolution'] button[type=submit]")
    page.wait_for_url("**/return/review")
    page.click("form[action='/return/confirm'] button")
    page.wait_for_url("**/confirmation")
    rma = page.locator(".rma").inner_text()
    assert RMA.fullmatch(rma)

    # The back button: the review page again, whose draft is spent, so the return just made.
    page.go_back()
    page.wait_for_url(f"**/returns/{rma}?made=1")
    assert WORDS[language]["made"] in page.locator(".notice").first.inner_text()
    phone.check("back-button")

    # A second browser (the email lost): the lookup shows the return above the lines.
    again = Phone(chromium, language, artifacts=ARTIFACTS)
    phones.append(again)
    look_up(again, stack.app_url)
    items = again.page
    listed = items.locator(".order-returns")
    assert WORDS[language]["returns"] in listed.locator("h2").inner_text()
    assert rma in listed.inner_text()
    assert items.locator(".line-in-return").first.locator(f"a[href='/returns/{rma}']").count() == 1
    again.check("lookup-with-return")

    # The label link answers the PDF.
    label_href = listed.locator(".order-return-label").get_attribute("href")
    assert label_href == f"/returns/{rma}/label"
    label = items.context.request.get(stack.app_url + label_href, max_redirects=0)
    assert label.status in (302, 303)
    pdf = items.context.request.get(label.headers["location"])
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    assert urlsplit(label.headers["location"]).path.endswith(".pdf")

    # The status link opens the return.
    listed.locator(f"a.order-return-link[href='/returns/{rma}']").click()
    items.wait_for_url(f"**/returns/{rma}")
    assert rma in items.locator("h1").inner_text()
    again.check("status-from-lookup")

    assert not phone.violations + again.violations, phone.violations + again.violations
