"""Staff accounts in a real browser on `make run`'s stack: the demo owner signs in on a phone,
manages staff and switches two-step sign-in on with a code computed as an app would; agent and
warehouse meet the 403 page. axe-core finds nothing serious on any of these pages, and no page
scrolls sideways at 390px. Screenshots go to test-artifacts/console-staff/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from devstack import totp
from devstack.cognito import DEMO_STAFF_PASSWORD
from devstack.processes import REPO_ROOT
from tests.e2e.test_make_run import Stack
from tests.e2e.test_shopper_journey import PHONE, assert_accessible

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "console-staff"


@pytest.fixture
def phone(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                   locale="en-US")
    yield context.new_page()
    context.close()


def check(page: Any, name: str) -> None:
    """axe-clean, no sideways scroll on the phone, and a screenshot."""
    assert_accessible(page, name)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], f"{name} scrolls sideways"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, stack: Stack, email: str, next_path: str = "") -> None:
    page.goto(stack.app_url + "/console/sign-in" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_owner_manages_staff_and_switches_two_step_sign_in_on(stack: Stack, phone: Any) -> None:
    sign_in(phone, stack, "owner@retour.local", "/console/staff")
    assert phone.url.endswith("/console/staff")
    check(phone, "staff")
    for email in ("agent@retour.local", "warehouse@retour.local"):
        assert phone.get_by_role("rowheader", name=email).is_visible()

    phone.get_by_label("Email", exact=True).fill("new.agent@retour.local")
    phone.get_by_label("Role", exact=True).select_option("agent")
    phone.get_by_role("button", name="Send invitation").click()
    assert "Invitation sent" in phone.locator("[role=status]").inner_text()
    assert phone.get_by_role("rowheader", name="new.agent@retour.local").is_visible()
    check(phone, "staff-invited")

    phone.get_by_role("link", name="Remove… new.agent@retour.local").click()
    check(phone, "staff-remove")
    phone.get_by_role("button", name="Remove new.agent@retour.local").click()
    assert "Member removed" in phone.locator("[role=status]").inner_text()

    phone.goto(stack.app_url + "/console/account")
    check(phone, "account")
    phone.get_by_label("Your password, to confirm it is you").fill(DEMO_STAFF_PASSWORD)
    phone.get_by_role("button", name="Set up two-step sign-in").click()
    secret = phone.locator(".totp-secret code").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", secret)
    check(phone, "account-totp-setup")
    phone.get_by_label("Six-digit code from your authenticator app").fill(totp.code_now(secret))
    phone.get_by_role("button", name="Switch two-step sign-in on").click()
    assert "Two-step sign-in is on" in phone.locator("[role=status]").inner_text()

    phone.get_by_role("button", name="Sign out").click()
    sign_in(phone, stack, "owner@retour.local")
    check(phone, "sign-in-code")
    phone.get_by_label("Six-digit code from your authenticator app").fill(totp.code_now(secret))
    phone.get_by_role("button", name="Sign in").click()
    assert phone.url.endswith("/console")


@pytest.mark.parametrize("email", ["agent@retour.local", "warehouse@retour.local"])
def test_agent_and_warehouse_meet_the_403_page_at_staff(stack: Stack, phone: Any, email: str) -> None:
    sign_in(phone, stack, email)
    response = phone.goto(stack.app_url + "/console/staff")
    assert response.status == 403
    assert phone.get_by_role("heading", name="This page is not for your role").is_visible()
    check(phone, f"staff-403-{email.split('@')[0]}")
