"""An exchange after its request, against the local DynamoDB, SQS, SES and Stripe: the replacement
order at the policy's trigger, the settlement after the parcel (even, cheaper), and the fall back
to money when the store lowered the stock under what was promised."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.local_ses_outbox import sent_emails
from chalicelib.bootstrap import get_deps
from chalicelib.domain.return_request import Condition, ReceivedLine
from chalicelib.services.receive_return import receive_return
from devstack.refund_worker import drain
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, put_policy
from tests.functional.test_refunds import (  # noqa: F401 - fixtures
    Stripe,
    api,
    money_env,
    paid_order,
    sqs,
    stripe_state,
)

JSON = {"Content-Type": "application/json"}


def a_tee(product_id: str, *, l_stock: int = 5) -> dict[str, Any]:
    """The order's tee (M, 3300) in the catalog, with an even L, a cheaper S and a dearer XL."""
    return {"product_id": product_id, "title": "Organic tee", "currency": "JPY", "variants": [
        {"sku": f"{product_id}-M", "options": {"size": "M"}, "price": 3300, "stock": 3},
        {"sku": f"{product_id}-L", "options": {"size": "L"}, "price": 3300, "stock": l_stock},
        {"sku": f"{product_id}-S", "options": {"size": "S"}, "price": 2800, "stock": 5},
        {"sku": f"{product_id}-XL", "options": {"size": "XL"}, "price": 3800, "stock": 5},
    ]}


def put_product(api: Client, document: dict[str, Any]) -> None:
    response = api.http.put(f"/api/v1/admin/products/{document['product_id']}", headers=ADMIN,
                            body=json.dumps(document))
    assert response.status_code in (200, 201), response.json_body


def stock_of(api: Client, product_id: str, sku: str) -> dict[str, int]:
    response = api.http.get(f"/api/v1/admin/products/{product_id}", headers=ADMIN)
    assert response.status_code == 200, response.json_body
    variant = next(v for v in response.json_body["variants"] if v["sku"] == sku)
    return {k: variant[k] for k in ("stock", "reserved", "available")}


def tee_lines(product_id: str) -> list[dict[str, Any]]:
    return [{"id": "L1", "sku": f"{product_id}-M", "title": "Organic tee, M", "quantity": 2, "unit_price": 3300,
             "tax": 600, "discount": 0, "product_type": "apparel", "tags": [], "final_sale": False,
             "product_id": product_id, "options": {"size": "M"}}]


def an_order(api: Client, product_id: str, *, delivered_days_ago: int = 5) -> dict[str, Any]:
    """An order of two tees, paid outside Stripe (an even exchange moves no money)."""
    number = f"8{uuid.uuid4().int % 10**7:07d}"
    document = an_order_document(number=number, email=f"x{number}@example.com", lines=tee_lines(product_id),
                                 placed_at=days_ago(delivered_days_ago + 2), delivered_at=days_ago(delivered_days_ago))
    response = api.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code == 201, response.json_body
    return document


def ask_exchange(api: Client, order: dict[str, Any], sku: str, *, quantity: int = 1) -> dict[str, Any]:
    lookup = api.http.post("/api/v1/lookup", headers=JSON,
                           body=json.dumps({"order_number": order["number"], "email": order["email"]}))
    assert lookup.status_code == 200, lookup.json_body
    created = api.http.post(
        "/api/v1/returns", headers=JSON | {"Authorization": f"Bearer {lookup.json_body['token']}"},
        body=json.dumps({"order_number": order["number"], "resolution": "exchange", "lines": [
            {"line_id": "L1", "quantity": quantity, "reason": "too_small", "exchange_for": {"sku": sku}}]}),
    )
    assert created.status_code == 201, created.json_body
    body: dict[str, Any] = created.json_body
    return body


def admin_return(api: Client, rma: str) -> dict[str, Any]:
    response = api.http.get(f"/api/v1/admin/returns/{rma}", headers=ADMIN)
    assert response.status_code == 200, response.json_body
    body: dict[str, Any] = response.json_body
    return body


