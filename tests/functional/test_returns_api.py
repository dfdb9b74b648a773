"""The shopper's returns over HTTP: request one with a lookup token, read it back, every bad input refused."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_string
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from urllib.request import urlopen

import pytest
from chalice.test import Client

from chalicelib.adapters.signed_tokens import SignedTokens
from chalicelib.bootstrap import get_deps
from chalicelib.domain.reservations import ReturnedUnits
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, LOCAL_TABLE, put_policy

LOCAL_SIGNING_KEY = "local-signing-key-not-a-secret"
RMA = re.compile(r"^R-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def an_order(number: str, **overrides: Any) -> dict[str, Any]:
    """PRODUCT.md's Japanese order, delivered five days ago (L1: 2 tees; L2: final-sale socks)."""
    fields: dict[str, Any] = {"number": number, "placed_at": days_ago(7), "delivered_at": days_ago(5)}
    fields.update(overrides)
    return an_order_document(**fields)


ORDERS = {
    "7001": an_order("7001"),
    # Delivered 45 days ago: past the 30-day window, inside the 30 days of grace.
    "7002": an_order("7002", email="sam@example.com", locale="en", currency="USD",
                     placed_at=days_ago(50), delivered_at=days_ago(45)),
    "7003": an_order("7003"),
    "7004": an_order("7004"),
    "7005": an_order("7005"),
    "7006": an_order("7006"),
    "7007": an_order("7007"),
    "7008": an_order("7008"),
    "7009": an_order("7009", email="kim@example.kr", locale="ko", currency="KRW"),
}


@pytest.fixture(scope="module", autouse=True)
def orders(client: Client) -> None:
    for number, document in ORDERS.items():
        response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
        assert response.status_code == 201, response.json_body


@pytest.fixture(autouse=True)
def default_policy(client: Client) -> None:
    put_policy(client)


def token_for(client: Client, number: str) -> str:
    body = {"order_number": number, "email": ORDERS[number]["email"]}
    response = client.http.post(
        "/api/v1/lookup", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )
    assert response.status_code == 200, response.json_body
    token: str = response.json_body["token"]
    return token


def post_return(client: Client, token: str | None, body: Any) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.http.post("/api/v1/returns", headers=headers, body=json.dumps(body))


def get_return(client: Client, token: str, rma: str) -> Any:
    return client.http.get(f"/api/v1/returns/{rma}", headers={"Authorization": f"Bearer {token}"})


def a_request(number: str, *lines: dict[str, Any], resolution: str = "refund") -> dict[str, Any]:
    chosen = list(lines) or [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]
    return {"order_number": number, "lines": chosen, "resolution": resolution}


def stored_items(local_table: Any, number: str) -> list[dict[str, Any]]:
    """Every item a return of `number` could have written: reservations and returns (test-only Scan)."""
    items = local_table.scan(TableName=LOCAL_TABLE)["Items"]
    return [
        item for item in items
        if item["pk"]["S"] == f"ORDER#{number}" and item["sk"]["S"].startswith("LINE#")
        or item.get("gsi3pk", {}).get("S") == f"ORDER#{number}"
        or item["pk"]["S"].startswith("RETURN#") and item.get("order_number", {}).get("S") == number
    ]


def reserved(local_table: Any, number: str, line_id: str) -> int:
    item = local_table.get_item(
        TableName=LOCAL_TABLE, Key={"pk": {"S": f"ORDER#{number}"}, "sk": {"S": f"LINE#{line_id}"}},
        ConsistentRead=True,
    ).get("Item")
    return 0 if item is None else int(item["reserved"]["N"])


def sent_emails(aws_endpoint: str) -> list[dict[str, Any]]:
    """Messages the local SES accepted (devstack/aws_server.py's outbox, readable in server mode)."""
    with urlopen(f"{aws_endpoint}/_retour/ses-outbox.json", timeout=30) as response:  # noqa: S310 - loopback
        data = json.load(response)
    messages: list[dict[str, Any]] = data["RawMessage"]
    return messages


