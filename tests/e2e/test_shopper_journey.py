"""The shopper's return in a real browser (Debian's chromium through Playwright) on a running stack.

The whole journey in English on a phone and in Japanese on a desktop, a keyboard-only pass
(Tab, Enter and Space), and axe-core on every page: no serious or critical violation. Every step
is saved as a screenshot in test-artifacts/shopper-journey/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.processes import REPO_ROOT
from tests.e2e.test_make_run import Stack

pytestmark = pytest.mark.stack

AXE = REPO_ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-journey"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
RMA = re.compile(r"R-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                   locale="en-US")
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop_ja(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=DESKTOP, locale="ja-JP", extra_http_headers={"Accept-Language": "ja"})
    yield context.new_page()
    context.close()


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_accessible(page: Any, where: str) -> None:
    """axe-core's WCAG 2.x A/AA rules on the page as it is: nothing serious or critical."""
    assert AXE.exists(), "axe-core is missing: make test installs it (make setup)"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # The pages forbid inline scripts (CSP): evaluate axe through the driver, which CSP does not govern.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"accessibility problems on {where}:\n" + "\n".join(bad)


def test_an_english_shopper_returns_an_item_on_a_phone(stack: Stack, phone: Any) -> None:
    page = phone
    page.goto(stack.app_url + "/")
    assert page.locator("h1").inner_text() == "Returns & refunds"
    shoot(page, "en-phone-01-start")
    assert_accessible(page, "the start page")

    # A wrong pair: one neutral message beside the field and in the summary.
    page.fill("#order_number", "1002")
    page.fill("#email", "someone.else@example.com")
    page.click("button[type=submit]")
    assert "couldn't find an order" in page.locator(".error-summary").inner_text()
    assert page.locator("#order_number").get_attribute("aria-invalid") == "true"
    shoot(page, "en-phone-02-wrong-pair")
    assert_accessible(page, "the start page with an error")

    page.fill("#email", "emily.carter@example.com")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/items")
    shoot(page, "en-phone-03-items")
    assert_accessible(page, "the items page")
    assert "Gift card" in page.content() and "Not returnable" in page.content()

    # Continue with nothing chosen: an error summary, nothing kept.
    page.click("button[type=submit]")
    assert "Choose at least one item" in page.locator(".error-summary").inner_text()

    page.check("#return-0")
    page.check("#reason-0-not_as_described")
    page.click("button[type=submit]")  # the reason needs a note
    assert page.locator("#note-0-error").is_visible()
    shoot(page, "en-phone-04-items-error")
    assert_accessible(page, "the items page with an error")
    page.fill("#note-0", "The colour is much darker than in the photos.")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/resolution")
    assert "$" in page.locator(".option-amount").first.inner_text()
    shoot(page, "en-phone-05-resolution")
    assert_accessible(page, "the resolution page")

    page.check("#resolution-store_credit")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/review")
    assert "Total store credit" in page.content()
    shoot(page, "en-phone-06-review")
    assert_accessible(page, "the review page")

    page.click("form[action='/return/confirm'] button")
    page.wait_for_url("**/confirmation")
    rma = page.locator(".rma").inner_text()
    assert RMA.fullmatch(rma)
    shoot(page, "en-phone-07-confirmation")
    assert_accessible(page, "the confirmation page")

    page.click(f"a[href='/returns/{rma}']")
    page.wait_for_url(f"**/returns/{rma}")
    assert "Return requested" in page.locator(".timeline").inner_text()
    shoot(page, "en-phone-08-status")
    assert_accessible(page, "the status page")


