"""The shopper's cancel against the warehouse's receipt of the same approved exchange, at once,
round after round: exactly one wins, and the stock and the money agree with the winner.

Cancel won: the promised unit is back on offer, no replacement order, no money. Receive won (the
policy makes the replacement order on receipt): the order is made once, the unit left the
shelf, and the (even) exchange is done. Never both."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.errors import RetourError
from chalicelib.domain.quote import Selection
from chalicelib.services.cancel_return import cancel_return
from chalicelib.services.receive_return import receive_return
from chalicelib.services.request_return import request_return
from devstack.sqs import ensure_refund_queues
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, put_policy

ROUNDS = 8
PER_ACTOR = 3


@pytest.fixture(scope="module", autouse=True)
def stage(client: Client, aws_endpoint: str) -> None:
    """Even exchanges whose replacement order is made when the parcel comes."""
    put_policy(client, exchanges="same_price", exchange_trigger="on_receipt")
    sqs = boto3.client("sqs", endpoint_url=aws_endpoint, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    ensure_refund_queues(sqs, "retour-local-refunds")


def stock(client: Client, product_id: str, sku: str) -> dict[str, int]:
    body = client.http.get(f"/api/v1/admin/products/{product_id}", headers=ADMIN).json_body
    variant = next(v for v in body["variants"] if v["sku"] == sku)
    return {k: variant[k] for k in ("stock", "reserved", "available")}


def an_exchange(client: Client, n: int) -> tuple[str, str, str, str]:
    """An approved even exchange of one tee M for an L (3 on the shelf): (RMA, order, product, L's SKU)."""
    product, number = f"race-tee-{n}", f"XR{n:04d}"
    variants = [{"sku": f"{product}-{size}", "options": {"size": size}, "price": 3300, "stock": 3}
                for size in ("M", "L")]
    put = client.http.put(f"/api/v1/admin/products/{product}", headers=ADMIN,
                          body=json.dumps({"product_id": product, "title": "Tee", "currency": "JPY",
                                           "variants": variants}))
    assert put.status_code in (200, 201), put.json_body
    lines = [{"id": "L1", "sku": f"{product}-M", "title": "Tee, M", "quantity": 1, "unit_price": 3300, "tax": 300,
              "discount": 0, "product_type": "apparel", "tags": [], "final_sale": False,
              "product_id": product, "options": {"size": "M"}}]
    document = an_order_document(number=number, email=f"{number.lower()}@example.com", lines=lines,
                                 placed_at=days_ago(5), delivered_at=days_ago(3))
    assert client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN,
                           body=json.dumps(document)).status_code == 201
    created = request_return(get_deps(), order_number=number, resolution="exchange",
                             selections=[Selection("L1", 1, "too_small", exchange_for=f"{product}-L")])
    assert created.status == "approved"
    return created.rma, number, product, f"{product}-L"


def race(actors: dict[str, Callable[[], str]]) -> tuple[dict[str, list[str]], list[BaseException]]:
    answers: dict[str, list[str]] = {name: [] for name in actors}
    crashed: list[BaseException] = []
    start = threading.Barrier(PER_ACTOR * len(actors), timeout=30)

    def run(name: str, act: Callable[[], str]) -> None:
        start.wait()
        try:
            answers[name].append(act())
        except RetourError as error:
            answers[name].append(error.code)
        except BaseException as error:  # noqa: BLE001 - anything else is the bug we look for
            crashed.append(error)

    threads = [threading.Thread(target=run, args=(name, act)) for name, act in actors.items() for _ in range(PER_ACTOR)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return answers, crashed


def test_cancel_and_receive_of_one_approved_exchange_leave_stock_and_money_consistent(client: Client) -> None:
    deps = get_deps()
    outcomes: Counter[str] = Counter()
    for n in range(ROUNDS):
        rma, number, product, sku = an_exchange(client, n)
        assert stock(client, product, sku) == {"stock": 3, "reserved": 1, "available": 2}
        answers, crashed = race({
            "cancel": lambda: cancel_return(deps, rma, order_number=number).status,
            "receive": lambda: receive_return(deps, rma, received_by="warehouse").status,
        })
        assert not crashed, crashed[:3]
        final = deps.returns.get(rma)
        assert final is not None
        kinds = Counter(event.kind for event in final.events)
        # Never both, each at most once; no money ever moves for an even exchange.
        assert kinds["cancelled"] + kinds["received"] == 1, kinds
        assert kinds["refund_started"] == 0 and final.refund is None
        outcomes[final.status] += 1
        if final.status == "cancelled":
            assert final.exchange_order is None and kinds["exchange_created"] == 0
            assert stock(client, product, sku) == {"stock": 3, "reserved": 0, "available": 3}
            assert set(answers["cancel"]) == {"cancelled"}, answers
            assert set(answers["receive"]) <= {"return_cancelled", "stale_write"}, answers
        else:
            assert final.status == "exchanged", final.status
            assert final.exchange_order is not None and kinds["exchange_created"] == 1
            assert stock(client, product, sku) == {"stock": 2, "reserved": 0, "available": 2}
            assert "exchanged" in answers["receive"], answers
            assert set(answers["receive"]) <= {"exchanged", "stale_write"}, answers
            assert set(answers["cancel"]) <= {"not_cancellable", "stale_write"}, answers
    # Both outcomes happen over the rounds often enough; the checks above hold for each.
    assert sum(outcomes.values()) == ROUNDS