def test_returnable_lines_make_an_approved_return_with_exact_amounts(client: Client) -> None:
    token = token_for(client, "7001")
    response = post_return(client, token, a_request("7001"))
    assert response.status_code == 201, response.json_body
    created = response.json_body
    assert RMA.match(created["rma"])
    assert created["status"] == "approved"
    assert created["resolution"] == "refund"
    # One of two tees at ¥3,300 with ¥600 tax for both.
    assert created["amounts"] == {"currency": "JPY", "items": 3300, "tax": 300, "fees": 0, "bonus": 0, "shipping": 0, "total": 3600}
    assert created["lines"][0]["line_id"] == "L1" and created["lines"][0]["quantity"] == 1
    assert response.headers["Location"] == f"/api/v1/returns/{created['rma']}"

    read = get_return(client, token, created["rma"])
    assert read.status_code == 200
    assert read.json_body["status"] == "approved"
    assert read.json_body["amounts"] == created["amounts"]
    assert [(e["kind"], e["actor"]) for e in read.json_body["events"]] == [("requested", "shopper")]


def test_the_units_of_a_return_are_no_longer_offered(client: Client, local_table: Any) -> None:
    token = token_for(client, "7005")
    assert post_return(client, token, a_request("7005")).status_code == 201
    assert reserved(local_table, "7005", "L1") == 1
    lookup = client.http.post(
        "/api/v1/lookup", headers={"Content-Type": "application/json"},
        body=json.dumps({"order_number": "7005", "email": "aiko@example.jp"}),
    ).json_body
    assert lookup["order"]["lines"][0]["verdict"]["quantity_available"] == 1
    # The second tee still can be returned, and then the line is fully requested.
    second = post_return(client, token, a_request("7005", {"line_id": "L1", "quantity": 1, "reason": "too_large"}))
    assert second.status_code == 201
    # Earlier returns took the first unit's value; the second unit gets the rest, exactly.
    assert second.json_body["amounts"]["total"] == 3600
    third = post_return(client, token, a_request("7005"))
    assert third.status_code == 400
    assert third.json_body["error"]["fields"] == ["lines[0].line_id"]
    assert reserved(local_table, "7005", "L1") == 2


def test_a_line_outside_the_window_makes_a_return_pending_approval(client: Client) -> None:
    token = token_for(client, "7002")
    response = post_return(client, token, a_request("7002", resolution="store_credit"))
    assert response.status_code == 201, response.json_body
    assert response.json_body["status"] == "pending_approval"
    amounts = response.json_body["amounts"]
    # Store credit adds the default policy's 10 % bonus: $33.00 + $3.00 tax -> $3.60.
    assert amounts == {"currency": "USD", "items": 3300, "tax": 300, "fees": 0, "bonus": 360, "shipping": 0, "total": 3960}


BAD_REQUESTS = {
    "unknown line": (a_request("7004", {"line_id": "L9", "quantity": 1, "reason": "too_small"}), "lines[0].line_id"),
    "quantity above returnable": (a_request("7004", {"line_id": "L1", "quantity": 3, "reason": "too_small"}), "lines[0].quantity"),
    "zero quantity": (a_request("7004", {"line_id": "L1", "quantity": 0, "reason": "too_small"}), "lines[0].quantity"),
    "missing required note": (a_request("7004", {"line_id": "L1", "quantity": 1, "reason": "damaged"}), "lines[0].note"),
    "unknown reason": (a_request("7004", {"line_id": "L1", "quantity": 1, "reason": "bored"}), "lines[0].reason"),
    "not returnable line": (a_request("7004", {"line_id": "L2", "quantity": 1, "reason": "too_small"}), "lines[0].line_id"),
    "unknown resolution": (a_request("7004", resolution="cash"), "resolution"),
    "no lines": ({"order_number": "7004", "lines": [], "resolution": "refund"}, "lines"),
    "quantity as text": (a_request("7004", {"line_id": "L1", "quantity": "1", "reason": "too_small"}), "lines[0].quantity"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
def test_a_bad_request_is_refused_naming_the_field_and_writes_nothing(
    client: Client, local_table: Any, aws_endpoint: str, case: str
) -> None:
    body, field = BAD_REQUESTS[case]
    token = token_for(client, "7004")
    emails_before = len(sent_emails(aws_endpoint))
    response = post_return(client, token, body)
    assert response.status_code == 400, response.json_body
    error = response.json_body["error"]
    assert error["code"] == "invalid_request"
    assert field in error["fields"]
    assert error["message"]
    assert stored_items(local_table, "7004") == []
    assert len(sent_emails(aws_endpoint)) == emails_before


def test_an_unoffered_resolution_is_refused_and_writes_nothing(client: Client, local_table: Any) -> None:
    policy = {"resolutions": {"refund": True, "store_credit": False}}
    put_policy(client, **policy)
    token = token_for(client, "7004")
    response = post_return(client, token, a_request("7004", resolution="store_credit"))
    assert response.status_code == 400
    assert response.json_body["error"]["fields"] == ["resolution"]
    assert "store_credit" in response.json_body["error"]["message"]
    assert stored_items(local_table, "7004") == []


def expired_token(number: str) -> str:
    return SignedTokens(lambda: LOCAL_SIGNING_KEY).issue(
        number, purpose="shopper", now=datetime.now(UTC) - timedelta(hours=1), ttl=timedelta(minutes=30)
    )


def tampered_token(client: Client, number: str) -> str:
    version, payload, signature = token_for(client, number).split(".")
    return f"{version}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [("no token", 401, "token_required"), ("tampered", 401, "invalid_token"),
     ("expired", 401, "token_expired"), ("another order's", 403, "wrong_order")],
)
def test_a_return_needs_a_valid_token_of_its_own_order(
    client: Client, local_table: Any, case: str, status: int, code: str
) -> None:
    token = {
        "no token": None,
        "tampered": tampered_token(client, "7004"),
        "expired": expired_token("7004"),
        "another order's": token_for(client, "7006"),
    }[case]
    response = post_return(client, token, a_request("7004"))
    assert response.status_code == status, response.json_body
    assert response.json_body["error"]["code"] == code
    assert stored_items(local_table, "7004") == []


