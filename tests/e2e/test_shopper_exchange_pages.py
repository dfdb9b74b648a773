"""An exchange chosen on the shopper's pages, walked on a 390x844 phone in 日本語 and in English.

On `make run` the store allows exchanges at any price (`exchanges: any_price`, through the admin
API). Niamh (demo order 1090: a classic tee in M at €29.00, merino socks; devstack/demo_products.py)
sees "What would you like instead?" beside each line: money back, or another size or colour with
its price difference. She first asks for the tee in L (€5.00 more) and money back for the socks,
is told that a return is one or the other with both lines named and her choices kept, unticks
the socks, and reviews the swap: what she sends back and what she gets, each with its value, and
"You pay €5.00". In Japanese she stops at the review; in English she changes to the same-price S
and confirms, and the confirmation page says when the replacement is sent. On each page: its
language, no sideways scroll, axe finds nothing serious or critical, no CSP violation, and on the
items step every control (the exchange radios too) a 44px target. Screenshots go to
test-artifacts/shopper-exchange-pages/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.processes import REPO_ROOT
from tests.e2e.phone import Phone
from tests.e2e.test_make_run import Stack, http

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-exchange-pages"
ORDER, EMAIL = "1090", "niamh.byrne@example.ie"
# The page's words in English and in Japanese (the message catalog's).
WORDS = {
    "en": {"instead": "What would you like instead?", "mixed": "A return is either an exchange or money back",
           "sent": "You send back: Size M (€29.00) · You get: Size L (€34.00)", "pay": "You pay €5.00"},
    "ja": {"instead": "代わりに何をご希望ですか？", "mixed": "1件の返品は交換か返金のどちらか",
           "sent": "返送する商品：Size M（€29.00）・受け取る交換品：Size L（€34.00）", "pay": "差額 €5.00 をお支払いください"},
}
# The exchange radios' rows shown (a line's details open when it is ticked): each a 44px target.
RADIO_HEIGHTS = """() => [...document.querySelectorAll('.exchange-choice .radio')]
                   .map(e => [e.innerText.trim().slice(0, 40), e.getBoundingClientRect().height])
                   .filter(([, h]) => h > 0)"""


@pytest.fixture(scope="module")
def any_price(stack: Stack) -> None:
    """The store offers every variant in stock, the shopper paying or getting back the difference."""
    policy = http("GET", stack.app_url + "/api/v1/admin/policy", admin=True).json()
    policy.update(exchanges="any_price")
    changed = http("PUT", stack.app_url + "/api/v1/admin/policy", policy, admin=True)
    assert changed.status == 200, changed.body


@pytest.fixture(params=["ja", "en"])
def phone(request: pytest.FixtureRequest, chromium: Any, any_price: None) -> Iterator[Phone]:
    device = Phone(chromium, request.param, artifacts=ARTIFACTS)
    yield device
    device.close()
    assert not device.violations, device.violations


def test_an_exchange_is_chosen_explained_and_reviewed_on_a_phone(stack: Stack, phone: Phone) -> None:
    page, words = phone.page, WORDS[phone.language]
    page.goto(stack.app_url + "/")
    page.fill("#order_number", ORDER)
    page.fill("#email", EMAIL)
    page.click("button[type=submit]")
    page.wait_for_url("**/return/items")

    # Each line offers money back (checked) and its siblings in stock, never the sold-out XXL.
    tee = page.locator("fieldset.exchange-choice").nth(0)
    assert words["instead"] in tee.locator("legend").inner_text()
    assert page.locator("#exchange-0").is_checked()
    labels = tee.locator("label").all_inner_texts()
    assert any("Size L" in label and "€5.00" in label for label in labels), labels
    assert any("Size XS" in label and "€5.00" in label for label in labels), labels
    assert not any("XXL" in label for label in labels), labels
    assert page.locator("input[name=exchange-1][value=SOCKS-MERINO-NVY]").count() == 1
    phone.check("items", targets=True)

    # The tee for an L, money back for the socks: one return can't do both.
    page.check("#return-0")
    page.check("#reason-0")
    page.check("input[name=exchange-0][value=TEE-CLASSIC-L]")
    page.check("#return-1")
    page.check("#reason-1")
    radios = page.evaluate(RADIO_HEIGHTS)
    assert len(radios) >= 6 and all(height >= 43.5 for _, height in radios), radios
    phone.check("items-chosen", targets=True)
    page.click("button[type=submit]")
    summary = page.locator(".error-summary")
    assert words["mixed"] in summary.inner_text()
    assert "Classic organic tee — M" in summary.inner_text() and "Merino socks — grey" in summary.inner_text()
    assert page.locator("#return-1").is_checked(), "the ticks are kept"
    assert page.locator("input[name=exchange-0][value=TEE-CLASSIC-L]").is_checked()
    phone.check("mixed")

    page.uncheck("#return-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/review")
    main = page.locator("main").inner_text()
    assert words["sent"] in main, main
    assert words["pay"] in main, main
    phone.check("review")

    if phone.language != "en":
        return
    # Back to the items: the same-price S instead, confirmed.
    page.click("a[href='/return/items']")
    assert page.locator("input[name=exchange-0][value=TEE-CLASSIC-L]").is_checked(), "the draft kept the choice"
    page.check("input[name=exchange-0][value=TEE-CLASSIC-S]")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/review")
    assert "No price difference" in page.locator("main").inner_text()
    page.click("form[action='/return/confirm'] button")
    page.wait_for_url("**/confirmation")
    confirmation = page.locator("main").inner_text()
    assert "We send your replacement as soon as the store has your parcel." in confirmation
    assert "You send back: Size M (€29.00) · You get: Size S (€29.00)" in confirmation
    phone.check("confirmation")
