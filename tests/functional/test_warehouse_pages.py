"""The warehouse page: sign in with the admin key (never in a URL), scan, mark received, next parcel."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from chalice.test import Client

from tests.functional.conftest import days_later
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    ONE_TEE,
    Stripe,
    api,
    money_env,
    paid_order,
    policy,
    request_return,
    status_of,
    stripe_state,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def cookie(response: Any) -> str:
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header
    return header.split(";", 1)[0]


def signed_in(api: Client) -> str:
    first = api.http.get("/warehouse")
    guest = cookie(first)
    form = urlencode({"csrf": csrf(first.body.decode()), "admin_key": "local-admin-key"})
    response = api.http.post("/warehouse/sign-in", headers={**FORM, "Cookie": guest}, body=form)
    assert response.status_code == 303
    return cookie(response)


def test_a_wrong_key_or_a_missing_csrf_token_does_not_sign_in(api: Client) -> None:
    first = api.http.get("/warehouse")
    assert first.status_code == 200 and 'name="admin_key"' in first.body.decode()
    guest = cookie(first)
    wrong = api.http.post("/warehouse/sign-in", headers={**FORM, "Cookie": guest},
                          body=urlencode({"csrf": csrf(first.body.decode()), "admin_key": "nope"}))
    assert wrong.status_code == 401
    forged = api.http.post("/warehouse/sign-in", headers={**FORM, "Cookie": guest},
                           body=urlencode({"admin_key": "local-admin-key"}))
    assert forged.status_code == 403


def test_staff_scan_a_parcel_mark_it_received_and_move_to_the_next(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    session = signed_in(api)
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
    assert status_of(rma).status == "received"
    missing = api.http.get("/warehouse?rma=R-0000-0000", headers={"Cookie": session})
    assert missing.status_code == 404


def test_ten_wrong_keys_close_the_sign_in_to_that_address_for_the_window(api: Client) -> None:
    # A day ahead: this test's counters live in a window no other test uses.
    with days_later(1):
        first = api.http.get("/warehouse")
        guest = cookie(first)
        token = csrf(first.body.decode())

        def attempt(key: str) -> Any:
            return api.http.post("/warehouse/sign-in", headers={**FORM, "Cookie": guest},
                                 body=urlencode({"csrf": token, "admin_key": key}))

        assert [attempt(f"guess-{i}").status_code for i in range(10)] == [401] * 10
        # Now even the right key is refused: guessing on cannot tell right from wrong.
        limited = attempt("local-admin-key")
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 15 * 60
        assert "Too many wrong keys" in limited.body.decode() and "Set-Cookie" not in limited.headers
    # Another window (here: the real now) signs in as usual; successes never count.
    for _ in range(12):
        assert signed_in(api)


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


def test_the_warehouse_page_speaks_the_language_of_the_scanning_device(
    api: Client, stripe_endpoint: str, stripe_state: Stripe
) -> None:
    order = paid_order(api, stripe_endpoint, stripe_state)
    rma = request_return(api, order, ONE_TEE)
    session = signed_in(api)
    japanese = {"Cookie": session, "Accept-Language": "ja-JP,ja;q=0.9,en;q=0.5"}
    scanned = api.http.get(f"/warehouse?rma={rma}", headers=japanese)
    page = scanned.body.decode()
    assert scanned.status_code == 200 and scanned.headers["Content-Language"] == "ja" and '<html lang="ja">' in page
    # The page's words, the status and the reason (the packing slip's words) are all Japanese.
    assert "荷物をスキャン" in page and "受領済みにする" in page and "承認済み" in page and "サイズが小さい" in page
    assert "Scan a parcel" not in page and "Mark received" not in page
    done = api.http.post("/warehouse/receive", headers={**FORM, **japanese},
                         body=urlencode({"rma": rma, "csrf": csrf(page)}))
    assert done.status_code == 200 and "返金の手続きを進めています。" in done.body.decode()
    missing = api.http.get("/warehouse?rma=R-0000-0000", headers=japanese)
    assert missing.status_code == 404 and "返品 R-0000-0000 は見つかりません" in missing.body.decode()
