"""Issue 18 reviewed as a shopper on a phone: three dead ends found and closed, in a real browser.

- A line whose units already came back (order 1005's socks, one pair of two credited) says which
  return took them, with a link to it, in Korean and in English.
- A shopper who reported a damaged item is led from the confirmation page to the photo form,
  in Japanese and in English.
- Once that return is cancelled, the status page no longer asks for photos.

Every page is checked for its language, sideways scrolling, axe-core and CSP (tests/e2e/phone.py);
screenshots go to test-artifacts/shopper-rshop/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.processes import REPO_ROOT
from tests.e2e.phone import Phone
from tests.e2e.test_make_run import Stack
from tests.e2e.test_shopper_journey import RMA

pytestmark = pytest.mark.stack

# devstack/demo_orders.py and demo_returns.py: order 1005's socks, one pair of two already credited.
CREDITED = ("1005", "minji.kim@example.kr")
# A returnable order each, for a damaged-item return.
DAMAGED = {"ja": ("1001", "aiko.yamada@example.jp"), "en": ("1002", "emily.carter@example.com")}
ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-rshop"


@pytest.fixture
def phone_in(chromium: Any) -> Iterator[Any]:
    made: list[Phone] = []

    def open_phone(language: str) -> Phone:
        made.append(Phone(chromium, language, artifacts=ARTIFACTS))
        return made[-1]

    yield open_phone
    for phone in made:
        assert not phone.violations, phone.violations
        phone.context.close()


def look_up(phone: Phone, app_url: str, number: str, email: str) -> None:
    page = phone.page
    page.goto(app_url + "/")
    page.fill("#order_number", number)
    page.fill("#email", email)
    page.click("button[type=submit]")
    page.wait_for_url("**/return/items")


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_line_partly_returned_already_links_to_the_return_that_took_it(
    stack: Stack, phone_in: Any, language: str,
) -> None:
    phone = phone_in(language)
    # As people type it: full-width digits, a different case.
    look_up(phone, stack.app_url, "１００５", CREDITED[1].upper())
    page = phone.page
    credited = page.locator(".order-return-link").first.get_attribute("href")
    assert credited and RMA.search(credited)
    socks = page.locator("article.line").nth(1)
    # Still returnable (one pair left), and says where the other pair went.
    assert socks.locator("input[type=checkbox]").count() == 1
    assert socks.locator(f".line-in-return a[href='{credited}']").count() == 1
    phone.check("items-partly-returned")
    socks.locator(f".line-in-return a[href='{credited}']").click()
    page.wait_for_url(f"**{credited}")
    assert page.locator("section.credit-code").is_visible()  # the credited return, its code


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_damaged_item_is_led_from_the_confirmation_to_the_photos_and_a_closed_return_asks_no_more(
    stack: Stack, phone_in: Any, language: str,
) -> None:
    phone = phone_in(language)
    number, email = DAMAGED[language]
    look_up(phone, stack.app_url, number, email)
    page = phone.page
    page.check("#return-0")
    page.check("#reason-0-damaged")
    page.fill("#note-0", "箱が潰れて、縫い目がほつれていました。" if language == "ja" else "The seam came apart.")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/resolution")
    page.locator("input[name=resolution]").first.check()
    page.click("button[type=submit]")
    page.wait_for_url("**/return/review")
    page.click("form[action='/return/confirm'] button")
    page.wait_for_url("**/confirmation")
    rma = page.locator(".rma").inner_text()
    add_photos = page.locator(f"section.photos a[href='/returns/{rma}#photos-heading']")
    assert add_photos.is_visible()
    phone.check("confirmation-photos")

    add_photos.click()
    page.wait_for_url(f"**/returns/{rma}#photos-heading")
    assert page.locator("form.photo-form input[type=file]").first.is_visible()
    hint = page.locator("section.photos > p.hint")
    assert hint.count() == 1

    page.click(f"form[action='/returns/{rma}/cancel'] button")
    page.wait_for_url(f"**/returns/{rma}/cancel")
    page.click(f"form[action='/returns/{rma}/cancel'] button.primary")
    page.wait_for_url(f"**/returns/{rma}")
    assert page.locator(".badge-status.status-cancelled").is_visible()
    # Cancelled with no photo sent: no photo section asking for more.
    assert page.locator("section.photos").count() == 0
    phone.check("cancelled-no-photos")
