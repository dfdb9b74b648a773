"""The returns report over the admin API, against the local DynamoDB: a month's outcomes, reasons and
money per currency to the second of its bounds, the backlog, and every bad period refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.policy import DEFAULT_POLICY, Fees
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest, rma_from_bits
from tests.builders import an_order
from tests.documents import an_order_document
from tests.functional.conftest import ADMIN, put_policy

OCTOBER = "from=2026-10-01&to=2026-10-31"
START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)
Move = Callable[[ReturnRequest, datetime], ReturnRequest]


def refunded(r: ReturnRequest, at: datetime) -> ReturnRequest:
    return r.mark_refunded(f"re_{r.rma}", at=at, actor="system")


def credited(r: ReturnRequest, at: datetime) -> ReturnRequest:
    return r.credit(at=at, actor="system")


def received(r: ReturnRequest, at: datetime) -> ReturnRequest:
    return r.receive(at=at, actor="dock")


def refunding(r: ReturnRequest, at: datetime) -> ReturnRequest:
    return r.start_refund(r.quote.refund_value, at=at, actor="system")


def stored_return(
    bits: int, moves: list[tuple[Move, datetime]], *, currency: str = "JPY", resolution: str = "refund",
    reason: str = "too_small", units: int = 1, pending: bool = False, restocking_percent: int = 0,
) -> str:
    """A return of `units` tees created in September, moved at the given instants and stored
    through the repository as the use cases store each move (without Stripe or the ledgers)."""
    order = an_order(number=f"R{bits}", currency=currency)
    selections = (Selection("L1", units, reason, "note"),)
    policy = replace(DEFAULT_POLICY, fees=Fees(restocking_percent=restocking_percent))
    request = ReturnRequest.request(
        rma=rma_from_bits(bits), order=order, selections=selections,
        quote=quote(order, selections, policy, resolution=resolution), needs_approval=pending,
        at=datetime(2026, 9, 20, tzinfo=UTC),
    )
    returns = get_deps().returns
    request = returns.create(request, line_quantities={"L1": 2}, now=request.created_at)
    for move, at in moves:
        request = returns.save(move(request, at), new_events=1, now=at)
    return request.rma


@pytest.fixture(scope="module")
def seeded(client: Client) -> None:
    """October 2026 closes five returns in three currencies; two more close just outside it."""
    # The first request builds the container's Deps with the local stage's settings (admin key).
    put_policy(client)
    september = START - timedelta(days=3)
    paid_by_card: list[tuple[Move, datetime]] = [(received, september), (refunding, september)]
    # JPY: 3300 + 300 tax, refunded on the first instant of October.
    stored_return(1, [*paid_by_card, (refunded, START)])
    # USD: the same tee less a 10% restocking fee (330), refunded mid-month.
    stored_return(2, [*paid_by_card, (refunded, START + timedelta(days=14))], currency="USD",
                  restocking_percent=10)
    # USD store credit with the default 10% bonus, on the last second of October.
    stored_return(3, [(received, START), (credited, END - timedelta(seconds=1))], currency="USD",
                  resolution="store_credit")
    # Rejected (two units, changed mind) and cancelled: counted, no money.
    stored_return(4, [(lambda r, at: r.reject(at=at, actor="admin", note="worn"), START + timedelta(days=9))],
                  pending=True, reason="changed_mind", units=2)
    stored_return(5, [(lambda r, at: r.cancel(at=at), START + timedelta(days=11))], currency="KRW")
    # Outside: the second before October and the first one after it.
    stored_return(6, [*paid_by_card, (refunded, START - timedelta(seconds=1))])
    stored_return(7, [*paid_by_card, (refunded, END)])
    # The backlog: waiting for the merchant, approved, received, and a failed refund.
    stored_return(8, [], pending=True)
    stored_return(9, [])
    stored_return(10, [])
    stored_return(11, [(received, START)])
    stored_return(12, [*paid_by_card, (lambda r, at: r.mark_refund_failed("card_closed", at=at, actor="stripe"),
                                       START + timedelta(days=2))])


def report(client: Client, query: str, headers: dict[str, str] = ADMIN) -> Any:
    return client.http.get(f"/api/v1/admin/reports/returns?{query}", headers=headers)


def test_a_months_report_counts_outcomes_reasons_and_money_per_currency(client: Client, seeded: None) -> None:
    answer = report(client, OCTOBER)

    assert answer.status_code == 200, answer.json_body
    body = answer.json_body
    assert (body["from"], body["to"], body["days"]) == ("2026-10-01", "2026-10-31", 31)
    assert body["outcomes"] == {"refunded": 2, "credited": 1, "rejected": 1, "cancelled": 1, "expired": 0}
    assert body["reasons"] == [
        {"reason": "changed_mind", "returns": 1, "units": 2},
        {"reason": "too_small", "returns": 4, "units": 4},
    ]
    assert body["money"] == [
        {"currency": "JPY", "returns": 1, "refunded": 3600, "store_credit": 0, "store_credit_bonus": 0,
         "fees_kept": 0},
        {"currency": "USD", "returns": 2, "refunded": 3600 - 330, "store_credit": 3600,
         "store_credit_bonus": 360, "fees_kept": 330},
    ]
    assert body["backlog"] == {"pending_approval": 1, "approved": 2, "received": 1, "refunding": 0,
                               "refund_failed": 1}
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_days_around_a_period_hold_what_it_leaves_out(client: Client, seeded: None) -> None:
    before = report(client, "from=2026-09-30&to=2026-09-30").json_body
    after = report(client, "from=2026-11-01&to=2026-11-01").json_body
    assert before["outcomes"]["refunded"] == after["outcomes"]["refunded"] == 1
    assert before["money"] == after["money"] == [
        {"currency": "JPY", "returns": 1, "refunded": 3600, "store_credit": 0, "store_credit_bonus": 0,
         "fees_kept": 0},
    ]
    quiet = report(client, "from=2025-01-01&to=2025-01-31").json_body
    assert sum(quiet["outcomes"].values()) == 0 and quiet["reasons"] == [] and quiet["money"] == []
    # The backlog is now's, whatever the period.
    assert quiet["backlog"]["approved"] == 2


def test_a_return_rejected_through_the_api_shows_in_todays_report(client: Client, seeded: None) -> None:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    query = f"from={today}&to={today}"
    first = report(client, query).json_body
    put_policy(client)
    late = (datetime.now(UTC) - timedelta(days=45)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = an_order_document(number="8301", email="sam@example.com", locale="en", currency="USD",
                                 placed_at=late, delivered_at=late)
    assert client.http.put("/api/v1/admin/orders/8301", headers=ADMIN, body=json.dumps(document)).status_code == 201
    token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                             body=json.dumps({"order_number": "8301", "email": "sam@example.com"})).json_body["token"]
    created = client.http.post(
        "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        body=json.dumps({"order_number": "8301", "resolution": "refund",
                         "lines": [{"line_id": "L1", "quantity": 2, "reason": "too_large"}]}),
    ).json_body
    assert report(client, query).json_body["backlog"]["pending_approval"] == first["backlog"]["pending_approval"] + 1
    rejected = client.http.post(f"/api/v1/admin/returns/{created['rma']}/reject", headers=ADMIN,
                                body=json.dumps({"note": "Outside our window."}))
    assert rejected.status_code == 200, rejected.json_body

    then = report(client, query).json_body

    assert then["outcomes"]["rejected"] == first["outcomes"]["rejected"] + 1
    assert {"reason": "too_large", "returns": 1, "units": 2} in then["reasons"]
    assert then["backlog"]["pending_approval"] == first["backlog"]["pending_approval"]


@pytest.mark.parametrize(("query", "fields"), [
    ("", ["from", "to"]),
    ("from=2026-10-01", ["to"]),
    ("to=2026-10-31", ["from"]),
    ("from=2026-10-31&to=2026-10-01", ["from", "to"]),
    ("from=2026-01-01&to=2026-04-04", ["from", "to"]),
    ("from=2026-10-01&to=2026-10-32", ["to"]),
    ("from=yesterday&to=2026-10-31", ["from"]),
    ("from=20261001&to=2026-10-31", ["from"]),
    ("from=0001-01-01&to=0001-01-02", ["from", "to"]),
    ("from=9999-12-31&to=9999-12-31", ["from", "to"]),
])
def test_a_bad_period_is_a_400_naming_the_fields(client: Client, query: str, fields: list[str]) -> None:
    answer = report(client, query)
    assert answer.status_code == 400, answer.body
    assert answer.json_body["error"]["code"] == "invalid_request"
    assert answer.json_body["error"]["fields"] == fields


def test_the_report_needs_the_admin_key(client: Client) -> None:
    assert report(client, OCTOBER, headers={}).status_code == 401
