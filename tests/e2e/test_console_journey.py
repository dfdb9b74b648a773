"""The merchant console in a real browser (Debian's chromium through Playwright) on `make run`.

Signed in through the sign-in page against the local Cognito with the demo staff `make run`
creates: the owner walks the day's work (the demo store's pending exception in the inbox, the
return window changed after its preview, the exception approved, the period's reports and CSV);
an agent and a warehouse member meet the 403 page where their role ends; the warehouse receives
on a phone. axe-core checks every page (nothing serious or critical) and each step is saved as a
screenshot in test-artifacts/console/ (docs/console.md shows some of them).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.demo_returns import ORDER as PENDING_ORDER
from devstack.processes import REPO_ROOT
from tests.e2e.test_make_run import Stack
from tests.e2e.test_shopper_journey import DESKTOP, PHONE, RMA, assert_accessible

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "console"
PASSWORD = "Retour-local-staff-1"


def _context(chromium: Any, *, phone: bool = False, locale: str = "en-US") -> Any:
    if phone:
        return chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                    locale=locale, accept_downloads=True)
    return chromium.new_context(viewport=DESKTOP, locale=locale, accept_downloads=True)


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_sideways_scroll(page: Any, where: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{where} scrolls sideways on a phone by {overflow}px"


def sign_in(page: Any, stack: Stack, email: str, *, going_to: str = "/console") -> None:
    """Open `going_to` as a stranger: the sign-in page, then signed in and sent back there."""
    page.goto(stack.app_url + going_to)
    page.wait_for_url("**/console/sign-in**")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/console/sign-in'] button[type=submit]")
    page.wait_for_url(f"**{going_to}")


def test_the_owner_decides_the_pending_exception_after_changing_the_window(stack: Stack, chromium: Any) -> None:
    context = _context(chromium)
    page = context.new_page()
    page.goto(stack.app_url + "/console")
    page.wait_for_url("**/console/sign-in**")
    shoot(page, "01-sign-in")
    assert_accessible(page, "the sign-in page")
    page.fill("input[name=email]", "owner@retour.local")
    page.fill("input[name=password]", "not-the-password")
    page.click("form[action='/console/sign-in'] button[type=submit]")
    assert "don't match" in page.locator(".error-summary").inner_text()
    sign_in(page, stack, "owner@retour.local")

    # The inbox: the demo store's exception waits for a decision, with its age against the SLA.
    inbox = page.locator("main").inner_text()
    assert PENDING_ORDER in inbox
    pending_rma = RMA.search(inbox)
    assert pending_rma, "the pending exception's RMA is listed"
    rma = pending_rma.group(0)
    shoot(page, "02-inbox")
    assert_accessible(page, "the inbox")

    # The policy editor: a shorter window, previewed before it is saved.
    page.click("nav a[href='/console/policy']")
    page.wait_for_url("**/console/policy")
    shoot(page, "03-policy")
    assert_accessible(page, "the policy editor")
    page.fill("#field-window_days", "21")
    page.click("form[action='/console/policy/preview'] button[type=submit]")
    preview = page.locator("main").inner_text()
    assert "30" in preview and "21" in preview
    shoot(page, "04-policy-preview")
    assert_accessible(page, "the policy preview")
    page.click("form[action='/console/policy'] button[type=submit]")
    page.wait_for_url("**/console/policy**")
    page.goto(stack.app_url + "/console/policy/versions")
    versions = page.locator("main").inner_text()
    assert "owner@retour.local" in versions
    assert_accessible(page, "the policy history")

    # The exception: approved after the confirmation shows the amount.
    page.goto(stack.app_url + f"/console/returns/{rma}")
    shoot(page, "05-return")
    assert_accessible(page, "a return's page")
    page.click(f"form[action='/console/returns/{rma}/decision'] button[type=submit]")
    page.wait_for_url(f"**/console/returns/{rma}/decision**")
    assert "€" in page.locator("main").inner_text()
    shoot(page, "06-approve-confirm")
    assert_accessible(page, "the approval confirmation")
    page.click(f"form[method=post][action='/console/returns/{rma}/decision'] button[type=submit]")
    page.wait_for_url(f"**/console/returns/{rma}?*")
    timeline = page.locator("main").inner_text()
    assert "staff:owner@retour.local" in timeline or "owner@retour.local" in timeline
    assert "Approved" in timeline

    # Reports for the period: the approval in the outcome chart and in the CSV.
    today = datetime.now(UTC).date()
    period = f"from={(today - timedelta(days=30)).isoformat()}&to={today.isoformat()}"
    page.goto(stack.app_url + f"/console/reports?{period}")
    assert page.locator("svg[role=img]").count() >= 3
    shoot(page, "07-reports")
    assert_accessible(page, "the reports")
    with page.expect_download() as download:
        page.click("a[href*='/console/reports/returns.csv']")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rma in {row.get("rma") for row in rows}
    context.close()


def test_an_agent_meets_the_403_page_at_the_policy_and_the_staff(stack: Stack, chromium: Any) -> None:
    context = _context(chromium, locale="ja-JP")
    page = context.new_page()
    sign_in(page, stack, "agent@retour.local")
    nav = page.locator("nav").inner_text()
    assert "/console/policy" not in [a.get_attribute("href") for a in page.locator("nav a").all()], nav
    for path in ("/console/policy", "/console/staff"):
        answer = page.goto(stack.app_url + path)
        assert answer is not None and answer.status == 403
        assert page.locator("h1").count() == 1
        assert_accessible(page, f"the agent's 403 at {path}")
    shoot(page, "08-agent-403")
    context.close()


def test_the_warehouse_receives_on_a_phone_and_meets_403_beyond(stack: Stack, chromium: Any) -> None:
    context = _context(chromium, phone=True)
    page = context.new_page()
    sign_in(page, stack, "warehouse@retour.local", going_to="/warehouse")
    shoot(page, "09-warehouse-phone")
    assert_accessible(page, "the warehouse page")
    no_sideways_scroll(page, "the warehouse page")
    for path in ("/console", "/console/reports", "/console/store-credit"):
        answer = page.goto(stack.app_url + path)
        assert answer is not None and answer.status == 403, path
    assert_accessible(page, "the warehouse member's 403")
    no_sideways_scroll(page, "the 403 page")
    shoot(page, "10-warehouse-403")
    context.close()
