"""The console's reports page and CSV with 10,000 returns in the period: server time, DynamoDB
calls and read units.

The table is filled with 10,000 return items of the last 30 days (every status, four reasons,
forty SKUs, three currencies, milestones as the moves write them), put with BatchWriteItem over
HTTP as the repository's own `return_record` builds them: the report reads return items only
(the status index projects them whole), never their event items, so none are written. Then the
page (`GET /console/reports`, the default last 30 days) and the CSV are asked for as an owner,
once each; figures are the request's time, the part of it spent waiting for DynamoDB calls, the
rest (the app's own work: decoding, summing, rendering), and the calls and capacity
(bench/local_aws.py bills every call by DynamoDB's published rules).

The local server (moto) spends about 20 ms encoding each return item of a Query's answer, so
the calls' time here is moto's and says nothing of DynamoDB; the app's own time and the calls
and capacity are what carry over. One request each, since each takes minutes on moto.
"""

from __future__ import annotations

import random
import secrets
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.local_aws import TABLE, app_client, local_aws

RETURNS = 10_000
REASONS = ("too_small", "too_large", "damaged", "changed_mind")
CURRENCIES = ("USD", "JPY", "EUR")


def _returns(now: datetime) -> list[Any]:
    """RETURNS returns requested over the last 28 days, each moved as far as its draw says."""
    from dataclasses import replace

    from chalicelib.domain.money import Money
    from chalicelib.domain.order import Address, Order, OrderLine, Payment
    from chalicelib.domain.policy import DEFAULT_POLICY
    from chalicelib.domain.quote import Selection, quote
    from chalicelib.domain.return_request import ReturnRequest, rma_from_bits

    rng = random.Random(17)
    policy = replace(DEFAULT_POLICY)
    made = []
    address = Address(name="B", line1="1 Main St", city="Reno", postal_code="89501", country="US", region="NV")
    for i in range(RETURNS):
        currency = CURRENCIES[i % len(CURRENCIES)]
        created = now - timedelta(days=28) + timedelta(seconds=rng.randrange(27 * 86400))
        sku = f"SKU-{rng.randrange(40):03d}"
        line = OrderLine(id="L1", sku=sku, title="Tee", quantity=2, unit_price=Money(3300, currency),
                         tax=Money(300, currency), discount=Money(0, currency))
        order = Order(number=f"B{i:06d}", email=f"b{i}@example.com", customer_name="B", locale="en",
                      currency=currency, placed_at=created - timedelta(days=9),
                      delivered_at=created - timedelta(days=5),
                      shipping_address=address, payment=Payment(provider="other", payment_intent=None),
                      shipping_total=Money(500, currency), lines=(line,))
        reason = REASONS[rng.randrange(len(REASONS))]
        selections = (Selection("L1", 1 + rng.randrange(2), reason, "a note" if reason == "damaged" else ""),)
        resolution = "store_credit" if rng.random() < 0.3 else "refund"
        exception = rng.random() < 0.2
        r = ReturnRequest.request(rma=rma_from_bits(i), order=order, selections=selections,
                                  quote=quote(order, selections, policy, resolution=resolution),
                                  needs_approval=exception, at=created)
        when = created
        step = rng.random()

        def later(hours: float) -> datetime:
            nonlocal when
            when = when + timedelta(hours=rng.uniform(0.5, hours))
            return min(when, now - timedelta(seconds=1))

        if exception:
            if step < 0.1:
                made.append(r)
                continue
            if step < 0.25:
                made.append(r.reject(at=later(48), actor="staff:agent@retour.local"))
                continue
            r = r.approve(at=later(48), actor="staff:agent@retour.local")
        if step < 0.3:
            made.append(r if rng.random() < 0.7 else r.cancel(at=later(24)))
            continue
        r = r.receive(at=later(120), actor="staff:warehouse@retour.local")
        if step < 0.4:
            made.append(r)
            continue
        if resolution == "store_credit":
            made.append(r.credit(at=later(24), actor="system"))
            continue
        r = r.start_refund(r.quote.refund_value, at=later(24), actor="system")
        made.append(r.mark_refunded(f"re_{i}", at=later(2), actor="stripe"))
    return made


