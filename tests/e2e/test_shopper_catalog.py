"""The demo catalog on `make run` (item 1 of issue 19): what the exchange walks start from.

The stack's admin API answers the demo products with their stock (a tee with a same-price,
a cheaper, a dearer, a last-unit and a sold-out sibling of the size bought), and demo order 1090,
whose lines name them, is found by its shopper on a 390px phone in English and in 日本語, both
lines offered for return. On each page: the page's language, no sideways scroll, axe finds nothing
serious or critical, no CSP violation. Screenshots go to test-artifacts/shopper-catalog/.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from devstack.processes import REPO_ROOT
from tests.e2e.phone import Phone
from tests.e2e.test_make_run import Stack

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-catalog"
ORDER, EMAIL = "1090", "niamh.byrne@example.ie"


def admin_get(stack: Stack, path: str) -> dict[str, Any]:
    request = urllib.request.Request(stack.app_url + path, headers={"Authorization": "Bearer local-admin-key"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.load(response)
    return body


def test_the_demo_catalog_is_stocked_for_order_1090(stack: Stack) -> None:
    tee = admin_get(stack, "/api/v1/admin/products/tee-classic")
    by_size = {v["options"]["size"]: v for v in tee["variants"]}
    assert (by_size["M"]["price"], by_size["S"]["price"]) == (2900, 2900)
    assert by_size["XS"]["price"] < 2900 < by_size["L"]["price"]
    assert (by_size["XL"]["available"], by_size["XXL"]["available"]) == (1, 0)
    order = admin_get(stack, f"/api/v1/admin/orders/{ORDER}")
    assert [(line["product_id"], line["options"]) for line in order["lines"]] == [
        ("tee-classic", {"size": "M"}), ("socks-merino", {"colour": "grey"})]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_shopper_of_order_1090_finds_both_lines_on_a_phone(stack: Stack, chromium: Any, language: str) -> None:
    phone = Phone(chromium, language, artifacts=ARTIFACTS)
    try:
        page = phone.page
        page.goto(stack.app_url + "/")
        phone.check("start")
        page.fill("#order_number", ORDER)
        page.fill("#email", EMAIL)
        page.click("button[type=submit]")
        page.wait_for_url("**/return/items")
        items = page.locator("main").inner_text()
        assert "Classic organic tee — M" in items and "Merino socks — grey" in items
        # Both lines can be chosen: delivered three days ago, inside the window.
        assert page.locator("#return-0").is_enabled() and page.locator("#return-1").is_enabled()
        phone.check("items", targets=True)
    finally:
        phone.close()
