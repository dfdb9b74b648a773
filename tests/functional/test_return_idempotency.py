"""A shopper's double click or a client's retry never creates a second return."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.quote import Selection
from chalicelib.services.request_return import request_return
from tests.dynamodb_faults import AnswerLost
from tests.functional.conftest import ADMIN, put_policy
from tests.functional.test_returns_api import an_order

ORDERS = {number: an_order(number) for number in ("7101", "7102", "7103", "7104", "7105")}
KEY = "0b6f3c1e-7d2a-4c8e-9f11-5a3c2b1d0e9f"


@pytest.fixture(scope="module", autouse=True)
def orders(client: Client) -> None:
    put_policy(client)
    for number, document in ORDERS.items():
        response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
        assert response.status_code == 201, response.json_body


def token_for(client: Client, number: str) -> str:
    body = {"order_number": number, "email": ORDERS[number]["email"]}
    response = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"}, body=json.dumps(body))
    assert response.status_code == 200, response.json_body
    return str(response.json_body["token"])


def post(client: Client, number: str, key: str | None, quantity: int = 1) -> Any:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token_for(client, number)}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    body = {"order_number": number, "resolution": "refund",
            "lines": [{"line_id": "L1", "quantity": quantity, "reason": "too_small"}]}
    return client.http.post("/api/v1/returns", headers=headers, body=json.dumps(body))


def test_the_same_key_twice_answers_the_first_return_and_reserves_once(client: Client) -> None:
    first = post(client, "7101", KEY)
    again = post(client, "7101", KEY)
    assert first.status_code == 201, first.json_body
    assert again.status_code == 201, again.json_body
    assert again.json_body["rma"] == first.json_body["rma"]
    assert len(get_deps().returns.of_order("7101")) == 1
    assert get_deps().return_history.units_of_order("7101").in_open_returns == {"L1": 1}


def test_a_return_whose_commit_answer_was_lost_is_the_shoppers_return_not_a_conflict(client: Client) -> None:
    token = token_for(client, "7105")
    dynamodb = get_deps().returns._client  # type: ignore[attr-defined]
    lost = AnswerLost()
    dynamodb.meta.events.register_first("before-send.dynamodb.TransactWriteItems", lost)
    try:
        created = client.http.post(
            "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            body=json.dumps({"order_number": "7105", "resolution": "refund",
                             "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}))
    finally:
        dynamodb.meta.events.unregister("before-send.dynamodb.TransactWriteItems", lost)
    assert created.status_code == 201, created.json_body
    assert len(lost.tokens) == 2 and lost.tokens[0] == lost.tokens[1]
    assert [r.rma for r in get_deps().returns.of_order("7105")] == [created.json_body["rma"]]
    assert get_deps().return_history.units_of_order("7105").in_open_returns == {"L1": 1}


def test_without_a_key_a_second_request_is_a_second_return(client: Client) -> None:
    first, second = post(client, "7102", None), post(client, "7102", None)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json_body["rma"] != second.json_body["rma"]


def test_a_key_reused_for_a_different_return_is_a_conflict_and_writes_nothing(client: Client) -> None:
    assert post(client, "7103", KEY + "-b").status_code == 201
    reused = post(client, "7103", KEY + "-b", quantity=2)
    assert reused.status_code == 409
    assert reused.json_body["error"]["code"] == "idempotency_key_reused"
    assert len(get_deps().returns.of_order("7103")) == 1


def test_a_short_key_is_refused(client: Client) -> None:
    response = post(client, "7104", "abc")
    assert response.status_code == 400
    assert response.json_body["error"]["fields"] == ["Idempotency-Key"]
    assert get_deps().returns.of_order("7104") == []


def test_eight_simultaneous_submits_with_one_key_make_one_return(client: Client) -> None:
    deps = get_deps()
    selection = [Selection(line_id="L1", quantity=2, reason="too_small")]

    def submit(_: int) -> str:
        created = request_return(deps, order_number="7104", selections=selection, resolution="refund",
                                 idempotency_key=KEY + "-race")
        return created.rma

    with ThreadPoolExecutor(max_workers=8) as pool:
        rmas = set(pool.map(submit, range(8)))
    assert len(rmas) == 1
    assert len(deps.returns.of_order("7104")) == 1
    assert deps.return_history.units_of_order("7104").in_open_returns == {"L1": 2}