def _fill(dynamodb: Any, returns: list[Any]) -> float:
    from chalicelib.adapters.dynamodb_items import to_item
    from chalicelib.adapters.dynamodb_returns import return_record

    started = time.perf_counter()
    items = [to_item(return_record(r.with_version(1), event_count=len(r.events))) for r in returns]
    for first in range(0, len(items), 25):
        pending = {TABLE: [{"PutRequest": {"Item": item}} for item in items[first:first + 25]]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return time.perf_counter() - started


def _owner_cookie() -> dict[str, str]:
    from chalicelib.bootstrap import get_deps
    from chalicelib.domain.staff import ConsoleSession, Role
    from chalicelib.web.console.visit import COOKIE, SESSION_PURPOSE, SESSION_TTL

    deps = get_deps()
    now = deps.clock.now()
    session = ConsoleSession(session_id=secrets.token_urlsafe(24), email="owner@retour.local", role=Role.OWNER,
                             locale="en", created_at=now, expires_at=now + SESSION_TTL, address="127.0.0.1")
    deps.console_sessions.open(session)
    token = deps.tokens.issue(f"owner@retour.local\n{session.session_id}", purpose=SESSION_PURPOSE, now=now,
                              ttl=SESSION_TTL)
    return {"Cookie": f"{COOKIE}={token}"}


class CallTime:
    """Seconds spent inside DynamoDB calls of one client (botocore hooks)."""

    def __init__(self, dynamodb: Any) -> None:
        self.seconds = 0.0
        dynamodb.meta.events.register("before-call.dynamodb", self._before)
        dynamodb.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, context: dict[str, Any], **_: Any) -> None:
        context["bench_call_started"] = time.perf_counter()

    def _after(self, context: dict[str, Any], **_: Any) -> None:
        self.seconds += time.perf_counter() - context.get("bench_call_started", time.perf_counter())


def _ask(client: Any, calls: Any, timer: CallTime, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """One request: its seconds, the seconds inside DynamoDB calls, the calls, read units, size."""
    calls.reset()
    timer.seconds = 0.0
    started = time.perf_counter()
    response = client.http.get(path, headers=headers)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.body[:300]
    counted: dict[str, int] = {}
    for operation in calls.operations:
        counted[operation] = counted.get(operation, 0) + 1
    return {"seconds": seconds, "dynamodb": timer.seconds, "size": len(response.body), "units": calls.read_units,
            "ops": ", ".join(f"{name} {n}" for name, n in sorted(counted.items()))}


def measure() -> list[tuple[str, str, str]]:
    from chalicelib.bootstrap import get_deps

    with local_aws():
        client, calls = app_client()
        from bench.local_aws import ADMIN

        assert client.http.put("/api/v1/admin/policy", headers=ADMIN, body="{}").status_code == 200
        now = datetime.now(UTC)
        returns = _returns(now)
        dynamodb = get_deps().orders._client  # type: ignore[attr-defined]
        fill_seconds = _fill(calls.peek, returns)  # uncounted: the fill is not what is measured
        headers = _owner_cookie()
        timer = CallTime(dynamodb)
        page = _ask(client, calls, timer, "/console/reports", headers)
        today = now.date()
        csv = _ask(client, calls, timer,
                   f"/console/reports/returns.csv?from={today - timedelta(days=29)}&to={today}", headers)
    rows = [(f"console reports: fill {RETURNS:,} returns (BatchWriteItem over HTTP)",
             f"{fill_seconds:.1f} s", "-")]
    for what, run in (("reports page (last 30 days)", page), ("returns CSV (30 days)", csv)):
        rows += [
            (f"console {what}, {RETURNS:,} returns: server time", f"{run['seconds']:,.1f} s", "-"),
            ("  of which waiting for DynamoDB calls (moto encoding every item; not DynamoDB's time)",
             f"{run['dynamodb']:,.1f} s", "-"),
            ("  of which the app's own work (decode, sum, render)",
             f"{run['seconds'] - run['dynamodb']:,.1f} s", "-"),
            (f"  DynamoDB calls and read units ({run['size'] / 1024:,.0f} KB answer)",
             f"{run['ops']}; {run['units']:,.1f} read units", "no Scan"),
        ]
    return rows


if __name__ == "__main__":
    for row in measure():
        print(*row, sep="  |  ")