def receive(api: Client, rma: str) -> Any:
    response = api.http.post(f"/api/v1/admin/returns/{rma}/receive", headers=ADMIN)
    assert response.status_code == 202, response.json_body
    return response.json_body


def mail_to(aws_endpoint: str, to: str) -> list[Any]:
    return [m for m in sent_emails(aws_endpoint) if m.to == to]


@pytest.fixture(autouse=True)
def labels(s3: Any) -> None:
    """The label bucket: an approved exchange's label is rendered as any return's."""


@pytest.fixture
def product_id(api: Client) -> str:
    product = f"tee-{uuid.uuid4().hex[:8]}"
    put_product(api, a_tee(product))
    return product


def test_on_approval_the_merchants_approval_makes_the_order_and_the_parcel_ends_it_exchanged(
    api: Client, product_id: str, aws_endpoint: str,
) -> None:
    put_policy(api, exchanges="any_price", exchange_trigger="on_approval")
    order = an_order(api, product_id, delivered_days_ago=40)  # past the window: the merchant decides
    created = ask_exchange(api, order, f"{product_id}-L")
    rma = created["rma"]
    assert created["status"] == "pending_approval"
    assert "exchange" not in admin_return(api, rma)
    assert stock_of(api, product_id, f"{product_id}-L") == {"stock": 5, "reserved": 1, "available": 4}

    approved = api.http.post(f"/api/v1/admin/returns/{rma}/approve", headers=ADMIN, body="{}")
    assert approved.status_code == 200, approved.json_body

    number = "X-" + rma.removeprefix("R-")
    shown = admin_return(api, rma)
    assert shown["status"] == "approved"
    assert shown["exchange"]["number"] == number
    assert shown["exchange"]["lines"] == [{"line_id": "L1", "sku": f"{product_id}-L", "options": {"size": "L"},
                                           "quantity": 1}]
    assert [e["kind"] for e in shown["events"]][-1] == "exchange_created"
    # The replacement left the shelf: on hand one fewer, nothing promised any more.
    assert stock_of(api, product_id, f"{product_id}-L") == {"stock": 4, "reserved": 0, "available": 4}
    by_number = api.http.get(f"/api/v1/admin/exchange-orders/{number.lower()}", headers=ADMIN)
    assert by_number.status_code == 200, by_number.json_body
    assert (by_number.json_body["rma"], by_number.json_body["order_number"]) == (rma, order["number"])
    assert by_number.json_body["lines"][0]["sku"] == f"{product_id}-L"
    merchant = [m for m in mail_to(aws_endpoint, "returns@merchant.example") if number in m.subject]
    assert len(merchant) == 1 and f"{product_id}-L" in merchant[0].text
    assert any(number in m.text for m in mail_to(aws_endpoint, order["email"]))

    assert receive(api, rma)["status"] == "exchanged"
    # A second scan makes no second order and moves no stock.
    assert receive(api, rma)["status"] == "exchanged"
    assert stock_of(api, product_id, f"{product_id}-L") == {"stock": 4, "reserved": 0, "available": 4}
    assert [e["kind"] for e in admin_return(api, rma)["events"]].count("exchange_created") == 1


