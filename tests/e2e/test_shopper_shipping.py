"""The original shipping line as a shopper sees it, on a 390px phone in Japanese and in English.

On `make run` the store turns on `original_shipping_refund: ["eu_withdrawal"]` through the admin
API. Sofie (demo order 1007: Amsterdam, EUR, delivered two days ago, 5.95 shipping) returns her
whole order: the resolution options say the shipping is included, and the review shows
"Original shipping +€5.95" as its own line, counted in the total. In Japanese she stops at the
review; in English she confirms and the status page shows the same line. On each page: axe finds
nothing serious or critical, no sideways scroll, no CSP violation. Screenshots go to
test-artifacts/shopper-shipping/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.processes import REPO_ROOT
from tests.e2e.test_make_run import Stack, http
from tests.e2e.phone import Phone
from tests.e2e.test_shopper_journey import RMA

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-shipping"
ORDER = {"number": "1007", "email": "sofie.devries@example.nl"}
# The throw: 79.00 + 16.59 VAT; the shipping 5.95.
SHIPPING = "5.95"
TOTAL = "101.54"
# "Original shipping" in Japanese is 元の送料 (the glossary).
WORDS = {"en": "Original shipping", "ja": "送料"}


def shipping_row(phone: Phone) -> tuple[str, str]:
    """The money table's original-shipping line: (its words, its amount)."""
    row = phone.page.locator(".money tr.shipping-row")
    assert row.count() == 1, "the original shipping has a line of its own"
    return row.locator("th").inner_text().strip(), row.locator("td").inner_text().strip()


@pytest.fixture(scope="module")
def eu_withdrawal(stack: Stack) -> None:
    """The store refunds the original shipping as the EU right of withdrawal requires."""
    policy = http("GET", stack.app_url + "/api/v1/admin/policy", admin=True).json()
    policy.update(original_shipping_refund=["eu_withdrawal"])
    changed = http("PUT", stack.app_url + "/api/v1/admin/policy", policy, admin=True)
    assert changed.status == 200, changed.body


@pytest.fixture(params=["ja", "en"])
def phone(request: pytest.FixtureRequest, chromium: Any, eu_withdrawal: None) -> Iterator[Phone]:
    device = Phone(chromium, request.param, artifacts=ARTIFACTS)
    yield device
    device.context.close()
    assert not device.violations, device.violations


def test_the_review_shows_the_original_shipping_for_a_whole_eu_order(stack: Stack, phone: Phone) -> None:
    page = phone.page
    page.goto(stack.app_url + "/")
    page.fill("#order_number", ORDER["number"])
    page.fill("#email", ORDER["email"])
    page.click("button[type=submit]")
    page.wait_for_url("**/return/items")
    page.check("#return-0")
    page.check("#reason-0")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/resolution")
    assert SHIPPING in page.locator(".option-detail").first.inner_text()
    phone.check("resolution")

    page.click("button[type=submit]")  # refund, the first option, is chosen already
    page.wait_for_url("**/return/review")
    phone.check("review")
    words, amount = shipping_row(phone)
    assert amount.startswith("+") and SHIPPING in amount
    assert TOTAL in page.locator(".money tfoot td").inner_text()
    assert WORDS[phone.language] in words
    if phone.language == "ja":
        return  # she stops here: the order stays returnable for the English pass

    page.click("form[action='/return/confirm'] button")
    page.wait_for_url("**/confirmation")
    rma = page.locator(".rma").inner_text()
    assert RMA.fullmatch(rma)
    page.goto(stack.app_url + f"/returns/{rma}")
    words, amount = shipping_row(phone)
    assert words == WORDS["en"] and SHIPPING in amount
    phone.check("status")
