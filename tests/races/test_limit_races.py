"""A crowd of creations at once against the counts they reserve in their own transaction: the
shopper's 90-day cap approves no more returns than it allows, and one order starts no more returns
in a day than the daily limit, however the requests interleave."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.errors import RetourError
from chalicelib.domain.quote import Selection
from chalicelib.domain.return_request import ReturnRequest
from chalicelib.services.request_return import RETURNS_PER_ORDER_PER_DAY, request_return
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, LOCAL_TABLE, put_policy

CROWD = 30
DAY_CROWD = 12
CAP = 10


@pytest.fixture(scope="module", autouse=True)
def policy(client: Client) -> None:
    put_policy(client, max_returns_per_customer_90d=CAP)


def an_order(client: Client, number: str, *, email: str, quantity: int = 2) -> None:
    document = an_order_document(number=number, email=email, locale="en", currency="USD",
                                 placed_at=days_ago(4), delivered_at=days_ago(3))
    document["lines"][0]["quantity"] = quantity
    response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code == 201, response.json_body


def all_at_once(work: list[Callable[[], ReturnRequest]]) -> tuple[list[ReturnRequest], list[str]]:
    """Run every call together behind one barrier: the returns made, and the refusals' codes."""
    start = threading.Barrier(len(work), timeout=30)
    made: list[ReturnRequest] = []
    refused: list[str] = []
    crashed: list[BaseException] = []

    def run(call: Callable[[], ReturnRequest]) -> None:
        start.wait()
        try:
            made.append(call())
        except RetourError as error:
            refused.append(error.code)
        except BaseException as error:  # noqa: BLE001 - anything else is the bug we look for
            crashed.append(error)

    threads = [threading.Thread(target=run, args=(call,)) for call in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not crashed, crashed[:3]
    assert len(made) + len(refused) == len(work)
    return made, refused


def stored_returns(local_table: Any, numbers: set[str]) -> list[dict[str, Any]]:
    """The returns of these orders, read straight from the table (test-only Scan)."""
    items = local_table.scan(TableName=LOCAL_TABLE, ConsistentRead=True)["Items"]
    return [i for i in items if i["pk"]["S"].startswith("RETURN#") and i["sk"]["S"] == "RETURN"
            and i["order_number"]["S"] in numbers]


def test_thirty_simultaneous_returns_of_one_shopper_approve_no_more_than_the_cap(
    client: Client, local_table: Any
) -> None:
    numbers = [f"C{7000 + i}" for i in range(CROWD)]
    for number in numbers:
        an_order(client, number, email="crowd@example.com")
    deps = get_deps()
    made, refused = all_at_once([
        lambda number=number: request_return(deps, order_number=number, resolution="refund",
                                             selections=[Selection("L1", 1, "too_small")])
        for number in numbers
    ])

    approved = [r for r in made if r.status == "approved"]
    assert len(approved) == CAP, [r.status for r in made]
    # The others wait for the merchant, saying why; a request that kept losing its turn on the
    # shopper's count is refused as a clean conflict, with nothing written.
    assert all(r.status == "pending_approval" for r in made if r not in approved)
    assert set(refused) <= {"stale_write"}, refused
    stored = stored_returns(local_table, set(numbers))
    assert len(stored) == len(made)
    assert sum(1 for i in stored if i["status"]["S"] == "approved") == CAP
    # A new return after the crowd sees the cap reached too.
    an_order(client, "C7999", email="crowd@example.com")
    late = request_return(deps, order_number="C7999", resolution="refund", selections=[Selection("L1", 1, "too_small")])
    assert late.status == "pending_approval"


def test_a_dozen_simultaneous_returns_of_one_order_start_no_more_than_the_daily_limit(
    client: Client, local_table: Any
) -> None:
    an_order(client, "D7000", email="d7000@example.com", quantity=DAY_CROWD)
    deps = get_deps()
    made, refused = all_at_once([
        lambda: request_return(deps, order_number="D7000", resolution="refund",
                               selections=[Selection("L1", 1, "too_small")])
        for _ in range(DAY_CROWD)
    ])

    assert len(made) == RETURNS_PER_ORDER_PER_DAY
    assert set(refused) == {"too_many_returns"}
    assert len(stored_returns(local_table, {"D7000"})) == RETURNS_PER_ORDER_PER_DAY