def test_on_receipt_an_even_exchange_makes_its_order_when_the_parcel_comes(
    api: Client, product_id: str, aws_endpoint: str,
) -> None:
    put_policy(api, exchanges="same_price", exchange_trigger="on_receipt", refund_trigger="on_approval")
    order = an_order(api, product_id)
    created = ask_exchange(api, order, f"{product_id}-L")
    rma = created["rma"]
    assert created["status"] == "approved"
    # Approved, but the trigger is the parcel: no order yet, the unit only promised.
    assert "exchange" not in admin_return(api, rma)
    assert stock_of(api, product_id, f"{product_id}-L") == {"stock": 5, "reserved": 1, "available": 4}
    missing = api.http.get(f"/api/v1/admin/exchange-orders/X-{rma.removeprefix('R-')}", headers=ADMIN)
    assert missing.status_code == 404 and missing.json_body["error"]["code"] == "exchange_order_not_found"

    assert receive(api, rma)["status"] == "exchanged"
    shown = admin_return(api, rma)
    assert shown["exchange"]["lines"][0]["quantity"] == 1
    assert [e["kind"] for e in shown["events"]][-3:] == ["received", "exchange_created", "exchanged"]
    assert stock_of(api, product_id, f"{product_id}-L") == {"stock": 4, "reserved": 0, "available": 4}
    # Told in the return's language (the order's: Japanese), with the replacement order's number.
    assert any(shown["exchange"]["number"] in m.text for m in mail_to(aws_endpoint, order["email"]))


def test_a_partial_receipt_orders_only_the_units_that_came_and_gives_the_rest_back(
    api: Client, product_id: str,
) -> None:
    put_policy(api, exchanges="same_price", exchange_trigger="on_receipt")
    order = an_order(api, product_id)
    rma = ask_exchange(api, order, f"{product_id}-L", quantity=2)["rma"]
    assert stock_of(api, product_id, f"{product_id}-L") == {"stock": 5, "reserved": 2, "available": 3}

    received = receive_return(get_deps(), rma, received_by="staff:warehouse@retour.local",
                              received=(ReceivedLine("L1", 1, Condition.AS_DESCRIBED),))
    assert received.status == "exchanged"
    assert received.exchange_order is not None
    assert [(line.sku, line.quantity) for line in received.exchange_order.lines] == [(f"{product_id}-L", 1)]
    # One unit sent, the other promised unit back on offer.
    assert stock_of(api, product_id, f"{product_id}-L") == {"stock": 4, "reserved": 0, "available": 4}


def test_a_cheaper_exchange_refunds_the_difference_on_stripe_after_the_parcel_then_ends_exchanged(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, aws_endpoint: str,
) -> None:
    product = f"tee-{uuid.uuid4().hex[:8]}"
    put_product(api, a_tee(product))
    # The money would leave at approval for a refund: never for an exchange before its parcel.
    put_policy(api, exchanges="any_price", exchange_trigger="on_approval", refund_trigger="on_approval")
    order = paid_order(api, stripe_endpoint, stripe_state, lines=tee_lines(product),
                       email=f"c{uuid.uuid4().hex[:6]}@example.com")
    created = ask_exchange(api, order, f"{product}-S")
    rma = created["rma"]
    assert created["status"] == "approved"
    assert created["amounts"]["total"] == 500
    assert admin_return(api, rma)["exchange"]["number"] == "X-" + rma.removeprefix("R-")
    assert drain(get_deps(), sqs, money_env) == 0
    assert stripe_state.refunds(order["payment"]["payment_intent"]) == []

    assert receive(api, rma)["status"] == "received"
    assert drain(get_deps(), sqs, money_env) == 1
    done = admin_return(api, rma)
    assert done["status"] == "exchanged"
    refunds = stripe_state.refunds(order["payment"]["payment_intent"])
    # The difference (3300 - 2800), never more than the unit was paid (3300 + its 300 of tax).
    assert [(r.amount, r.currency, r.metadata["rma"]) for r in refunds] == [(500, "jpy", rma)]
    assert refunds[0].amount <= 3300 + 300
    # Run again: nothing more leaves.
    assert receive(api, rma)["status"] == "exchanged"
    drain(get_deps(), sqs, money_env)
    assert len(stripe_state.refunds(order["payment"]["payment_intent"])) == 1

    # Days later Stripe reports that refund failed (the card closed): the shopper is still owed
    # it, so the exchange leaves `exchanged` for refund_failed, the ceiling restored, the store told.
    from tests.functional.test_store_credit_and_webhooks import signed

    event = {"id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": "refund.updated",
             "data": {"object": {"id": refunds[0].id, "object": "refund", "status": "failed",
                                 "failure_reason": "expired_or_canceled_card", "amount": 500,
                                 "metadata": {"rma": rma, "attempt": "1"}}}}
    assert signed(api, event).json_body["outcome"] == "refund_failed"
    assert admin_return(api, rma)["status"] == "refund_failed"
    ledger = get_deps().payment_ledger.get(order["number"])
    assert ledger is not None and ledger.remaining_refundable.minor == order["total"]
    assert any(rma in m.subject for m in mail_to(aws_endpoint, "returns@merchant.example"))


