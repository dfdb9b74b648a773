"""Paying a dearer exchange's price difference as a shopper (issue 19, item 4), on `make run`.

Demo order 1090's M tee is exchanged for the dearer L through the API (the store allows any
price). Its shopper opens the status link on a 390px phone: in 日本語 and in English the status
page leads to the pay page, which shows both values and the difference, mounts the card field of
the local Stripe.js (localstripe's mock, loaded from the local Stripe: the only origin this page's
CSP lets in), and passes the usual checks (language, no sideways scroll, 44px targets, axe with
the card field left to Stripe, no CSP violation). With JavaScript off the page says paying needs
it and offers to cancel. Then the shopper pays through pay.js: the mock's 3-D Secure step is
completed, the browser comes back to /pay/done, and the status page shows the exchange approved.
Screenshots go to test-artifacts/shopper-pay-difference/.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pytest

from devstack.payments import stripe_client
from devstack.processes import REPO_ROOT
from tests.e2e.phone import SMALL_TARGETS, Phone
from tests.e2e.test_make_run import Stack
from tests.e2e.test_shopper_journey import AXE, PHONE

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-pay-difference"
ORDER, EMAIL = "1090", "niamh.byrne@example.ie"
ADMIN_KEY = "local-admin-key"
STRIPE_KEY = "sk_test_local_fake_key_not_a_secret"
# The pay page's title in each language (the message catalog's words).
TITLES = {"en": "Pay the price difference", "ja": "差額のお支払い"}


def call(stack: Stack, method: str, path: str, body: dict[str, Any] | None = None,
         token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(stack.app_url + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture(scope="module")
def status_link(stack: Stack) -> tuple[str, str]:
    """The dearer exchange of order 1090 (its M tee for the L): its RMA and status link path."""
    status, _ = call(stack, "PUT", "/api/v1/admin/policy", {"exchanges": "any_price"}, token=ADMIN_KEY)
    assert status == 200
    status, found = call(stack, "POST", "/api/v1/lookup", {"order_number": ORDER, "email": EMAIL})
    assert status == 200, found
    status, created = call(stack, "POST", "/api/v1/returns", {
        "order_number": ORDER, "resolution": "exchange",
        "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small", "exchange_for": {"sku": "TEE-CLASSIC-L"}}],
    }, token=found["token"])
    assert status == 201, created
    assert created["status"] == "awaiting_payment"
    rma = created["rma"]
    _, again = call(stack, "POST", "/api/v1/lookup", {"order_number": ORDER, "email": EMAIL})
    link = next(r["status_url"] for r in again["returns"] if r["rma"] == rma)
    url = urlsplit(link)
    return rma, f"{url.path}?{url.query}"


def axe_outside_the_card_field(page: Any, where: str) -> None:
    """axe's WCAG A/AA rules on the page but the card field (Stripe's own frame when deployed;
    localstripe's bare stand-in here): nothing serious or critical."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run({exclude: [['#card-element']]}, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
    )
    bad = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"accessibility problems on {where}:\n" + "\n".join(bad)


def pay_on_the_page(page: Any, stack: Stack, rma: str) -> str:
    """The shopper pays on the open pay page with a 3-D Secure test card; its PaymentIntent.

    localstripe's Stripe.js mock does not send the card it shows: the PaymentIntent gets the same
    card server-side first, so the mock's confirmCardPayment has its authentication step to do,
    which the browser completes; the page then comes back to the return's status page."""
    payment_intent: str = page.locator("input[name=payment_intent]").input_value()
    stripe = stripe_client(f"http://127.0.0.1:{stack.ports['RETOUR_STRIPE_PORT']}", STRIPE_KEY)
    method = stripe.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4000002760003184", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    stripe.v1.payment_intents.update(payment_intent, params={"payment_method": method.id})
    assert stripe.v1.payment_intents.confirm(payment_intent).status == "requires_action"
    for field, value in (("number", "4000002760003184"), ("exp_month", "12"), ("exp_year", "34"),
                         ("cvc", "123"), ("postal_code", "D02")):
        page.fill(f"#card-element input[placeholder={field}]", value)
    page.click("#pay-button")
    page.click("text=Complete authentication")
    page.wait_for_url(f"**/returns/{rma}")
    return payment_intent


