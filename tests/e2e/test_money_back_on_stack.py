"""The whole money path by hand, automated on a running `devstack.run` stack: return demo order
1001 over the JSON API, receive the parcel on the warehouse page over HTTP, and watch the local
refund worker (draining moto's SQS) pay it back on localstripe, exactly once."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from devstack.payments import stripe_client
from devstack.processes import free_port
from tests.e2e.test_make_run import Reply, Stack, http, make_run, wait_for_portal

pytestmark = pytest.mark.stack

API_KEY = "sk_test_local_fake_key_not_a_secret"
REFUND_SECONDS = 60.0


class Browser:
    """Cookies and forms over real HTTP, as a warehouse scanner's browser sends them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def open(self, path: str, form: dict[str, str] | None = None) -> Reply:
        data = urlencode(form).encode() if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers,
                                         method="POST" if form is not None else "GET")
        try:
            with self.opener.open(request, timeout=15) as response:
                return Reply(response.status, response.headers.get("Content-Type", ""), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers.get("Content-Type", ""), error.read())


def csrf_of(reply: Reply) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', reply.body.decode())
    assert found is not None, reply.body[:2000]
    return found.group(1)


def shopper_get(stack: Stack, path: str, token: str) -> Reply:
    request = urllib.request.Request(stack.app_url + path, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return Reply(response.status, response.headers.get("Content-Type", ""), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers.get("Content-Type", ""), error.read())


def return_demo_order(stack: Stack) -> tuple[str, str]:
    """Look up demo order 1001 and return one tee over the JSON API: (RMA, shopper token)."""
    lookup = http("POST", stack.app_url + "/api/v1/lookup",
                  {"order_number": "1001", "email": "aiko.yamada@example.jp"})
    assert lookup.status == 200, lookup.body
    token: str = lookup.json()["token"]
    body = json.dumps({"order_number": "1001", "resolution": "refund",
                       "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}).encode()
    request = urllib.request.Request(stack.app_url + "/api/v1/returns", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=15) as response:
        created: dict[str, Any] = json.loads(response.read())
        assert response.status == 201
    assert created["status"] == "approved", created
    return created["rma"], token


# The demo warehouse member `make run` creates on the local Cognito pool (documented, fake).
WAREHOUSE_EMAIL = "warehouse@retour.local"
WAREHOUSE_PASSWORD = "Retour-local-staff-1"


def receive_on_the_warehouse_page(stack: Stack, rma: str) -> None:
    """Sign in to the console as the warehouse member, scan the RMA, mark it received."""
    browser = Browser(stack.app_url)
    start = browser.open("/warehouse")  # a stranger: sent on to the console's sign-in
    assert start.status == 200 and 'name="password"' in start.body.decode(), start.body[:500]
    signed_in = browser.open("/console/sign-in", {"csrf": csrf_of(start), "email": WAREHOUSE_EMAIL,
                                                  "password": WAREHOUSE_PASSWORD, "next": "/warehouse"})
    assert signed_in.status == 200 and 'id="rma"' in signed_in.body.decode(), signed_in.body[:500]
    scanned = browser.open("/warehouse?" + urlencode({"rma": rma}))
    assert scanned.status == 200 and rma in scanned.body.decode(), scanned.body[:500]
    done = browser.open("/warehouse/receive", {"rma": rma, "csrf": csrf_of(scanned)})
    assert done.status == 200, done.body[:500]
    assert "refund is on its way" in done.body.decode()


def test_a_demo_return_received_on_the_warehouse_page_is_refunded_once_on_the_stack(tmp_path: Path) -> None:
    ports = {"RETOUR_APP_PORT": free_port(), "RETOUR_AWS_PORT": free_port(), "RETOUR_STRIPE_PORT": free_port()}
    with make_run(ports, tmp_path / "run.log") as stack:
        wait_for_portal(stack)
        order = http("GET", stack.app_url + "/api/v1/admin/orders/1001", admin=True)
        assert order.status == 200, order.body
        payment_intent = order.json()["payment"]["payment_intent"]

        rma, token = return_demo_order(stack)
        receive_on_the_warehouse_page(stack, rma)

        deadline = time.monotonic() + REFUND_SECONDS
        status = ""
        while time.monotonic() < deadline:
            reply = shopper_get(stack, f"/api/v1/returns/{rma}", token)
            assert reply.status == 200, reply.body
            status = reply.json()["status"]
            if status == "refunded":
                break
            assert status in ("received", "refunding"), reply.body
            time.sleep(0.5)
        assert status == "refunded", f"still {status} after {REFUND_SECONDS:.0f} s:\n{stack.output()}"

        stripe = stripe_client(f"http://127.0.0.1:{ports['RETOUR_STRIPE_PORT']}", API_KEY)
        refunds = list(stripe.v1.refunds.list(params={"payment_intent": payment_intent, "limit": 100}).data)
        assert [(r.amount, r.currency, r.metadata["rma"]) for r in refunds] == [(3300 + 330, "jpy", rma)]
