"""Every console page in each staff language, on a phone, in a real browser (item 10 of issue 17).

On `make run`, the owner signs in on a 390px phone, reads each page in English first (the words
to look for), then picks 日本語, 한국어 and 简体中文 with the header's language form and visits every
page again: the inbox, the demo store's pending exception and its approval confirmation, the
policy editor and its history, a shopper's store credit, the reports, the staff, the account and
the warehouse scan with the RMA; an agent meets the 403 page the same way. On each: axe finds
nothing serious or critical, the page never scrolls sideways, `<html lang>` is the chosen language,
no English is left in the main navigation or the h1, and the browser reports no CSP violation.
Screenshots go to test-artifacts/console-languages/.
"""

from __future__ import annotations

from typing import Any

import pytest

from devstack.demo_returns import ORDER as PENDING_ORDER
from devstack.processes import REPO_ROOT
from tests.e2e.test_console_journey import PASSWORD
from tests.e2e.test_make_run import Stack
from tests.e2e.test_shopper_journey import PHONE, RMA, assert_accessible

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "console-languages"
LANGUAGES = ("ja", "ko", "zh-Hans")
SHOPPER = "aiko.yamada@example.jp"


class Phone:
    """A signed-in staff member's phone: the page, and every CSP violation the browser reported."""

    def __init__(self, chromium: Any, stack: Stack, email: str, going_to: str) -> None:
        self.context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                            locale="en-US")
        self.page = self.context.new_page()
        self.stack = stack
        self.violations: list[str] = []
        self.page.on("console", self._console)
        self.page.goto(stack.app_url + going_to)
        self.page.wait_for_url("**/console/sign-in**")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("form[action='/console/sign-in'] button[type=submit]")
        self.page.wait_for_url(f"**{going_to}")

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"{self.page.url}: {message.text}")

    def choose(self, language: str) -> None:
        """The header's language form, as a member uses it: pick, then Change; back on the same page."""
        here = self.page.url
        self.page.select_option("#console-lang", language)
        self.page.click("form.console-language button[type=submit]")
        self.page.wait_for_load_state()
        assert self.page.url == here
        assert self.page.locator("html").get_attribute("lang") == language

    def words(self) -> dict[str, Any]:
        """The main navigation's entries and the h1, as shown."""
        nav = self.page.locator("nav.console-nav a")
        return {"nav": [text.strip() for text in nav.all_inner_texts()],
                "h1": self.page.locator("main h1").first.inner_text().strip()}

    def close(self) -> None:
        self.context.close()


def english_words(text: str) -> set[str]:
    """Words of English in `text`, leaving out RMAs, order numbers, emails and the store's name."""
    text = RMA.sub("", text)
    return {word for word in text.replace("·", " ").split()
            if word.isascii() and word.isalpha() and len(word) > 1}


def check(phone: Phone, name: str, language: str, english: dict[str, Any]) -> list[str]:
    """One page in one language: accessible, no sideways scroll, the right lang, no English words left.

    Returns what is wrong (all of it, so one run shows every page's problems)."""
    page = phone.page
    where = f"{name} in {language}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{language}-{name}.png"), full_page=True)
    problems = []
    lang = page.locator("html").get_attribute("lang")
    if lang != language:
        problems.append(f"{where}: <html lang={lang!r}>")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 1:
        problems.append(f"{where} scrolls sideways on a phone by {overflow}px")
    try:
        assert_accessible(page, where)
    except AssertionError as error:
        problems.append(str(error))
    shown = phone.words()
    if language == "en":
        english[name] = shown
        return problems
    left = [entry for entry in shown["nav"] if entry in english[name]["nav"]]
    if left:
        problems.append(f"{where}: the navigation is still in English: {left}")
    same = english_words(shown["h1"]) & english_words(english[name]["h1"])
    if same:
        problems.append(f"{where}: the h1 {shown['h1']!r} keeps English words {same}")
    return problems


def test_the_owner_reads_every_page_in_each_language_on_a_phone(stack: Stack, chromium: Any) -> None:
    phone = Phone(chromium, stack, "owner@retour.local", "/console")
    page = phone.page
    inbox = page.locator("main").inner_text()
    assert PENDING_ORDER in inbox
    found = RMA.search(inbox)
    assert found, "the pending exception's RMA is listed in the inbox"
    rma = found.group(0)
    pages = {
        "inbox": "/console",
        "return": f"/console/returns/{rma}",
        "approve-confirm": f"/console/returns/{rma}/decision?decision=approve",
        "policy": "/console/policy",
        "policy-versions": "/console/policy/versions",
        "store-credit": None,  # searched through its form
        "reports": "/console/reports",
        "staff": "/console/staff",
        "account": "/console/account",
        "warehouse": f"/warehouse?rma={rma}",
    }
    english: dict[str, Any] = {}
    problems: list[str] = []
    for language in ("en", *LANGUAGES):
        if language != "en":
            phone.choose(language)
        for name, path in pages.items():
            if path is None:
                page.goto(stack.app_url + "/console/store-credit")
                page.fill("input[name=email]", SHOPPER)
                page.locator("main form[method=get] button[type=submit]").first.click()
                page.wait_for_url("**/console/store-credit?*")
                assert SHOPPER in page.locator("main").inner_text()
            else:
                answer = page.goto(stack.app_url + path)
                assert answer is not None and answer.status == 200, f"{path}: {answer and answer.status}"
            problems += check(phone, name, language, english)
    assert not problems, "\n".join(problems)
    assert not phone.violations, "CSP violations:\n" + "\n".join(phone.violations)
    phone.close()


def test_an_agent_meets_the_403_page_in_each_language_on_a_phone(stack: Stack, chromium: Any) -> None:
    phone = Phone(chromium, stack, "agent@retour.local", "/console")
    page = phone.page
    english: dict[str, Any] = {}
    problems: list[str] = []
    for language in ("en", *LANGUAGES):
        if language != "en":
            page.goto(stack.app_url + "/console")
            phone.choose(language)
        answer = page.goto(stack.app_url + "/console/policy")
        assert answer is not None and answer.status == 403
        problems += check(phone, "forbidden", language, english)
    assert not problems, "\n".join(problems)
    assert not phone.violations, "CSP violations:\n" + "\n".join(phone.violations)
    phone.close()