def test_a_token_of_another_order_reads_no_return_of_this_one(client: Client) -> None:
    owner = token_for(client, "7006")
    created = post_return(client, owner, a_request("7006")).json_body
    stranger = token_for(client, "7003")
    other_order = get_return(client, stranger, created["rma"])
    missing = get_return(client, stranger, "R-0000-0000")
    assert other_order.status_code == missing.status_code == 404
    assert other_order.json_body == missing.json_body == {
        "error": {"code": "return_not_found", "message": "We couldn't find that return."}
    }
    assert get_return(client, tampered_token(client, "7006"), created["rma"]).status_code == 401
    # The RMA is read as people type it: any case.
    assert get_return(client, owner, created["rma"].lower()).status_code == 200


class ReadTogether:
    """ReturnHistory that lets two requests read before either writes: a real race, every run."""

    def __init__(self, inner: Any, parties: int) -> None:
        self._inner = inner
        self._barrier = threading.Barrier(parties, timeout=10)

    def units_of_order(self, order_number: str) -> ReturnedUnits:
        units: ReturnedUnits = self._inner.units_of_order(order_number)
        self._barrier.wait()
        return units

    def customer_returns_90d(self, email: str, *, now: datetime) -> int:
        count: int = self._inner.customer_returns_90d(email, now=now)
        return count


@pytest.fixture
def racing_history() -> Iterator[None]:
    deps = get_deps()
    real = deps.return_history
    deps.return_history = ReadTogether(real, parties=2)
    yield
    deps.return_history = real


