"""The warehouse page on staff accounts: a stranger is sent to the console's sign-in, every role
that may receive scans and marks a parcel received (recorded as `staff:<email>`), and no guessing
at the admin key shuts anyone out of it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.money import Money
from devstack.refund_worker import drain
from tests.functional.conftest import console_cookie, days_later, put_policy
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    ONE_TEE,
    Stripe,
    api,
    money_env,
    paid_order,
    policy,
    request_return,
    sqs,
    status_of,
    stripe_state,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TWO_TEES = [{"line_id": "L1", "quantity": 2, "reason": "too_small"}]


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def receipt_form(html: str) -> dict[str, str]:
    """The receipt form's fields as a browser sends them untouched: hidden inputs, chosen options."""
    form = html[html.index('action="/warehouse/receive"'):]
    form = form[:form.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    for name, options in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        assert chosen is not None, f"{name} has a choice made"
        fields[name] = chosen.group(1)
    return fields


def signed_in(api: Client, role: str = "warehouse") -> str:
    """The Cookie header of a console session of `role` (warehouse@retour.local by default)."""
    return console_cookie(role)["Cookie"]


def test_a_stranger_is_sent_to_the_console_sign_in_and_the_admin_key_form_is_gone(api: Client) -> None:
    first = api.http.get("/warehouse")
    assert first.status_code in (302, 303)
    assert first.headers["Location"] == "/console/sign-in?next=%2Fwarehouse"
    scanned = api.http.get("/warehouse?rma=R-0000-0000")
    assert scanned.headers["Location"] == "/console/sign-in?next=%2Fwarehouse%3Frma%3DR-0000-0000"
    receive = api.http.post("/warehouse/receive", headers=FORM, body=urlencode({"rma": "R-0000-0000"}))
    assert receive.status_code in (302, 303) and receive.headers["Location"] == "/console/sign-in"
    # The shared admin key signs nobody in to a page any more.
    old_form = api.http.post("/warehouse/sign-in", headers=FORM, body=urlencode({"admin_key": "local-admin-key"}))
    assert old_form.status_code in (403, 404, 405) and "Set-Cookie" not in old_form.headers
    assert "admin_key" not in api.http.get("/console/sign-in?next=/warehouse").body.decode()


def test_the_page_is_a_console_page_with_the_member_and_the_console_sign_out(api: Client) -> None:
    page = api.http.get("/warehouse", headers={"Cookie": signed_in(api)})
    body = page.body.decode()
    assert page.status_code == 200 and 'id="rma"' in body
    assert "warehouse@retour.local" in body and 'action="/console/sign-out"' in body
    assert 'href="/warehouse" aria-current="page"' in body
    # A warehouse member sees no link to pages their role can't open.
    assert 'href="/console/store-credit"' not in body and 'href="/console/reports"' not in body
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body


@pytest.mark.parametrize("role", ["owner", "agent", "warehouse"])
def test_each_role_that_receives_scans_a_parcel_marks_it_received_and_moves_to_the_next(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, role: str
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    session = signed_in(api, role)
    scanned = api.http.get(f"/warehouse?rma={rma.lower()}", headers={"Cookie": session})
    page = scanned.body.decode()
    assert scanned.status_code == 200 and rma in page and "Organic tee" in page and "<script" not in page
    # The reason in the packing slip's words, not its code.
    assert "Too small" in page and "too_small" not in page and "too small" not in page
    forged = api.http.post("/warehouse/receive", headers={**FORM, "Cookie": session}, body=urlencode({"rma": rma}))
    assert forged.status_code == 403 and status_of(rma).status == "approved"
    done = api.http.post("/warehouse/receive", headers={**FORM, "Cookie": session},
                         body=urlencode({"rma": rma, "csrf": csrf(page)}))
    assert done.status_code == 200 and "refund is on its way" in done.body.decode()
    assert 'id="rma"' in done.body.decode() and "autofocus" in done.body.decode()
    received = status_of(rma)
    assert received.status == "received"
    receipt = [event for event in received.events if event.kind == "received"]
    assert len(receipt) == 1
    assert receipt[0].actor == f"staff:{role}@retour.local" and receipt[0].source_ip == "127.0.0.1"
    missing = api.http.get("/warehouse?rma=R-0000-0000", headers={"Cookie": session})
    assert missing.status_code == 404


def test_wrong_admin_keys_from_one_address_lock_nobody_out_of_the_warehouse_page(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    # A day ahead: this test's counters live in a window no other test uses.
    with days_later(1):
        session = signed_in(api)
        guesses = [api.http.get("/api/v1/admin/policy", headers={"Authorization": f"Bearer guess-{i}"}).status_code
                   for i in range(11)]
        assert guesses == [401] * 10 + [429]
        # The same address (the test client's) still scans and receives.
        scanned = api.http.get(f"/warehouse?rma={rma}", headers={"Cookie": session})
        assert scanned.status_code == 200 and "Mark received" in scanned.body.decode()
        done = api.http.post("/warehouse/receive", headers={**FORM, "Cookie": session},
                             body=urlencode({"rma": rma, "csrf": csrf(scanned.body.decode())}))
        assert done.status_code == 200 and status_of(rma).status == "received"


def test_a_parcel_of_a_cancelled_return_is_refused_and_the_scan_says_it_was_cancelled(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    import json

    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    token = api.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                          body=json.dumps({"order_number": order["number"], "email": order["email"]})).json_body["token"]
    assert api.http.post(f"/api/v1/returns/{rma}/cancel", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    session = signed_in(api)
    scanned = api.http.get(f"/warehouse?rma={rma}", headers={"Cookie": session})
    assert "cancelled" in scanned.body.decode() and "Mark received" not in scanned.body.decode()
    refused = api.http.post("/warehouse/receive", headers={**FORM, "Cookie": session},
                            body=urlencode({"rma": rma, "csrf": csrf(scanned.body.decode())}))
    assert refused.status_code == 409
    assert "return cancelled" in refused.body.decode()
    assert status_of(rma).status == "cancelled"
    admin = api.http.post(f"/api/v1/admin/returns/{rma}/receive", headers={"Authorization": "Bearer local-admin-key"})
    assert admin.status_code == 409
    assert admin.json_body["error"]["code"] == "return_cancelled"
    assert "cancelled by the shopper" in admin.json_body["error"]["message"]


def test_the_warehouse_page_speaks_the_language_the_member_chose(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    session = {"Cookie": signed_in(api)}
    # Chosen once (the console's language picker, or ?lang=): the session keeps it.
    scanned = api.http.get(f"/warehouse?rma={rma}&lang=ja", headers=session)
    page = scanned.body.decode()
    assert scanned.status_code == 200 and scanned.headers["Content-Language"] == "ja" and '<html lang="ja">' in page
    # The page's words, the status and the reason (the packing slip's words) are all Japanese.
    assert "荷物をスキャン" in page and "受領済みにする" in page and "承認済み" in page and "サイズが小さい" in page
    assert "Scan a parcel" not in page and "Mark received" not in page
    done = api.http.post("/warehouse/receive", headers={**FORM, **session},
                         body=urlencode({"rma": rma, "csrf": csrf(page)}))
    assert done.status_code == 200 and "返金の手続きを進めています。" in done.body.decode()
    missing = api.http.get("/warehouse?rma=R-0000-0000", headers=session)
    assert missing.status_code == 404 and "返品 R-0000-0000 は見つかりません" in missing.body.decode()


def test_the_warehouse_records_a_partial_receipt_on_the_scan_page_and_only_the_units_that_arrived_are_paid(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, TWO_TEES)
    session = {"Cookie": signed_in(api)}
    page = api.http.get(f"/warehouse?rma={rma}", headers=session).body.decode()
    assert '<label for="units-L1">Units received</label>' in page and '<label for="condition-L1">Condition</label>' in page
    done = api.http.post("/warehouse/receive", headers={**FORM, **session}, body=urlencode(
        receipt_form(page) | {"units-L1": "1", "condition-L1": "damaged"}))
    body = done.body.decode()
    assert done.status_code == 200 and "refund is on its way" in body
    # The confirmation tells what was recorded, before the next parcel is scanned.
    assert "Recorded as received:" in body and "Organic tee — navy, M: 1 of 2 received, Damaged" in body
    received = status_of(rma)
    event = next(e for e in received.events if e.kind == "received")
    assert event.actor == "staff:warehouse@retour.local"
    assert [(r.line_id, r.units, r.condition) for r in event.received] == [("L1", 1, "damaged")]
    # Two tees at 3300 + 300 tax each were asked for; one came: 3600 yen, not 7200.
    assert received.quote.refund_value == Money(3600, "JPY")
    drain(get_deps(), sqs, money_env)
    assert [r.amount for r in stripe_state.refunds(order["payment"]["payment_intent"])] == [3600]


def test_missing_units_that_arrived_are_refused_next_to_the_field_and_nothing_is_recorded(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, TWO_TEES)
    session = {"Cookie": signed_in(api)}
    page = api.http.get(f"/warehouse?rma={rma}", headers=session).body.decode()
    events = len(status_of(rma).events)
    refused = api.http.post("/warehouse/receive", headers={**FORM, **session}, body=urlencode(
        receipt_form(page) | {"units-L1": "1", "condition-L1": "missing"}))
    body = refused.body.decode()
    assert refused.status_code == 400
    assert ('<p class="field-error" id="condition-L1-error"><span class="visually-hidden">Error: </span>'
            "Choose “Missing” when no unit of the line arrived, and only then.</p>") in body
    assert 'name="condition-L1" aria-describedby="condition-L1-error" aria-invalid="true"' in body
    # The form keeps what was chosen, so the member corrects one field.
    assert receipt_form(body) | {"csrf": ""} == {"csrf": "", "rma": rma, "units-L1": "1", "condition-L1": "missing"}
    assert status_of(rma).status == "approved" and len(status_of(rma).events) == events


def test_the_default_receipt_is_one_tap_and_pays_every_unit(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, TWO_TEES)
    session = {"Cookie": signed_in(api)}
    page = api.http.get(f"/warehouse?rma={rma}", headers=session).body.decode()
    # Every unit requested, as described: nothing to choose for a full parcel.
    form = receipt_form(page)
    assert (form["units-L1"], form["condition-L1"]) == ("2", "as_described")
    done = api.http.post("/warehouse/receive", headers={**FORM, **session}, body=urlencode(form))
    body = done.body.decode()
    assert done.status_code == 200 and "refund is on its way" in body and "Recorded as received" not in body
    received = status_of(rma)
    assert received.status == "received" and received.quote.refund_value == Money(7200, "JPY")
    assert [(r.units, r.condition) for r in received.receipt] == [(2, "as_described")]
    drain(get_deps(), sqs, money_env)
    assert [r.amount for r in stripe_state.refunds(order["payment"]["payment_intent"])] == [7200]


def test_a_parcel_of_a_return_paid_at_approval_is_received_on_the_scan_page_and_paid_once(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any
) -> None:
    put_policy(api, refund_trigger="on_approval")
    try:
        order = paid_order(api, stripe_endpoint, stripe_state)
        rma = request_return(api, order, ONE_TEE)
        drain(get_deps(), sqs, money_env)
        assert status_of(rma).status == "refunded"
        session = {"Cookie": signed_in(api)}
        page = api.http.get(f"/warehouse?rma={rma}", headers=session).body.decode()
        # The money went at approval; the parcel still has to be recorded, so its units count as returned.
        assert "paid before its parcel came" in page
        done = api.http.post("/warehouse/receive", headers={**FORM, **session}, body=urlencode(receipt_form(page)))
        assert done.status_code == 200
        received = status_of(rma)
        assert received.status == "refunded" and received.parcel_received
        assert get_deps().return_history.units_of_order(order["number"]).returned == {"L1": 1}
        # Scanned again: nothing left to record, no form.
        again = api.http.get(f"/warehouse?rma={rma}", headers=session).body.decode()
        assert 'action="/warehouse/receive"' not in again
        drain(get_deps(), sqs, money_env)
        assert len(stripe_state.refunds(order["payment"]["payment_intent"])) == 1
    finally:
        put_policy(api)
