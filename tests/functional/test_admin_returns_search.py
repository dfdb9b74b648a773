"""Staff search returns over the admin API by order number or by the shopper's email, page by page,
against the local DynamoDB; one filter at a time."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client

from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, put_policy

EMAIL = "Mia.Chen@Example.com"


def an_order(number: str, email: str) -> dict[str, Any]:
    # Delivered 45 days ago: each return waits for the merchant, so the pending list is known too.
    return an_order_document(number=number, email=email, locale="en", currency="USD",
                             placed_at=days_ago(47), delivered_at=days_ago(45))


def request_return(client: Client, number: str, email: str) -> str:
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": number, "email": email})).json_body["token"]
    created = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": number, "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]}),
    )
    assert created.status_code == 201, created.json_body
    rma: str = created.json_body["rma"]
    return rma


@pytest.fixture(scope="module")
def returns(client: Client) -> dict[str, list[str]]:
    """RMAs by order: 8201 (two returns) and 8202 of Mia, 8203 of someone else."""
    put_policy(client)
    made: dict[str, list[str]] = {}
    for number, email in (("8201", EMAIL), ("8202", EMAIL.lower()), ("8203", "sam@example.com")):
        assert client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN,
                               body=json.dumps(an_order(number, email))).status_code == 201
    for number, email in (("8201", EMAIL), ("8202", EMAIL), ("8201", EMAIL), ("8203", "sam@example.com")):
        made.setdefault(number, []).append(request_return(client, number, email))
    return made


def search(client: Client, query: str) -> Any:
    return client.http.get(f"/api/v1/admin/returns?{query}", headers=ADMIN)


def all_pages(client: Client, query: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(10):
        page = search(client, f"{query}&limit=1{cursor}")
        assert page.status_code == 200, page.json_body
        assert len(page.json_body["returns"]) <= 1
        found += page.json_body["returns"]
        if page.json_body["next_cursor"] is None:
            return found
        cursor = f"&cursor={page.json_body['next_cursor']}"
    raise AssertionError("the cursor never ends")


def newest_first(found: list[dict[str, Any]]) -> bool:
    stamps = [r["created_at"] for r in found]
    return stamps == sorted(stamps, reverse=True)


def test_an_order_number_finds_exactly_that_orders_returns(client: Client, returns: dict[str, list[str]]) -> None:
    found = all_pages(client, "order_number=8201")
    assert sorted(r["rma"] for r in found) == sorted(returns["8201"])
    assert {r["order_number"] for r in found} == {"8201"} and newest_first(found)
    assert search(client, "order_number=8299").json_body == {"returns": [], "next_cursor": None}


def test_an_email_finds_the_shoppers_returns_across_orders_whatever_its_case(
    client: Client, returns: dict[str, list[str]]
) -> None:
    found = all_pages(client, f"email={quote('  MIA.chen@example.COM ')}")
    assert sorted(r["rma"] for r in found) == sorted(returns["8201"] + returns["8202"])
    assert newest_first(found)
    # Pending returns show how long they have waited, as in the status list.
    assert all(r["status"] == "pending_approval" and r["age_seconds"] >= 0 for r in found)


def test_no_filter_still_lists_the_pending_returns(client: Client, returns: dict[str, list[str]]) -> None:
    listed = search(client, "limit=100")
    assert listed.status_code == 200
    assert {r["rma"] for r in listed.json_body["returns"]} == {rma for rmas in returns.values() for rma in rmas}


@pytest.mark.parametrize(("query", "fields"), [
    ("status=approved&email=mia.chen%40example.com", ["status", "email"]),
    ("order_number=8201&email=mia.chen%40example.com", ["order_number", "email"]),
    ("status=approved&order_number=8201", ["status", "order_number"]),
    ("email=mia.chen", ["email"]),
    ("order_number=%2F..%2F", ["order_number"]),
    ("order_number=", ["order_number"]),
    ("order_number=8201&limit=%C2%B2", ["limit"]),
    ("order_number=8201&cursor=eyJhZnRlciI6IngifQ", ["cursor"]),
])
def test_a_bad_search_is_a_400_naming_the_fields(
    client: Client, returns: dict[str, list[str]], query: str, fields: list[str]
) -> None:
    answer = search(client, query)
    assert answer.status_code == 400, answer.body
    assert answer.json_body["error"]["code"] == "invalid_request"
    assert sorted(answer.json_body["error"]["fields"]) == sorted(fields)


def test_searching_needs_the_admin_key(client: Client, returns: dict[str, list[str]]) -> None:
    assert client.http.get("/api/v1/admin/returns?order_number=8201").status_code == 401
