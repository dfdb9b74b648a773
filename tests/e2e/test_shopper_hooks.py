"""Outbound events (issue 19, item 6) on `make run`, in a real browser on a phone: the owner registers a
receiver on 127.0.0.1 in the console, a shopper's return reaches it signed through the stack's
own relay and webhook worker (devstack/webhook_worker.py), a first answer of 500 is retried, and
the owner replays a delivery from the console in Japanese, Korean and Chinese; the receiver sees
the same webhook-id again, and verifies every signature with the standardwebhooks library. Then
the owner pauses the endpoint: a new return's events are held, not sent, and arrive once it is
resumed.

Each page as checked: its language, no sideways scroll on 390px, axe clean, no CSP violation.
Screenshots go to test-artifacts/hooks/.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
import requests

from devstack.processes import REPO_ROOT
from tests.documents import an_order_document, days_ago
from tests.e2e.phone import Phone
from tests.e2e.test_console_journey import sign_in
from tests.e2e.test_make_run import Stack
from tests.webhook_receiver import Received, WebhookReceiver

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "hooks"
ADMIN = {"Authorization": "Bearer local-admin-key", "Content-Type": "application/json"}
# The deliveries page's h1 in each language (the message catalog's words).
DELIVERIES = {"ja": "配信履歴", "ko": "전송 내역", "zh-Hans": "推送记录"}


def shopper_return(stack: Stack) -> str:
    """A fresh order imported and returned through the JSON API, as a storefront would: its RMA."""
    number = f"H{uuid.uuid4().hex[:7].upper()}"
    document = an_order_document(number=number, placed_at=days_ago(7), delivered_at=days_ago(5))
    api = stack.app_url
    assert requests.put(f"{api}/api/v1/admin/orders/{number}", headers=ADMIN, data=json.dumps(document),
                        timeout=30).status_code == 201
    token = requests.post(f"{api}/api/v1/lookup", json={"order_number": number, "email": document["email"]},
                          timeout=30).json()["token"]
    created = requests.post(f"{api}/api/v1/returns", headers={"Authorization": f"Bearer {token}"}, timeout=30,
                            json={"order_number": number, "resolution": "refund",
                                  "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]})
    assert created.status_code == 201, created.text
    rma: str = created.json()["rma"]
    return rma


def of_return(got: list[Received], rma: str) -> list[Received]:
    return [r for r in got if r.payload["data"]["rma"] == rma]


def test_the_owner_wires_a_receiver_on_a_phone_and_replays_a_delivery_in_three_languages(
    stack: Stack, chromium: Any
) -> None:
    with WebhookReceiver() as receiver:
        phone = Phone(chromium, "en", artifacts=ARTIFACTS)
        page = phone.page
        sign_in(page, stack, "owner@retour.local", going_to="/console/webhooks")
        assert page.locator("nav.console-nav a[href='/console/webhooks']").count() == 1
        phone.check("webhooks", targets=True)

        # A typo'd private address first: the error sits next to the field, nothing registered.
        page.fill("#webhook-url", "https://10.0.0.7/hooks")
        page.click("main form[action='/console/webhooks'] button[type=submit]")
        assert page.locator("#webhook-url").get_attribute("aria-invalid") == "true"
        assert "public internet" in page.locator("#webhook-url-error").inner_text()
        phone.check("webhooks-refused")

        page.fill("#webhook-url", receiver.url)
        page.click("main form[action='/console/webhooks'] button[type=submit]")
        secret = page.locator("#webhook-secret").input_value()
        assert secret.startswith("whsec_")
        phone.check("webhooks-registered")
        receiver.secret = secret
        endpoint = re.search(r"/console/webhooks/(ep_[0-9a-f]+)",
                             page.locator("main a[href^='/console/webhooks/ep_']").first.get_attribute("href") or "")
        assert endpoint is not None
        deliveries_path = f"/console/webhooks/{endpoint.group(1)}"

        # The receiver is down for its first request: that event comes again after 5 s.
        receiver.fail_first(1)
        rma = shopper_return(stack)
        got = receiver.wait_for(
            lambda got: {r.type for r in of_return(got, rma) if r.answered == 204} == {"return.created",
                                                                                       "return.approved"},
            timeout=60)
        mine = of_return(got, rma)
        assert all(r.verified for r in mine)
        refused = next(r for r in mine if r.answered == 500)
        assert [r.answered for r in mine if r.webhook_id == refused.webhook_id] == [500, 204]

        page.goto(stack.app_url + deliveries_path)
        assert refused.webhook_id in page.locator("main").inner_text()
        phone.check("deliveries", targets=True)
        replays = 0
        for language in ("ja", "ko", "zh-Hans"):
            page.select_option("#console-lang", language)
            page.click("form.console-language button[type=submit]")
            page.wait_for_load_state()
            assert page.locator("main h1").inner_text().strip() == DELIVERIES[language]
            phone.check("deliveries", language=language)
            page.locator(f"main form:has(input[name=message_id][value='{refused.webhook_id}']) button").click()
            page.wait_for_url(f"**{deliveries_path}?done=replayed")
            replays += 1
            phone.check("deliveries-replayed", language=language)
            receiver.wait_for(lambda got: len([r for r in got if r.webhook_id == refused.webhook_id]) == 2 + replays,
                              timeout=30)
        again = [r for r in receiver.snapshot() if r.webhook_id == refused.webhook_id]
        assert all(r.verified and r.body == refused.body for r in again)
        assert [r.answered for r in again] == [500, 204, 204, 204, 204]

        # The receiving system goes down for maintenance: the owner pauses its endpoint.
        page.locator("main form[action$='/pause'] button").click()
        page.wait_for_url(f"**{deliveries_path}?done=paused")
        phone.check("deliveries-paused", language="zh-Hans")
        held_rma = shopper_return(stack)
        page.wait_for_timeout(4000)  # the local relay runs every second: it holds, never sends
        assert of_return(receiver.snapshot(), held_rma) == []
        page.goto(stack.app_url + deliveries_path)
        assert page.locator("main .webhook-status-held").count() == 2
        page.locator("main form[action$='/resume'] button").click()
        page.wait_for_url(f"**{deliveries_path}?done=resumed")
        got = receiver.wait_for(lambda got: len(of_return(got, held_rma)) == 2, timeout=30)
        assert all(r.verified and r.answered == 204 for r in of_return(got, held_rma))
        phone.close()
