"""A credited shopper sees their store credit code and balance on a phone (item 2 of issue 18).

The demo store's order 1005 (김민지, ko, KRW) has one return paid as store credit
(devstack/demo_returns.py `seed_credited_return`). Its credited email's status link opens the
return on a Korean 390px phone, shown in English and in Korean: the code in four groups of four, the
balance, accessible, no sideways scroll, no CSP violation.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.test_make_run import Stack
from tests.e2e.test_shopper_journey import PHONE, assert_accessible, shoot

pytestmark = pytest.mark.stack

CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}")
SHOPPER = "minji.kim@example.kr"


def credited_email_link(stack: Stack, chromium: Any) -> tuple[str, str]:
    """(status link, credit code) from the credited email in the local outbox."""
    context = chromium.new_context()
    inbox = context.new_page()
    inbox.goto(stack.app_url + "/_dev/outbox")
    for article in inbox.locator("article").all():
        text = article.inner_text()
        found = CODE.search(text)
        if SHOPPER in text and found:
            links = [href for href in article.locator("a").evaluate_all("els => els.map(e => e.href)")
                     if "/returns/R-" in href and "?link=" in href]
            if links:
                context.close()
                return links[0], found.group(0)
    body = inbox.locator("body").inner_text()
    context.close()
    raise AssertionError(f"no credited email with a credit code to {SHOPPER} in the outbox:\n{body[:2000]}")


def test_a_credited_shopper_sees_their_code_and_balance_on_a_phone_in_korean_and_english(
    stack: Stack, chromium: Any
) -> None:
    link, code = credited_email_link(stack, chromium)
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                   locale="ko-KR", extra_http_headers={"Accept-Language": "ko"})
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(link)
    page.wait_for_url(re.compile(r".*/returns/R-[0-9A-Z-]+$"))
    status_url = page.url
    # English first, then Korean: the Korean heading is the one word here that needs the merged catalog.
    for language, heading in (("en", "Your store credit code"), ("ko", "고객님의 크레딧 코드")):
        page.goto(f"{status_url}?lang={language}")
        assert page.locator("html").get_attribute("lang") == language
        card = page.locator("section.credit-code")
        assert card.locator(".credit-code-value code").inner_text().strip() == code
        assert "₩" in page.locator(".money-back").last.inner_text()  # the balance, in won
        # The code sits on one line within the phone's width, and nothing scrolls sideways.
        box = card.locator(".credit-code-value code").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["height"] < 60
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the {language} status page scrolls sideways by {overflow}px"
        shoot(page, f"credit-{language}-phone-status")
        assert_accessible(page, f"the credited status page in {language}")
        assert card.locator("h2").inner_text().strip() == heading
    assert not violations, "CSP violations:\n" + "\n".join(violations)
    context.close()