def test_when_the_store_lowered_the_stock_the_exchange_becomes_a_refund_and_the_shopper_is_told(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any, aws_endpoint: str,
) -> None:
    product = f"tee-{uuid.uuid4().hex[:8]}"
    put_product(api, a_tee(product))
    put_policy(api, exchanges="same_price", exchange_trigger="on_receipt", exchange_out_of_stock="refund")
    order = paid_order(api, stripe_endpoint, stripe_state, lines=tee_lines(product),
                       email=f"f{uuid.uuid4().hex[:6]}@example.com")
    rma = ask_exchange(api, order, f"{product}-L")["rma"]
    # The store counts its shelf and finds none left of what was promised.
    put_product(api, a_tee(product, l_stock=0))

    assert receive(api, rma)["status"] == "received"
    fell = admin_return(api, rma)
    assert (fell["resolution"], "exchange" in fell) == ("refund", False)
    assert "exchange_unavailable" in [e["kind"] for e in fell["events"]]
    # The promise is given back; nothing was taken off a shelf that has nothing.
    assert stock_of(api, product, f"{product}-L") == {"stock": 0, "reserved": 0, "available": 0}
    told = [m for m in mail_to(aws_endpoint, order["email"]) if rma in m.subject]
    assert any("ran out" in m.subject or "在庫" in m.subject for m in told), [m.subject for m in told]

    assert drain(get_deps(), sqs, money_env) == 1
    paid = admin_return(api, rma)
    assert paid["status"] == "refunded"
    refunds = stripe_state.refunds(order["payment"]["payment_intent"])
    # A normal refund of the tee: what it was paid (3300 + 300 tax), the default policy's no fees.
    assert [r.amount for r in refunds] == [paid["amounts"]["total"]] == [3600]


def status_page(api: Client, rma: str, lang: str) -> str:
    """The shopper's status page of `rma` through its emails' signed link, in `lang`."""
    from urllib.parse import urlsplit

    from tests.functional.test_shopper_pages import Browser, text

    deps = get_deps()
    request = deps.returns.get(rma)
    assert request is not None
    link = urlsplit(deps.status_url(request))
    shopper = Browser(api, accept_language=lang)
    opened = shopper.get(f"{link.path}?{link.query}")
    if opened.status_code in (302, 303):
        opened = shopper.get(f"/returns/{rma}?lang={lang}")
    assert opened.status_code == 200, opened.status_code
    return text(opened)


def test_the_status_page_shows_what_is_exchanged_for_what_and_the_replacement_order(
    api: Client, product_id: str,
) -> None:
    put_policy(api, exchanges="same_price", exchange_trigger="on_receipt")
    order = an_order(api, product_id)
    rma = ask_exchange(api, order, f"{product_id}-L")["rma"]
    waiting = status_page(api, rma, "en")
    assert "The store makes your replacement order when your parcel arrives." in waiting

    receive(api, rma)
    number = "X-" + rma.removeprefix("R-")
    done = status_page(api, rma, "en")
    assert f"Replacement order {number} was made on" in done
    card = done.split('id="exchange-heading"')[1].split("</section>")[0]
    assert "You get: Size L" in card and "Quantity: 1" in card
    assert "Your exchange is complete." in done and "No price difference" in done
    for entry in ("Replacement order made", "Exchange complete"):
        assert f'<span class="timeline-what">{entry}</span>' in done
    # In Japanese (the message catalog's words).
    japanese = status_page(api, rma, "ja")
    assert '<html lang="ja"' in japanese and number in japanese
    assert "交換品" in japanese


