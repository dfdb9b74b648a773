"""Labels that print the same everywhere, as a shopper gets them: on a 390px phone, in Japanese
and in English, a return made through the pages, then the status page's label links, each a PDF
whose every font is embedded (no reader or printer needs a font of its own to print it).

Screenshots go to test-artifacts/shopper-labels/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devstack.processes import REPO_ROOT
from tests.e2e.test_make_run import Stack
from tests.e2e.test_shopper_journey import assert_accessible
from tests.integration.test_labels import fonts_of, text_of

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-labels"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone_in(chromium: Any) -> Iterator[Any]:
    """A phone's browser in the language given: `phone_in("ja")`."""
    contexts = []

    def open_page(lang: str) -> Any:
        context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                       locale=lang, extra_http_headers={"Accept-Language": lang})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def return_first_item(page: Any, stack: Stack, number: str, email: str) -> None:
    """Look the order up, return its first line for the first reason, land on the status page."""
    page.goto(stack.app_url + "/")
    page.fill("#order_number", number)
    page.fill("#email", email)
    page.click("button[type=submit]")
    page.wait_for_url("**/return/items")
    page.check("#return-0")
    page.check("#reason-0")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/resolution")
    page.click("button[type=submit]")  # refund, the first option
    page.wait_for_url("**/return/review")
    page.click("form[action='/return/confirm'] button")
    page.wait_for_url("**/confirmation")
    page.click(".actions a")
    page.wait_for_url("**/returns/R-*")


def assert_labels_print_anywhere(page: Any, lang: str, words: tuple[str, ...]) -> None:
    """Each of the status page's three label links downloads a PDF whose fonts are all embedded
    and whose label and slip say `words`."""
    links = page.locator(".label-links a")
    assert links.count() == 3
    for i in range(3):
        box = links.nth(i).bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the status page scrolls sideways by {overflow}px"
    assert_accessible(page, f"the {lang} status page with its label links")

    for i in range(3):
        href = links.nth(i).get_attribute("href")
        # The browser's own cookies: the link, its redirect to the stored PDF, the PDF.
        response = page.request.get(page.url.split("/returns/")[0] + href)
        assert response.ok, (href, response.status)
        pdf = response.body()
        assert pdf.startswith(b"%PDF-"), href
        fonts = fonts_of(pdf)
        assert fonts and all(font["emb"] == "yes" for font in fonts), (href, fonts)
        text = "".join(text_of(pdf))
        for word in words:
            assert word in text, (href, word)


def test_a_japanese_shopper_on_a_phone_gets_labels_whose_fonts_travel_with_them(stack: Stack, phone_in: Any) -> None:
    page = phone_in("ja")
    return_first_item(page, stack, "1001", "aiko.yamada@example.jp")
    assert page.locator("html").get_attribute("lang") == "ja"
    shoot(page, "ja-phone-status")

    # "Return to", "packing slip", and the shopper's name as the order has it.
    assert_labels_print_anywhere(page, "Japanese", ("返送先", "返品明細書", "山田 愛子"))


def test_an_english_shopper_on_a_phone_gets_labels_whose_fonts_travel_with_them(stack: Stack, phone_in: Any) -> None:
    page = phone_in("en")
    return_first_item(page, stack, "1002", "emily.carter@example.com")
    assert page.locator("html").get_attribute("lang") == "en"
    shoot(page, "en-phone-status")

    assert_labels_print_anywhere(page, "English", ("Return label", "Packing slip", "Emily Carter"))
