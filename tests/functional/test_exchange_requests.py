"""Asking for an exchange through the API: the options a lookup offers, even / cheaper / dearer
requests, the last unit refused with what is left, and the units given back on cancel."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.adapters.dynamodb_items import count_all, order_partition
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, LOCAL_TABLE, put_policy

JSON = {"Content-Type": "application/json"}


def a_tee(product_id: str, *, xl_stock: int = 1, l_stock: int = 2) -> dict[str, Any]:
    """Navy tees in JPY: the M the orders sold, an even S and L, a dearer XL, a cheaper XS."""
    return {
        "product_id": product_id, "title": "Organic tee", "currency": "JPY",
        "variants": [
            {"sku": f"{product_id}-S", "options": {"size": "S"}, "price": 3300, "stock": 3},
            {"sku": f"{product_id}-M", "options": {"size": "M"}, "price": 3300, "stock": 5},
            {"sku": f"{product_id}-L", "options": {"size": "L"}, "price": 3300, "stock": l_stock},
            {"sku": f"{product_id}-XL", "options": {"size": "XL"}, "price": 3800, "stock": xl_stock},
            {"sku": f"{product_id}-XS", "options": {"size": "XS"}, "price": 2800, "stock": 4},
            {"sku": f"{product_id}-XXL", "options": {"size": "XXL"}, "price": 3800, "stock": 0},
        ],
    }


def stocked(client: Client, product_id: str, **counts: int) -> str:
    """Put the product and an order (number = product id) whose line L1 sold its M; the number."""
    response = client.http.put(f"/api/v1/admin/products/{product_id}", headers=ADMIN,
                               body=json.dumps(a_tee(product_id, **counts)))
    assert response.status_code in (200, 201), response.json_body
    order = an_order_document(number=product_id, placed_at=days_ago(7), delivered_at=days_ago(5))
    order["lines"][0].update(sku=f"{product_id}-M", product_id=product_id, options={"size": "M"})
    response = client.http.put(f"/api/v1/admin/orders/{product_id}", headers=ADMIN, body=json.dumps(order))
    assert response.status_code in (200, 201), response.json_body
    return product_id


def lookup(client: Client, number: str) -> Any:
    response = client.http.post("/api/v1/lookup", headers=JSON,
                                body=json.dumps({"order_number": number, "email": "aiko@example.jp"}))
    assert response.status_code == 200, response.json_body
    return response.json_body


def ask(client: Client, number: str, lines: list[dict[str, Any]], resolution: str = "exchange") -> Any:
    token = lookup(client, number)["token"]
    body = {"order_number": number, "resolution": resolution, "lines": lines}
    return client.http.post("/api/v1/returns", headers={**JSON, "Authorization": f"Bearer {token}"},
                            body=json.dumps(body))


def swap(sku: str, quantity: int = 1) -> list[dict[str, Any]]:
    return [{"line_id": "L1", "quantity": quantity, "reason": "too_small", "exchange_for": {"sku": sku}}]


def stock(client: Client, product_id: str) -> dict[str, tuple[int, int, int]]:
    """(stock, reserved, available) of each SKU, as the store reads them."""
    response = client.http.get(f"/api/v1/admin/products/{product_id}", headers=ADMIN)
    assert response.status_code == 200, response.json_body
    return {v["sku"]: (v["stock"], v["reserved"], v["available"]) for v in response.json_body["variants"]}


def returns_of(local_table: Any, number: str) -> int:
    return count_all(local_table, {
        "TableName": LOCAL_TABLE, "IndexName": "gsi3",
        "KeyConditionExpression": "gsi3pk = :order AND begins_with(gsi3sk, :prefix)",
        "ExpressionAttributeValues": {":order": {"S": order_partition(number)}, ":prefix": {"S": "RETURN#"}},
    })


@pytest.fixture(autouse=True)
def any_price(client: Client) -> None:
    put_policy(client, exchanges="any_price")


def test_the_lookup_offers_each_line_its_in_stock_variants_with_their_difference(client: Client) -> None:
    number = stocked(client, "look")
    lines = {line["id"]: line for line in lookup(client, number)["order"]["lines"]}
    offered = lines["L1"]["exchange_options"]
    assert [(o["sku"], o["options"], o["price"], o["difference"], o["available"]) for o in offered] == [
        ("look-S", {"size": "S"}, 3300, 0, 3),
        ("look-L", {"size": "L"}, 3300, 0, 2),
        ("look-XL", {"size": "XL"}, 3800, 500, 1),
        ("look-XS", {"size": "XS"}, 2800, -500, 4),
    ]
    # The final-sale socks name no product; the sold M and the empty XXL are never offered.
    assert lines["L2"]["exchange_options"] == []
    put_policy(client, exchanges="same_price")
    offered = lookup(client, number)["order"]["lines"][0]["exchange_options"]
    assert [o["sku"] for o in offered] == ["look-S", "look-L"]


def test_an_even_exchange_moves_no_money_and_reserves_the_unit(client: Client) -> None:
    number = stocked(client, "even")
    created = ask(client, number, swap("even-L"))
    assert created.status_code == 201, created.json_body
    body = created.json_body
    assert (body["status"], body["resolution"]) == ("approved", "exchange")
    assert body["lines"][0]["exchange_for"] == {"sku": "even-L"}
    assert body["lines"][0]["amounts"]["replacement"] == 3300
    assert (body["amounts"]["replacement"], body["amounts"]["difference"], body["amounts"]["total"]) == (3300, 0, 0)
    assert "payment" not in body
    assert stock(client, number)["even-L"] == (2, 1, 1)
    # The store's view of the return shows the same exchange.
    staff = client.http.get(f"/api/v1/admin/returns/{body['rma']}", headers=ADMIN).json_body
    assert staff["lines"][0]["exchange_for"] == {"sku": "even-L"}
    assert staff["amounts"]["difference"] == 0


def test_a_cheaper_exchange_pays_the_difference_back(client: Client) -> None:
    number = stocked(client, "cheap")
    created = ask(client, number, swap("cheap-XS", quantity=2))
    assert created.status_code == 201, created.json_body
    body = created.json_body
    assert body["status"] == "approved"
    assert (body["amounts"]["replacement"], body["amounts"]["difference"], body["amounts"]["total"]) == (5600, -1000, 1000)
    assert stock(client, number)["cheap-XS"] == (4, 2, 2)


def test_a_dearer_exchange_waits_for_the_shopper_to_pay_the_difference(client: Client) -> None:
    number = stocked(client, "dear")
    created = ask(client, number, swap("dear-XL"))
    assert created.status_code == 201, created.json_body
    body = created.json_body
    assert body["status"] == "awaiting_payment"
    assert (body["amounts"]["difference"], body["amounts"]["total"]) == (500, -500)
    assert body["payment"]["amount"] == 500 and body["payment"]["currency"] == "JPY"
    # Reserved while the shopper pays: nobody else is promised it.
    assert stock(client, number)["dear-XL"] == (1, 1, 0)
    assert lookup(client, number)["order"]["lines"][0]["exchange_options"][-1]["sku"] == "dear-XS"


def test_an_out_of_stock_choice_is_refused_naming_what_is_available_and_changes_nothing(
        client: Client, local_table: Any) -> None:
    number = stocked(client, "gone", xl_stock=0, l_stock=1)
    before = stock(client, number)
    refused = ask(client, number, swap("gone-XL"))
    assert refused.status_code == 409, refused.json_body
    error = refused.json_body["error"]
    assert error["code"] == "out_of_stock"
    assert "gone-XL" in error["message"] and "available:" in error["message"]
    assert "gone-L (L)" in error["message"]
    assert [a["sku"] for a in error["available"]] == ["gone-S", "gone-L", "gone-XS"]
    assert error["available"][1] == {"sku": "gone-L", "options": {"size": "L"}}
    assert stock(client, number) == before
    assert returns_of(local_table, number) == 0
    # More units than are left: the same refusal, naming the variants that have that many.
    refused = ask(client, number, swap("gone-L", quantity=2))
    assert refused.status_code == 409
    assert [a["sku"] for a in refused.json_body["error"]["available"]] == ["gone-S", "gone-XS"]
    assert stock(client, number) == before and returns_of(local_table, number) == 0


def test_exchanges_off_refuses_the_resolution(client: Client, local_table: Any) -> None:
    number = stocked(client, "off")
    put_policy(client, exchanges="off")
    refused = ask(client, number, swap("off-L"))
    assert refused.status_code == 400
    assert refused.json_body["error"]["fields"] == ["resolution"]
    assert lookup(client, number)["order"]["lines"][0]["exchange_options"] == []
    assert stock(client, number)["off-L"] == (2, 0, 2) and returns_of(local_table, number) == 0


def test_same_price_refuses_a_dearer_variant(client: Client, local_table: Any) -> None:
    number = stocked(client, "same")
    put_policy(client, exchanges="same_price")
    refused = ask(client, number, swap("same-XL"))
    assert refused.status_code == 400, refused.json_body
    assert refused.json_body["error"]["fields"] == ["lines[0].exchange_for"]
    assert "same-XL" in refused.json_body["error"]["message"]
    assert stock(client, number)["same-XL"] == (1, 0, 1) and returns_of(local_table, number) == 0


def test_exchange_for_goes_with_the_exchange_resolution_only(client: Client) -> None:
    number = stocked(client, "mixed")
    missing = ask(client, number, [{"line_id": "L1", "quantity": 1, "reason": "too_small"}])
    assert missing.status_code == 400
    assert missing.json_body["error"]["fields"] == ["lines[0].exchange_for"]
    stray = ask(client, number, swap("mixed-L"), resolution="refund")
    assert stray.status_code == 400
    assert stray.json_body["error"]["fields"] == ["lines[0].exchange_for"]
    unknown = ask(client, number, swap("SOCK-3P"))
    assert unknown.status_code == 400
    assert unknown.json_body["error"]["fields"] == ["lines[0].exchange_for"]
    assert stock(client, number)["mixed-L"] == (2, 0, 2)


def test_cancelling_an_exchange_gives_the_unit_back(client: Client) -> None:
    number = stocked(client, "undo", l_stock=1)
    created = ask(client, number, swap("undo-L"))
    assert created.status_code == 201, created.json_body
    assert stock(client, number)["undo-L"] == (1, 1, 0)
    token = lookup(client, number)["token"]
    cancelled = client.http.post(f"/api/v1/returns/{created.json_body['rma']}/cancel",
                                 headers={**JSON, "Authorization": f"Bearer {token}"}, body="{}")
    assert cancelled.status_code == 200, cancelled.json_body
    assert cancelled.json_body["status"] == "cancelled"
    assert stock(client, number)["undo-L"] == (1, 0, 1)
    # The unit can be promised again.
    assert ask(client, number, swap("undo-L")).status_code == 201


def test_a_repeated_keyed_exchange_answers_the_first_return(client: Client) -> None:
    number = stocked(client, "twice", l_stock=1)
    token = lookup(client, number)["token"]
    headers = {**JSON, "Authorization": f"Bearer {token}", "Idempotency-Key": "exchange-key-0123456789"}
    body = json.dumps({"order_number": number, "resolution": "exchange", "lines": swap("twice-L")})
    first = client.http.post("/api/v1/returns", headers=headers, body=body)
    again = client.http.post("/api/v1/returns", headers=headers, body=body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json_body["rma"] == first.json_body["rma"]
    assert stock(client, number)["twice-L"] == (1, 1, 0)
