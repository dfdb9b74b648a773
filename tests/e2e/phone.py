"""A phone's browser for the shopper and merchant walks: one language, a 390x844 screen, and the
checks every page of issue 18's walks must pass (its language, no sideways scroll, axe, no CSP
violation, and on request 44px targets), with a screenshot of each page as checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.test_shopper_journey import PHONE, assert_accessible

# The browser's own locale for each page language (what a phone set to that language sends).
BROWSER_LOCALES = {"en": "en-US", "ja": "ja-JP", "zh-Hans": "zh-CN", "ko": "ko-KR"}
# The controls a thumb must hit: at least 44px tall (WCAG 2.2 2.5.8 asks 24; we promise 44).
SMALL_TARGETS = """() => [...document.querySelectorAll('main button, main input[type=number], main textarea,'
                      + ' main .choice label, main .button')]
                   .map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().height])
                   .filter(([, h]) => h > 0 && h < 43.5)"""


class Phone:
    """A phone's browser in one language: its page, and every CSP violation the browser reported."""

    def __init__(self, chromium: Any, language: str, *, artifacts: Path, locale: str | None = None) -> None:
        self.context = chromium.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale=locale or BROWSER_LOCALES[language], extra_http_headers={"Accept-Language": language})
        self.page = self.context.new_page()
        self.language = language
        self.artifacts = artifacts
        self.violations: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"{self.page.url}: {message.text}")

    def check(self, name: str, *, language: str | None = None, targets: bool = False) -> None:
        """The page as shown, saved as `<language>-<name>.png`: in `language` (the phone's unless
        the walk switched), never wider than the phone, axe clean, no CSP violation so far, and with
        `targets` every control a 44px target."""
        language = language or self.language
        page = self.page
        self.artifacts.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(self.artifacts / f"{language}-{name}.png"), full_page=True)
        assert page.locator("html").get_attribute("lang") == language, name
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} scrolls sideways on a phone by {overflow}px"
        if targets:
            small = page.evaluate(SMALL_TARGETS)
            assert not small, f"{name}: targets under 44px: {small}"
        assert_accessible(page, f"{name} in {language}")
        assert not self.violations, self.violations

    def close(self) -> None:
        self.context.close()
