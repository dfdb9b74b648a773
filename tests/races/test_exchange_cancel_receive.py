"""The shopper's cancel against the warehouse's receipt of the same approved exchange, at once,
round after round: exactly one wins, and the stock and the money agree with the winner.

Cancel won: the promised unit is back on offer, no replacement order, no money. Receive won (the
policy makes the replacement order on receipt): the order is made once, the unit left the
shelf, and the (even) exchange is done. Never both.

With money, on the local Stripe: a cheaper exchange pays the difference back once if the parcel
won and nothing if the cancel did; a dearer one whose difference was paid gets that payment back
once if the cancel won and keeps it if the parcel did. localstripe has no idempotency and no
refund ceiling, so the tests check Stripe's rules themselves (`stripe_state`)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.errors import RetourError
from chalicelib.domain.quote import Selection
from chalicelib.services.cancel_return import cancel_return
from chalicelib.services.pay_difference import confirm_payment, open_payment
from chalicelib.services.receive_return import receive_return
from chalicelib.services.request_return import request_return
from devstack.refund_worker import drain
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, put_policy
from tests.functional.test_exchange_payment import dearer, pay_on_stripe
from tests.functional.test_exchange_requests import a_tee, ask, swap
from tests.functional.test_exchange_requests import stock as stock_of
from tests.functional.test_refunds import (  # noqa: F401  (fixtures)
    Stripe,
    api,
    money_env,
    paid_order,
    sqs,
    status_of,
    stripe_state,
)

ROUNDS = 8
PER_ACTOR = 3


@pytest.fixture(scope="module", autouse=True)
def stage(api: Client) -> None:  # noqa: F811
    """Even exchanges whose replacement order is made when the parcel comes; the app's Stripe and
    refund queue are this session's (money_env, set before the app's deps are built)."""
    put_policy(api, exchanges="same_price", exchange_trigger="on_receipt")


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


# --- with money on the local Stripe ---------------------------------------------------------------


def money_policy(api: Client) -> None:  # noqa: F811
    """Exchanges at any price, their replacement order made when the parcel comes; every order
    is the same shopper's, so no 90-day cap sends a round to the store."""
    put_policy(api, exchanges="any_price", exchange_trigger="on_receipt", max_returns_per_customer_90d=None)


def race_cancel_and_receive(rma: str, number: str) -> Any:
    """The shopper's cancels against the warehouse's scans of `rma`: one wins; the return then."""
    deps = get_deps()
    answers, crashed = race({
        "cancel": lambda: cancel_return(deps, rma, order_number=number).status,
        "receive": lambda: receive_return(deps, rma, received_by="warehouse").status,
    })
    assert not crashed, crashed[:3]
    final = deps.returns.get(rma)
    assert final is not None
    kinds: Counter[str] = Counter(event.kind for event in final.events)
    assert kinds["cancelled"] + kinds["received"] == 1, kinds
    if final.status == "cancelled":
        assert final.exchange_order is None and kinds["exchange_created"] == 0
        assert set(answers["cancel"]) == {"cancelled"}, answers
        assert set(answers["receive"]) <= {"return_cancelled", "stale_write"}, answers
    else:
        assert final.exchange_order is not None and kinds["exchange_created"] == 1, kinds
        assert set(answers["receive"]) & {"received", "exchanged"}, answers
        assert set(answers["receive"]) <= {"received", "exchanged", "stale_write"}, answers
        assert set(answers["cancel"]) <= {"not_cancellable", "stale_write"}, answers
    return final


def test_cancel_and_receive_of_a_cheaper_exchange_pay_the_difference_back_once_or_not_at_all(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
) -> None:
    money_policy(api)
    outcomes: Counter[str] = Counter()
    for n in range(ROUNDS):
        product = f"race-cheap-{n}"
        assert api.http.put(f"/api/v1/admin/products/{product}", headers=ADMIN,
                            body=json.dumps(a_tee(product))).status_code in (200, 201)
        lines = an_order_document()["lines"]
        lines[0].update(sku=f"{product}-M", product_id=product, options={"size": "M"})
        order = paid_order(api, stripe_endpoint, stripe_state, lines=lines)
        created = ask(api, order["number"], swap(f"{product}-XS"))
        assert created.status_code == 201, created.json_body
        assert (created.json_body["status"], created.json_body["amounts"]["total"]) == ("approved", 500)
        rma, payment_intent = created.json_body["rma"], order["payment"]["payment_intent"]
        assert stock_of(api, product)[f"{product}-XS"] == (4, 1, 3)

        final = race_cancel_and_receive(rma, order["number"])
        # The worker runs twice, whoever won: whatever the scans queued is paid at most once.
        drain(get_deps(), sqs, money_env)
        drain(get_deps(), sqs, money_env)
        refunds = stripe_state.refunds(payment_intent)
        outcomes[final.status] += 1
        if final.status == "cancelled":
            assert stock_of(api, product)[f"{product}-XS"] == (4, 0, 4)
            assert refunds == [] and status_of(rma).refund is None
        else:
            assert stock_of(api, product)[f"{product}-XS"] == (3, 0, 3)
            done = status_of(rma)
            assert done.status == "exchanged", done.status
            assert [(r.amount, r.currency, r.metadata["rma"]) for r in refunds] == [(500, "jpy", rma)]
            assert done.refund is not None and done.refund.refund_id == refunds[0].id
        assert sum(r.amount for r in refunds) <= order["total"]
    assert sum(outcomes.values()) == ROUNDS, outcomes


def test_cancel_and_receive_of_a_paid_dearer_exchange_give_the_payment_back_once_or_keep_it(
    api: Client, stripe_endpoint: str, stripe_state: Stripe, money_env: str, sqs: Any,  # noqa: F811
) -> None:
    money_policy(api)
    deps = get_deps()
    outcomes: Counter[str] = Counter()
    for n in range(ROUNDS):
        product = f"race-dear-{n}"
        rma = dearer(api, product)  # the order's number is the product's id
        payment = open_payment(deps, rma, order_number=product).request.payment
        assert payment is not None
        payment_intent = payment.payment_intent
        stripe_state.payment_intents.append(payment_intent)
        pay_on_stripe(stripe_endpoint, payment_intent)
        assert confirm_payment(deps, rma, payment_intent).status == "approved"
        assert stock_of(api, product)[f"{product}-XL"] == (1, 1, 0)

        final = race_cancel_and_receive(rma, product)
        drain(get_deps(), sqs, money_env)
        first = stripe_state.refunds(payment_intent)
        # A second run of the worker finds nothing more to pay.
        drain(get_deps(), sqs, money_env)
        refunds = stripe_state.refunds(payment_intent)
        assert [r.id for r in refunds] == [r.id for r in first]
        outcomes[final.status] += 1
        done = status_of(rma)
        if final.status == "cancelled":
            assert stock_of(api, product)[f"{product}-XL"] == (1, 0, 1)
            assert [(r.amount, r.currency, r.metadata["rma"]) for r in refunds] == [(500, "jpy", rma)]
            assert done.payment is not None and (done.payment.status, done.payment.refund_id) == (
                "refunded", refunds[0].id)
        else:
            assert done.status == "exchanged", done.status
            assert stock_of(api, product)[f"{product}-XL"] == (0, 0, 0)
            assert refunds == [] and done.payment is not None and done.payment.status == "succeeded"
        assert done.refund is None  # a dearer exchange never pays money back on the order
    assert sum(outcomes.values()) == ROUNDS, outcomes
