"""The original shipping through the API, the shopper's pages and the refund: shown, paid once, capped."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.money import Money
from devstack.refund_worker import drain
from tests.functional.conftest import ADMIN, console_cookie, put_policy
from tests.functional.test_console_policy import forms, post
from tests.functional.test_refunds import (  # noqa: F401  (fixtures: the local Stripe and refund queue)
    Stripe,
    api,
    money_env,
    paid_order,
    receive,
    sqs,
    status_of,
    stripe_state,
)
from tests.functional.test_shopper_pages import Browser, text

BERLIN = {"name": "Anna Schmidt", "line1": "Torstraße 1", "line2": "", "city": "Berlin", "region": "",
          "postal_code": "10119", "country": "DE"}
# Two tees at 30.00 with 6.00 tax for both: one unit is 33.00; the order paid 4.90 shipping.
TEES = [{"id": "L1", "sku": "TEE-NAVY-M", "title": "Organic tee — navy, M", "quantity": 2, "unit_price": 3000,
         "tax": 600, "discount": 0, "product_type": "apparel", "tags": [], "final_sale": False}]
EU_ORDER = {"currency": "EUR", "locale": "en", "shipping_address": BERLIN, "shipping_total": 490, "lines": TEES}
BOTH = [{"line_id": "L1", "quantity": 2, "reason": "changed_mind"}]
ONE_DAMAGED = [{"line_id": "L1", "quantity": 1, "reason": "damaged", "note": "torn seam"}]


def token_for(api: Client, order: dict[str, Any]) -> str:
    lookup = api.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                           body=json.dumps({"order_number": order["number"], "email": order["email"]}))
    assert lookup.status_code == 200, lookup.json_body
    token: str = lookup.json_body["token"]
    return token


def create(api: Client, order: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    created = api.http.post(
        "/api/v1/returns",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token_for(api, order)}"},
        body=json.dumps({"order_number": order["number"], "lines": lines, "resolution": "refund"}),
    )
    assert created.status_code == 201, created.json_body
    body: dict[str, Any] = created.json_body
    return body


def test_the_api_quotes_the_original_shipping_for_an_eu_withdrawal_of_the_whole_order(
    api: Client, stripe_endpoint: str, stripe_state: Stripe,
) -> None:
    put_policy(api, original_shipping_refund=["eu_withdrawal"])
    order = paid_order(api, stripe_endpoint, stripe_state, **EU_ORDER)

    created = create(api, order, BOTH)
    read = api.http.get(f"/api/v1/admin/returns/{created['rma']}", headers=ADMIN)

    assert created["amounts"] == {"currency": "EUR", "items": 6000, "tax": 600, "fees": 0, "bonus": 0,
                                  "shipping": 490, "total": 7090}
    assert read.json_body["amounts"] == created["amounts"]


def test_outside_the_eea_the_same_return_gets_no_shipping_back(
    api: Client, stripe_endpoint: str, stripe_state: Stripe,
) -> None:
    put_policy(api, original_shipping_refund=["eu_withdrawal"])
    order = paid_order(api, stripe_endpoint, stripe_state, **{**EU_ORDER, "shipping_address": {**BERLIN, "country": "CH"}})

    assert create(api, order, BOTH)["amounts"]["shipping"] == 0


def test_the_shipping_is_refunded_with_the_first_return_and_never_again(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,
) -> None:
    put_policy(api, original_shipping_refund=["fee_waiving_reasons"])
    order = paid_order(api, stripe_endpoint, stripe_state, **EU_ORDER)

    first = create(api, order, ONE_DAMAGED)
    second = create(api, order, ONE_DAMAGED)
    for rma in (first["rma"], second["rma"]):
        assert receive(api, rma).status_code == 202
    drain(get_deps(), sqs, money_env)

    assert (first["amounts"]["shipping"], second["amounts"]["shipping"]) == (490, 0)
    assert status_of(first["rma"]).status == status_of(second["rma"]).status == "refunded"
    refunds = sorted(r.amount for r in stripe_state.refunds(order["payment"]["payment_intent"]))
    assert refunds == [3300, 3300 + 490]
    assert sum(refunds) == order["total"]


def test_a_cancelled_return_gives_the_shipping_back_to_the_next_one(api: Client, stripe_endpoint: str,
                                                                     stripe_state: Stripe) -> None:
    put_policy(api, original_shipping_refund=["fee_waiving_reasons"])
    order = paid_order(api, stripe_endpoint, stripe_state, **EU_ORDER)
    first = create(api, order, ONE_DAMAGED)
    token = token_for(api, order)
    cancelled = api.http.post(f"/api/v1/returns/{first['rma']}/cancel", headers={"Authorization": f"Bearer {token}"})
    assert cancelled.status_code == 200, cancelled.json_body

    assert create(api, order, ONE_DAMAGED)["amounts"]["shipping"] == 490


def test_the_shipping_counts_towards_what_the_payment_still_holds(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,
) -> None:
    put_policy(api, original_shipping_refund=["whole_order"])
    order = paid_order(api, stripe_endpoint, stripe_state, **EU_ORDER)
    payment_intent = order["payment"]["payment_intent"]
    rma = create(api, order, BOTH)["rma"]
    # Refunded in the Stripe dashboard meanwhile: what is left holds the tees (66.00) but not
    # the tees and the shipping (70.90).
    deps = get_deps()
    outside = stripe_state.client.v1.refunds.create(params={"payment_intent": payment_intent, "amount": 100})
    order_domain = deps.orders.get(order["number"])
    assert order_domain is not None
    deps.payment_ledger.ensure(order_domain, now=datetime.now(UTC))
    assert deps.payment_ledger.record_outside_refund(order["number"], outside.id, Money(100, "EUR"),
                                                    now=datetime.now(UTC))

    assert receive(api, rma).status_code == 202
    drain(deps, sqs, money_env)

    failed = status_of(rma)
    assert failed.status == "refund_failed" and failed.refund.failure_reason == "exceeds_refundable"
    assert [r.amount for r in stripe_state.refunds(payment_intent)] == [100]


# --- the shopper's pages -------------------------------------------------------------------------

def csrf_in(page: Any) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.body.decode())
    assert found, "the page has a form"
    return found.group(1)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_review_and_status_pages_show_the_original_shipping_as_its_own_line(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, language: str,
) -> None:
    put_policy(api, original_shipping_refund=["eu_withdrawal"])
    order = paid_order(api, stripe_endpoint, stripe_state, **{**EU_ORDER, "locale": language})
    shopper = Browser(api, accept_language=language)
    assert shopper.post("/lookup", {"order_number": order["number"], "email": order["email"]}).status_code == 303
    shopper.post("/return/items", {"csrf": shopper.csrf_of("/return/items"), "return-0": "1", "quantity-0": "2",
                                   "reason-0": "changed_mind", "note-0": ""})
    options = shopper.get("/return/resolution")
    shopper.post("/return/resolution", {"csrf": csrf_in(options), "resolution": "refund"})

    review = shopper.get("/return/review")
    confirmed = shopper.post("/return/confirm", {"csrf": csrf_in(review)})
    rma = confirmed.headers["Location"].split("/")[2]
    status = shopper.get(f"/returns/{rma}")

    for page in (review, status):
        assert page.status_code == 200
        row = re.search(r'<tr class="shipping-row"><th scope="row">([^<]+)</th><td>([^<]+)</td></tr>', text(page))
        assert row is not None, text(page)
        assert "4.90" in row.group(2) and row.group(2).startswith("+")
        assert "70.90" in text(page)
    if language == "en":
        assert row is not None and row.group(1) == "Original shipping"


# --- the console ---------------------------------------------------------------------------------

def test_the_console_shows_the_original_shipping_in_the_returns_money(
    api: Client, stripe_endpoint: str, stripe_state: Stripe,
) -> None:
    put_policy(api, original_shipping_refund=["whole_order"])
    order = paid_order(api, stripe_endpoint, stripe_state, **EU_ORDER)
    rma = create(api, order, BOTH)["rma"]

    page = text(api.http.get(f"/console/returns/{rma}", headers=console_cookie("agent")))

    assert re.search(r'<tr class="shipping-row">\s*<th scope="row" class="wrap">Original shipping</th>.*?\+€4\.90',
                     page, re.S), page
    assert "The order's original shipping, €4.90, is paid back with this return." in page


def test_an_owner_ticks_the_eu_withdrawal_box_and_the_policy_says_so(api: Client) -> None:
    put_policy(api)
    owner = console_cookie("owner")
    editor = api.http.get("/console/policy", headers=owner)
    assert "Refund the original shipping as the EU right of withdrawal requires" in text(editor)
    fields = forms(editor)["/console/policy/preview"]
    assert not any(name.startswith("shipping_refund_") for name in fields), "no box is ticked by default"
    fields["shipping_refund_eu_withdrawal"] = "yes"

    preview = post(api, "/console/policy/preview", owner, fields)
    assert preview.status_code == 200
    assert re.search(r"Original shipping is refunded.*?Never refunded.*?as the EU right of withdrawal requires",
                     text(preview), re.S)
    saved = post(api, "/console/policy", owner, forms(preview)["/console/policy"])

    assert saved.status_code == 303
    assert api.http.get("/api/v1/admin/policy", headers=ADMIN).json_body["original_shipping_refund"] == ["eu_withdrawal"]
