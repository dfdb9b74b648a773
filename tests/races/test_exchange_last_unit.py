"""Thirty shoppers ask at the same moment to exchange for the variant's last unit: one is
promised it, the others are told it is out of stock, and the counts end exact."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.errors import RetourError
from chalicelib.domain.quote import Selection
from chalicelib.services.request_return import request_return
from chalicelib.web.errors import error_response
from tests.documents import an_order_document
from tests.functional.conftest import ADMIN, LOCAL_TABLE, put_policy

SHOPPERS = 30


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module", autouse=True)
def stocked(client: Client) -> None:
    put_policy(client, exchanges="same_price")
    product = {
        "product_id": "race-tee", "title": "Race tee", "currency": "USD",
        "variants": [
            {"sku": "RACE-M", "options": {"size": "M"}, "price": 3300, "stock": 100},
            {"sku": "RACE-L", "options": {"size": "L"}, "price": 3300, "stock": 1},
        ],
    }
    response = client.http.put("/api/v1/admin/products/race-tee", headers=ADMIN, body=json.dumps(product))
    assert response.status_code == 201, response.json_body
    for i in range(SHOPPERS):
        number = f"X{9000 + i}"
        order = an_order_document(number=number, email=f"{number.lower()}@example.com", locale="en",
                                  currency="USD", placed_at=days_ago(4), delivered_at=days_ago(3))
        order["lines"][0].update(sku="RACE-M", product_id="race-tee", options={"size": "M"})
        response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(order))
        assert response.status_code == 201, response.json_body


def test_thirty_shoppers_racing_for_the_last_unit_get_one_exchange(client: Client, local_table: Any) -> None:
    deps = get_deps()
    start = threading.Barrier(SHOPPERS, timeout=30)
    answers: list[tuple[int, str]] = []
    crashed: list[BaseException] = []

    def shopper(i: int) -> None:
        start.wait()
        try:
            created = request_return(deps, order_number=f"X{9000 + i}", resolution="exchange",
                                     selections=[Selection("L1", 1, "too_small", exchange_for="RACE-L")])
            answers.append((201, created.rma))
        except RetourError as error:
            # What the API answers for it (web/errors.py, the one table).
            response = error_response(error)
            answers.append((response.status_code, json.dumps(response.body)))
        except BaseException as error:  # noqa: BLE001 - anything else is the bug we look for
            crashed.append(error)

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(SHOPPERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert crashed == []
    won = [body for status, body in answers if status == 201]
    refused = [json.loads(body)["error"] for status, body in answers if status == 409]
    assert len(won) == 1, answers
    assert len(refused) == SHOPPERS - 1, answers
    assert {error["code"] for error in refused} == {"out_of_stock"}
    assert all("RACE-L" in error["message"] for error in refused)

    variants = client.http.get("/api/v1/admin/products/race-tee", headers=ADMIN).json_body["variants"]
    assert {v["sku"]: (v["stock"], v["reserved"], v["available"]) for v in variants}["RACE-L"] == (1, 1, 0)
    # Exactly one return was written, the winner's (test-only Scan of the local table).
    items = local_table.scan(TableName=LOCAL_TABLE, ConsistentRead=True)["Items"]
    stored = [i["pk"]["S"] for i in items if i["pk"]["S"].startswith("RETURN#") and i["sk"]["S"] == "RETURN"
              and i.get("order_number", {}).get("S", "").startswith("X9")]
    assert stored == [f"RETURN#{won[0]}"]