def test_two_simultaneous_returns_of_the_same_units_reserve_them_once(
    client: Client, local_table: Any
) -> None:
    token = token_for(client, "7003")
    body = a_request("7003", {"line_id": "L1", "quantity": 2, "reason": "changed_mind"})
    answers: list[Any] = []

    def request() -> None:
        answers.append(post_return(client, token, body))

    deps = get_deps()
    real = deps.return_history
    deps.return_history = ReadTogether(real, parties=2)
    try:
        threads = [threading.Thread(target=request) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        deps.return_history = real

    assert sorted(a.status_code for a in answers) == [201, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json_body["error"]["code"] == "units_already_requested"
    assert "another return" in loser.json_body["error"]["message"]
    assert reserved(local_table, "7003", "L1") == 2
    returns = [i for i in stored_items(local_table, "7003") if i["sk"]["S"] == "RETURN"]
    assert len(returns) == 1


def decoded(value: str) -> str:
    return str(make_header(decode_header(value)))


def parts(message: Message) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_subtype()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


def test_the_shopper_gets_a_confirmation_email_in_the_orders_language(client: Client, aws_endpoint: str) -> None:
    token = token_for(client, "7001")
    created = post_return(client, token, a_request("7001", {"line_id": "L1", "quantity": 1, "reason": "too_large"}))
    assert created.status_code == 201, created.json_body
    rma = created.json_body["rma"]

    mails = [m for m in sent_emails(aws_endpoint) if rma in m["raw_data"] or rma in decoded(message_from_string(m["raw_data"])["Subject"])]
    assert len(mails) == 1
    mail = message_from_string(mails[0]["raw_data"])
    assert mails[0]["destinations"] == ["aiko@example.jp"]
    assert "returns@retour.local" in mail["From"]
    subject = decoded(mail["Subject"])
    assert subject == f"返品 {rma} を承認しました"
    body = parts(mail)
    assert set(body) == {"plain", "html"}
    for text in body.values():
        assert "山田 愛子 様" in text
        assert f"返品番号（RMA）：{rma}" in text
        assert "¥3,600" in text
        assert "今後の流れ" in text
        assert f"/returns/{rma}" in text
    # The button opens the status page through a signed link (tests/functional/test_status_links.py).
    assert f'href="http://127.0.0.1:8000/returns/{rma}?link=v1.' in body["html"]


# --- cancelling -------------------------------------------------------------------------------

def cancel(client: Client, token: str | None, rma: str) -> Any:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return client.http.post(f"/api/v1/returns/{rma}/cancel", headers=headers)


def quantity_offered(client: Client, number: str) -> int:
    verdict = client.http.post(
        "/api/v1/lookup", headers={"Content-Type": "application/json"},
        body=json.dumps({"order_number": number, "email": ORDERS[number]["email"]}),
    ).json_body["order"]["lines"][0]["verdict"]
    return int(verdict["quantity_available"]) if verdict["status"] == "returnable" else 0


def test_the_shopper_cancels_with_the_api_and_the_units_are_offered_again(
    client: Client, local_table: Any, aws_endpoint: str,
) -> None:
    token = token_for(client, "7007")
    rma = post_return(client, token, a_request("7007", {"line_id": "L1", "quantity": 2, "reason": "too_small"})).json_body["rma"]
    assert quantity_offered(client, "7007") == 0
    answered = cancel(client, token, rma)
    assert answered.status_code == 200, answered.json_body
    assert answered.json_body["status"] == "cancelled"
    assert [(e["kind"], e["actor"]) for e in answered.json_body["events"]][-1] == ("cancelled", "shopper")
    assert answered.headers["Cache-Control"] == "no-store"
    assert reserved(local_table, "7007", "L1") == 0
    assert quantity_offered(client, "7007") == 2
    assert get_return(client, token, rma).json_body["status"] == "cancelled"
    # A retry (a lost answer, a double tap) is answered the same and changes nothing.
    again = cancel(client, token, rma.lower())
    assert again.status_code == 200 and again.json_body == answered.json_body
    assert reserved(local_table, "7007", "L1") == 0
    subjects = [decoded(message_from_string(m["raw_data"])["Subject"]) for m in sent_emails(aws_endpoint)]
    assert subjects.count(f"返品 {rma} をキャンセルしました") == 1
    # The new return those units allow is a normal one.
    assert post_return(client, token, a_request("7007", {"line_id": "L1", "quantity": 2, "reason": "too_small"})).status_code == 201


def test_too_late_to_cancel_is_a_409_that_says_why_and_changes_nothing(
    client: Client, local_table: Any, aws_endpoint: str,
) -> None:
    import boto3

    from devstack.sqs import ensure_refund_queues

    ensure_refund_queues(boto3.client("sqs", endpoint_url=aws_endpoint, region_name="us-east-1",
                                      aws_access_key_id="local", aws_secret_access_key="local"),
                         "retour-local-refunds")
    token = token_for(client, "7008")
    rma = post_return(client, token, a_request("7008")).json_body["rma"]
    assert client.http.post(f"/api/v1/admin/returns/{rma}/receive", headers=ADMIN).status_code == 202
    before = get_return(client, token, rma).json_body
    refused = cancel(client, token, rma)
    assert refused.status_code == 409
    assert refused.json_body["error"]["code"] == "not_cancellable"
    assert "already received the parcel" in refused.json_body["error"]["message"]
    assert get_return(client, token, rma).json_body == before
    assert reserved(local_table, "7008", "L1") == 1


def test_a_token_never_cancels_another_orders_return(client: Client) -> None:
    owner = token_for(client, "7009")
    rma = post_return(client, owner, a_request("7009")).json_body["rma"]
    stranger = token_for(client, "7006")
    refused = cancel(client, stranger, rma)
    missing = cancel(client, stranger, "R-0000-0000")
    assert refused.status_code == missing.status_code == 404
    assert refused.json_body == missing.json_body == {
        "error": {"code": "return_not_found", "message": "We couldn't find that return."}
    }
    assert cancel(client, None, rma).status_code == 401
    assert cancel(client, tampered_token(client, "7009"), rma).status_code == 401
    assert cancel(client, expired_token("7009"), rma).json_body["error"]["code"] == "token_expired"
    assert get_return(client, owner, rma).json_body["status"] == "approved"