def test_a_japanese_shopper_returns_an_item_on_a_desktop(stack: Stack, desktop_ja: Any) -> None:
    page = desktop_ja
    page.goto(stack.app_url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "返品・返金"
    shoot(page, "ja-desktop-01-start")
    page.fill("#order_number", "1001")
    page.fill("#email", "aiko.yamada@example.jp")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/items")
    assert "まで返品できます" in page.content()
    assert "¥" in page.locator(".line-meta").first.inner_text()
    page.check("#return-0")
    page.select_option("#quantity-0", "2")
    page.check("#reason-0")
    shoot(page, "ja-desktop-02-items")
    assert_accessible(page, "the Japanese items page")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/resolution")
    shoot(page, "ja-desktop-03-resolution")
    page.click("button[type=submit]")  # refund, the first option, is chosen already
    page.wait_for_url("**/return/review")
    assert "返金合計" in page.content()
    total = page.locator(".money tfoot td").inner_text()
    assert re.fullmatch(r"¥[\d,]+", total), total
    shoot(page, "ja-desktop-04-review")
    page.click("form[action='/return/confirm'] button")
    page.wait_for_url("**/confirmation")
    assert "返品を受け付けました" in page.content()
    shoot(page, "ja-desktop-05-confirmation")
    page.click(".actions a")
    assert "返品を申し込みました" in page.locator(".timeline").inner_text()
    shoot(page, "ja-desktop-06-status")

    # The switcher keeps the step and the cookie keeps the choice.
    page.click("nav.languages a[hreflang=ko]")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert "반품 신청 완료" in page.locator(".timeline").inner_text()
    shoot(page, "ko-desktop-07-status")


def tab_to(page: Any, selector: str, *, limit: int = 60) -> list[str]:
    """Press Tab until `selector` has the focus; the ids or tags passed on the way."""
    passed: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return passed
        passed.append(page.evaluate("() => document.activeElement.id || document.activeElement.tagName"))
    raise AssertionError(f"Tab never reached {selector}; passed {passed}")


def assert_focus_is_visible(page: Any) -> None:
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none"), "the focused element shows no outline"


def test_the_whole_return_works_with_the_keyboard_alone(stack: Stack, phone: Any) -> None:
    page = phone
    page.goto(stack.app_url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert_focus_is_visible(page)
    passed = tab_to(page, "#order_number")
    assert "email" not in passed
    assert_focus_is_visible(page)
    page.keyboard.type("1006")
    tab_to(page, "#email", limit=1)
    page.keyboard.type("camille.dubois@example.com")
    tab_to(page, "button[type=submit]", limit=1)
    page.keyboard.press("Enter")
    page.wait_for_url("**/return/items")

    tab_to(page, "#return-1")
    page.keyboard.press("Space")
    tab_to(page, "#quantity-1", limit=1)
    tab_to(page, "#reason-1", limit=1)
    page.keyboard.press("Space")
    assert page.is_checked("#reason-1")
    tab_to(page, "button[type=submit]")
    shoot(page, "kb-phone-01-items")
    page.keyboard.press("Enter")
    page.wait_for_url("**/return/resolution")

    tab_to(page, "input[name=resolution]:checked")
    assert_focus_is_visible(page)
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/return/review")

    tab_to(page, "form[action='/return/confirm'] button")
    assert_focus_is_visible(page)
    shoot(page, "kb-phone-02-review-focus")
    page.keyboard.press("Enter")
    page.wait_for_url("**/confirmation")
    assert RMA.fullmatch(page.locator(".rma").inner_text())
    tab_to(page, ".actions a")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/returns/R-[^/]+$"))
    assert "Return requested" in page.locator(".timeline").inner_text()


def test_a_korean_shopper_cancels_a_return_and_the_emails_link_opens_it_later(stack: Stack, chromium: Any) -> None:
    """Cancel with a confirmation step, then follow the email's link from a browser with no session."""
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                   locale="ko-KR", extra_http_headers={"Accept-Language": "ko"})
    page = context.new_page()
    page.goto(stack.app_url + "/")
    page.fill("#order_number", "1005")
    page.fill("#email", "minji.kim@example.kr")
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
    rma = page.locator(".rma").inner_text()
    page.click(".actions a")
    page.wait_for_url(f"**/returns/{rma}")
    cancel_form = f"form[action='/returns/{rma}/cancel'] button"
    assert page.locator(cancel_form).inner_text() == "이 반품 취소하기"
    shoot(page, "ko-phone-01-status-cancellable")
    assert_accessible(page, "the status page with its cancel form")

    page.click(cancel_form)
    page.wait_for_url(f"**/returns/{rma}/cancel")
    assert page.locator("h1").inner_text() == f"반품 {rma} 건을 취소하시겠습니까?"
    shoot(page, "ko-phone-02-cancel-confirm")
    assert_accessible(page, "the cancel confirmation page")
    page.click(cancel_form)  # "Yes, cancel this return"
    page.wait_for_url(re.compile(rf".*/returns/{rma}$"))
    assert "이 반품을 취소하셨습니다" in page.content()
    assert page.locator(cancel_form).count() == 0
    shoot(page, "ko-phone-03-cancelled")
    assert_accessible(page, "the status page of a cancelled return")
    context.close()

    # The cancellation email's link, from the local outbox, in a browser that never looked the order up.
    fresh = chromium.new_context(viewport=PHONE, locale="ko-KR", extra_http_headers={"Accept-Language": "ko"})
    inbox = fresh.new_page()
    inbox.goto(stack.app_url + "/_dev/outbox")
    links = [href for href in inbox.eval_on_selector_all("a", "els => els.map(e => e.href)")
             if f"/returns/{rma}?link=" in href]
    assert links, "no status link in the outbox"
    inbox.goto(links[0])
    inbox.wait_for_url(re.compile(rf".*/returns/{rma}$"))  # the token is gone from the address bar
    assert "이 반품을 취소하셨습니다" in inbox.content()
    shoot(inbox, "ko-phone-04-from-the-email")
    fresh.close()

    # A tampered link, in yet another browser (this one holds the order now and would just show it).
    stranger = chromium.new_context(viewport=PHONE, locale="ko-KR", extra_http_headers={"Accept-Language": "ko"})
    bad = stranger.new_page()
    bad.goto(links[0][:-6] + ("AAAAAA" if not links[0].endswith("AAAAAA") else "BBBBBB"))
    assert bad.locator("form[action='/lookup']").count() == 1
    assert "이 반품 링크는" in bad.content()
    shoot(bad, "ko-phone-05-bad-link")
    assert_accessible(bad, "the page of a tampered status link")
    stranger.close()
