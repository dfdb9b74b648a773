"""Staff read one return over the admin API: what the shopper sees, plus the customer, the
refund attempt and who did what, against the local DynamoDB."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, put_policy


# An approval issues the label into the stage's bucket.
pytestmark = pytest.mark.usefixtures("s3")


@pytest.fixture(autouse=True)
def policy_version(client: Client) -> int:
    version: int = put_policy(client)["version"]
    return version


def shopper_return(client: Client, number: str, *, late: bool = False, email: str = "Sam.Lee@Example.com") -> tuple[str, str]:
    """A one-tee return of a fresh USD order: (rma, shopper token). `late`: the merchant decides."""
    delivered = 45 if late else 5
    document = an_order_document(number=number, email=email, locale="en", currency="USD",
                                 placed_at=days_ago(delivered + 2), delivered_at=days_ago(delivered))
    assert client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN,
                           body=json.dumps(document)).status_code == 201
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": number, "email": email})).json_body["token"]
    created = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": number, "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}),
    )
    assert created.status_code == 201, created.json_body
    return created.json_body["rma"], token


def test_staff_see_what_the_shopper_sees_plus_customer_policy_and_who_decided(
    client: Client, policy_version: int
) -> None:
    rma, token = shopper_return(client, "8101", late=True)
    approved = client.http.post(f"/api/v1/admin/returns/{rma}/approve", headers={**ADMIN, "User-Agent": "ops-tool/2"},
                                body=json.dumps({"note": "Loyal customer."}))
    assert approved.status_code == 200, approved.json_body

    read = client.http.get(f"/api/v1/admin/returns/{rma}", headers=ADMIN)

    assert read.status_code == 200, read.json_body
    staff = read.json_body
    shopper = client.http.get(f"/api/v1/returns/{rma}", headers={"Authorization": f"Bearer {token}"}).json_body
    # Every field the shopper API answers, with the same values (events with more beside them).
    assert {key: staff[key] for key in shopper if key != "events"} == {k: v for k, v in shopper.items() if k != "events"}
    assert [{key: e[key] for key in s} for e, s in zip(staff["events"], shopper["events"], strict=True)] == shopper["events"]
    assert staff["order_number"] == "8101"
    assert staff["customer_email"] == "sam.lee@example.com"
    assert staff["policy_version"] == policy_version
    assert staff["status"] == "approved" and staff["refund"] is None
    assert staff["amounts"]["currency"] == "USD" and staff["amounts"]["total"] > 0
    timeline = [(e["kind"], e["actor"]) for e in staff["events"]]
    assert timeline == [("requested", "shopper"), ("approved", "admin")]
    decision = staff["events"][1]
    assert decision["detail"] == "Loyal customer."
    assert decision["source_ip"] and decision["user_agent"] == "ops-tool/2"
    assert read.headers["Cache-Control"] == "no-store"


def test_a_refund_stripe_took_back_shows_its_amount_stripe_id_and_reason(client: Client) -> None:
    rma, _ = shopper_return(client, "8102")
    deps = get_deps()
    now = datetime.now(UTC)
    request = deps.returns.get(rma)
    assert request is not None and request.status == "approved"
    # The money leg's own moves, stored through the repository as the worker and webhook store them.
    for move in (
        lambda r: r.receive(at=now, actor="dock"),
        lambda r: r.start_refund(r.quote.refund_value, at=now, actor="system"),
        lambda r: r.mark_refunded("re_3Test8102", at=now, actor="system"),
    ):
        request = deps.returns.save(move(request), new_events=1, now=now)
    paid = client.http.get(f"/api/v1/admin/returns/{rma}", headers=ADMIN).json_body
    assert paid["status"] == "refunded" and paid["refund"]["status"] == "refunded"
    # Stripe reports the refund failed after all (the card was closed).
    deps.returns.save(request.mark_refund_failed("expired_or_canceled_card", at=now + timedelta(seconds=1),
                                                 actor="stripe"), new_events=1, now=now)

    read = client.http.get(f"/api/v1/admin/returns/{rma}", headers=ADMIN)

    assert read.status_code == 200, read.json_body
    assert read.json_body["status"] == "refund_failed"
    assert read.json_body["refund"] == {
        "attempt": 1, "amount": read.json_body["amounts"]["total"], "currency": "USD", "refund_id": "re_3Test8102",
        "failure_reason": "expired_or_canceled_card", "status": "failed",
    }
    assert read.json_body["status_changed_at"] == (now + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [e["actor"] for e in read.json_body["events"]] == ["shopper", "dock", "system", "system", "stripe"]


def test_an_rma_is_read_as_people_type_it(client: Client) -> None:
    rma, _ = shopper_return(client, "8103")
    typed = rma.lower().replace("0", "o").replace("1", "l")
    read = client.http.get(f"/api/v1/admin/returns/{typed}", headers=ADMIN)
    assert read.status_code == 200 and read.json_body["rma"] == rma


def test_an_unknown_rma_is_a_404_and_a_malformed_one_a_400(client: Client) -> None:
    unknown = client.http.get("/api/v1/admin/returns/R-0000-0000", headers=ADMIN)
    assert unknown.status_code == 404
    assert unknown.json_body["error"]["code"] == "return_not_found"
    for malformed in ("not-an-rma", "R-0000-000", "R-UUUU-0000", "%F0%9F%92%A5"):
        answer = client.http.get(f"/api/v1/admin/returns/{malformed}", headers=ADMIN)
        assert answer.status_code == 400, (malformed, answer.body)
        assert answer.json_body["error"]["code"] == "invalid_request"
        assert answer.json_body["error"]["fields"] == ["rma"]


def test_reading_a_return_needs_the_admin_key(client: Client) -> None:
    rma, token = shopper_return(client, "8104")
    assert client.http.get(f"/api/v1/admin/returns/{rma}").status_code == 401
    # A shopper's token opens the shopper's read, never the staff one.
    answer = client.http.get(f"/api/v1/admin/returns/{rma}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and "customer_email" not in answer.body.decode()