def test_the_console_shows_the_exchange_its_replacement_order_and_finds_it_by_its_new_status(
    api: Client, product_id: str, staff_pool: Any,
) -> None:
    from tests.functional.conftest import console_cookie

    put_policy(api, exchanges="same_price", exchange_trigger="on_receipt")
    order = an_order(api, product_id)
    rma = ask_exchange(api, order, f"{product_id}-L")["rma"]
    staff = console_cookie("agent")
    waiting = api.http.get(f"/console/returns/{rma}", headers=staff)
    assert waiting.status_code == 200
    page = waiting.body.decode()
    assert '<h2 id="exchange-heading">Exchange</h2>' in page
    assert "Not made yet: made when the parcel arrives" in page
    assert "<td>Size M</td><td>Size L</td>" in page

    receive(api, rma)
    number = "X-" + rma.removeprefix("R-")
    done = api.http.get(f"/console/returns/{rma}", headers=staff).body.decode()
    assert number in done and "Replacement order made" in done and "Exchange complete" in done
    listed = api.http.get("/console?status=exchanged", headers=staff).body.decode()
    assert rma in listed
    # The replacement order's number, as the warehouse reads it off a parcel, finds its return.
    found = api.http.get(f"/console?q={number.lower()}", headers=staff)
    assert found.status_code in (200, 302, 303)
    assert rma in (found.body.decode() + found.headers.get("Location", ""))


def test_the_warehouse_scan_of_an_exchanges_parcel_names_the_replacement_order_to_send(
    api: Client, product_id: str, staff_pool: Any,
) -> None:
    from tests.functional.conftest import console_cookie, console_csrf, form_post

    put_policy(api, exchanges="same_price", exchange_trigger="on_receipt")
    rma = ask_exchange(api, an_order(api, product_id), f"{product_id}-L")["rma"]
    staff = console_cookie("warehouse")
    scan_page = api.http.get("/warehouse", headers=staff)
    assert scan_page.status_code == 200
    done = form_post(api, "/warehouse/receive", staff, csrf=console_csrf(scan_page.body.decode()), rma=rma)
    if done.status_code in (302, 303):
        done = api.http.get(done.headers["Location"], headers=staff)
    page = done.body.decode()
    number = "X-" + rma.removeprefix("R-")
    assert f"Replacement order {number}: pack and send the replacement to the shopper." in page


def test_an_exchange_shipped_on_approval_whose_parcel_never_comes_tells_the_store(
    api: Client, product_id: str, aws_endpoint: str,
) -> None:
    from chalicelib.services.expire_returns import expire_returns
    from tests.functional.conftest import console_cookie, days_later

    put_policy(api, exchanges="any_price", exchange_trigger="on_approval")
    order = an_order(api, product_id)
    rma = ask_exchange(api, order, f"{product_id}-L")["rma"]
    number = admin_return(api, rma)["exchange"]["number"]  # approved as asked: the order is made
    merchant = "returns@merchant.example"
    assert not [m for m in mail_to(aws_endpoint, merchant) if "expired" in m.subject and rma in m.subject]
    days = get_deps().policies.current().ship_within_days
    assert days is not None
    with days_later(days + 1):
        assert rma in expire_returns(get_deps())
    told = [m for m in mail_to(aws_endpoint, merchant) if rma in m.subject and "expired" in m.subject]
    assert len(told) == 1 and number in told[0].subject
    assert "did not reach the warehouse in time" in told[0].text and f"{product_id}-L" in told[0].text
    page = api.http.get(f"/console/returns/{rma}", headers=console_cookie("agent")).body.decode()
    assert "its items never came back" in page
    # The replacement left the shelf with its order; the expiry gives nothing back to it.
    assert stock_of(api, product_id, f"{product_id}-L") == {"stock": 4, "reserved": 0, "available": 4}