def check_pay_page(phone: Phone, name: str) -> None:
    """Phone.check for the pay page, with axe leaving the card field to Stripe."""
    page = phone.page
    phone.artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(phone.artifacts / f"{phone.language}-{name}.png"), full_page=True)
    assert page.locator("html").get_attribute("lang") == phone.language
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{name} scrolls sideways on a phone by {overflow}px"
    assert not page.evaluate(SMALL_TARGETS), page.evaluate(SMALL_TARGETS)
    axe_outside_the_card_field(page, f"{name} in {phone.language}")
    assert not phone.violations, phone.violations


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_status_link_leads_to_the_pay_page_with_the_card_field_on_a_phone(
    stack: Stack, chromium: Any, status_link: tuple[str, str], language: str,
) -> None:
    rma, link = status_link
    phone = Phone(chromium, language, artifacts=ARTIFACTS)
    try:
        page = phone.page
        page.goto(stack.app_url + link)
        page.wait_for_url(f"**/returns/{rma}")
        phone.check("status", targets=True)
        page.click(f"main a[href='/returns/{rma}/pay']")
        page.wait_for_url(f"**/returns/{rma}/pay")
        # Stripe.js (the local mock) mounted its card field; the no-JavaScript notice is gone.
        page.wait_for_selector("#card-element input")
        assert page.locator("#pay-js").is_visible() and not page.locator("#pay-nojs").is_visible()
        main = page.locator("main").inner_text()
        # The sizes, as the shopper's steps name them, and both values (the M was bought for €29.00).
        assert "€29.00" in main and "Size M" in main and "Size L" in main
        check_pay_page(phone, "pay")
        assert page.locator("h1").inner_text() == TITLES[language]
    finally:
        phone.close()


def test_without_javascript_the_pay_page_says_so_and_offers_to_cancel(
    stack: Stack, chromium: Any, status_link: tuple[str, str],
) -> None:
    rma, link = status_link
    context = chromium.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False,
                                   locale="en-US", extra_http_headers={"Accept-Language": "en"})
    try:
        page = context.new_page()
        page.goto(stack.app_url + link)
        page.goto(f"{stack.app_url}/returns/{rma}/pay")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "en-pay-without-javascript.png"), full_page=True)
        assert page.locator("#pay-nojs").is_visible() and not page.locator("#pay-js").is_visible()
        assert "needs JavaScript" in page.locator("#pay-nojs").inner_text()
        page.click(f"main a[href='/returns/{rma}/cancel']")
        page.wait_for_url(f"**/returns/{rma}/cancel")  # asked first: nothing cancelled yet
    finally:
        context.close()


def test_the_shopper_pays_through_stripe_js_and_the_exchange_is_approved(
    stack: Stack, chromium: Any, status_link: tuple[str, str],
) -> None:
    rma, link = status_link
    phone = Phone(chromium, "en", artifacts=ARTIFACTS)
    try:
        page = phone.page
        page.goto(stack.app_url + link)
        page.goto(f"{stack.app_url}/returns/{rma}/pay")
        page.wait_for_selector("#card-element input")
        payment_intent = pay_on_the_page(page, stack, rma)
        assert "Approved" in page.locator(".status-line").inner_text()
        assert "Price difference paid" in page.locator("main").inner_text()
        phone.check("paid")
        stripe = stripe_client(f"http://127.0.0.1:{stack.ports['RETOUR_STRIPE_PORT']}", STRIPE_KEY)
        assert stripe.v1.payment_intents.retrieve(payment_intent).status == "succeeded"
    finally:
        phone.close()
