"""The console inbox's server time, DynamoDB calls and read units with 10,000 returns in the table.

One real return is made through the API (lookup, create) and its stored item copied 9,999 times
with BatchWriteItem over HTTP, each copy with its own RMA, shopper, order, status, reason and
times, index keys included, so the indexes hold what 10,000 returns of a store would give them:
mostly closed (refunded, credited, declined...), some hundreds open, 300 waiting for a decision.
Each page is then asked through Chalice's test client (local stage, signed in as an agent): the
time is the app's whole answer (session check, policy read, Queries, render) with the local
DynamoDB, first without the capacity recorder, then once more with it for the calls and units.
"""

from __future__ import annotations

import html
import re
import secrets
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.local_aws import TABLE, app_client, create_return, item_size, local_aws, lookup, put_policy_and_orders

RETURNS = 10_000
# How the copies spread over the statuses (the rest are refunded).
SPREAD = {"pending_approval": 300, "approved": 900, "received": 150, "refunding": 10, "refund_failed": 40,
          "credited": 1_500, "rejected": 400, "cancelled": 300, "expired": 200}
REASONS = ("too_small", "too_large", "changed_mind", "not_as_described", "wrong_item", "damaged")
RUNS = 7


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _copies(template: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """`count` copies of the stored return `template`, spread over statuses, shoppers, orders and reasons."""
    from chalicelib.adapters.dynamodb_items import email_key
    from chalicelib.domain.return_request import rma_from_bits

    statuses = [status for status, n in SPREAD.items() for _ in range(n)]
    statuses += ["refunded"] * (count - len(statuses))
    now = datetime.now(UTC)
    taken: set[str] = {template["rma"]["S"]}
    items = []
    for i in range(count):
        rma = rma_from_bits(secrets.randbits(40))
        while rma in taken:
            rma = rma_from_bits(secrets.randbits(40))
        taken.add(rma)
        status = statuses[i]
        # Waiting ones from the last two days, the others over the last half year.
        created = now - timedelta(minutes=(i % 2_880) if status == "pending_approval" else 60 + i * 26)
        changed = created if status == "pending_approval" else created + timedelta(hours=30)
        email, number = f"shopper{i % 2_500}@example.com", f"B{i // 2:06d}"
        reason = REASONS[i % len(REASONS)] if i % 7 else "damaged"
        item = dict(template)
        item.update({
            "pk": {"S": f"RETURN#{rma}"}, "rma": {"S": rma}, "status": {"S": status},
            "customer_email": {"S": email}, "order_number": {"S": number},
            "created_at": {"S": _stamp(created)}, "status_changed_at": {"S": _stamp(changed)},
            "gsi1pk": {"S": f"CUSTOMER#{email_key(email)}"}, "gsi1sk": {"S": f"RETURN#{_stamp(created)}#{rma}"},
            "gsi2pk": {"S": f"RETURNS#{status}"}, "gsi2sk": {"S": f"{_stamp(changed)}#{rma}"},
            "gsi3pk": {"S": f"ORDER#{number}"}, "gsi3sk": {"S": f"RETURN#{_stamp(created)}#{rma}"},
            "lines": {"L": [{"M": {**line["M"], "reason": {"S": reason}}} for line in template["lines"]["L"]]},
        })
        items.append(item)
    return items


def _load(dynamodb: Any, items: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for first in range(0, len(items), 25):
        pending = {TABLE: [{"PutRequest": {"Item": item}} for item in items[first:first + 25]]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return time.perf_counter() - started


class CallTimes:
    """Seconds the app waits on its DynamoDB calls (botocore hooks on the app's client).

    The local server's Query reads its whole index partition before it applies Limit
    (devstack/moto_query.py), so a page of a 6,000-return status waits seconds here where
    DynamoDB reads only the entries it returns: the app's own time (the answer's time less these
    waits) is the figure that carries over, with the calls and read units.
    """

    def __init__(self, endpoint: str) -> None:
        from chalicelib.bootstrap import get_deps

        self.seconds = 0.0
        client = get_deps().orders._client  # type: ignore[attr-defined]
        assert client.meta.endpoint_url == endpoint
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, context: dict[str, Any], **_: Any) -> None:
        context["inbox_bench_started"] = time.perf_counter()

    def _after(self, context: dict[str, Any], **_: Any) -> None:
        self.seconds += time.perf_counter() - context.get("inbox_bench_started", time.perf_counter())


def _signed_in() -> dict[str, str]:
    """A browser signed in to the console as an agent (a stored session and its cookie)."""
    from chalicelib.bootstrap import get_deps
    from chalicelib.domain.staff import ConsoleSession, Role
    from chalicelib.web.console.visit import COOKIE, SESSION_PURPOSE, SESSION_TTL

    deps = get_deps()
    now = deps.clock.now()
    session = ConsoleSession(session_id=secrets.token_urlsafe(24), email="agent@retour.local", role=Role.AGENT,
                             locale="en", created_at=now, expires_at=now + SESSION_TTL, address="127.0.0.1")
    deps.console_sessions.open(session)
    token = deps.tokens.issue(f"agent@retour.local\n{session.session_id}", purpose=SESSION_PURPOSE, now=now,
                              ttl=SESSION_TTL)
    return {"Cookie": f"{COOKIE}={token}"}


def _next_link(body: bytes) -> str:
    found = re.search(r'href="/console([^"]*)" rel="next"', body.decode())
    assert found, "the inbox's first page links the next"
    return html.unescape(found.group(1))


def measure() -> list[tuple[str, str, str]]:
    with local_aws():
        client, calls = app_client()
        put_policy_and_orders(client, ["B0"])
        token = lookup(client, "B0").json_body["token"]
        made = create_return(client, token, "B0")
        assert made.status_code == 201, made.body
        dynamodb = calls.peek
        template = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": f"RETURN#{made.json_body['rma']}"},
                                                          "sk": {"S": "RETURN"}})["Item"]
        copies = _copies(template, RETURNS - 1)
        seconds = _load(dynamodb, copies)
        headers = _signed_in()
        first = client.http.get("/console", headers=headers)
        assert first.status_code == 200, first.body
        shopper = copies[3]["customer_email"]["S"]
        pages = {
            "inbox, first page (25 waiting; 4 open statuses counted, 5 of each shown)": "",
            "inbox, second page": _next_link(first.body),
            "one open status: approved, oldest first": "?status=approved",
            "a closed status with a reason filter: refunded + damaged": "?status=refunded&reason=damaged",
            "a filter nothing matches: refunded, created over a year ago (the whole read budget)":
                f"?status=refunded&to={_stamp(datetime.now(UTC) - timedelta(days=400))[:10]}",
            "search by email": f"?q={shopper}",
            "search by order number": f"?q={copies[3]['order_number']['S']}",
            "search by RMA": f"?q={copies[3]['rma']['S']}",
        }
        waits = CallTimes(calls.peek.meta.endpoint_url)
        times: dict[str, list[tuple[float, float]]] = {}
        for name, query in pages.items():
            for run in range(RUNS + 2):
                waits.seconds = 0.0
                started = time.perf_counter()
                response = client.http.get(f"/console{query}", headers=headers)
                if run >= 2:  # two warm-up answers per page, uncounted
                    times.setdefault(name, []).append((time.perf_counter() - started, waits.seconds))
                assert response.status_code == 200, (query, response.status_code)
        # Once more with the recorder: the calls and read units of each page.
        costs: dict[str, tuple[str, float]] = {}
        for name, query in pages.items():
            calls.reset()
            client.http.get(f"/console{query}", headers=headers)
            counted = Counter(calls.operations)
            costs[name] = (", ".join(f"{n} {op}" for op, n in sorted(counted.items())), calls.read_units)
        entry = statistics.median(item_size(item) for item in copies[:500])
    rows = [
        (f"inbox: {RETURNS:,} returns in the table (copies loaded with BatchWriteItem)",
         f"{(RETURNS - 1) / seconds:,.0f} returns/s; a return item {entry / 1024:.1f} KB", "-"),
    ]
    for name, samples in times.items():
        operations, units = costs[name]
        total = statistics.median(seconds for seconds, _ in samples)
        own = statistics.median(seconds - waiting for seconds, waiting in samples)
        rows.append((f"inbox page: {name}, median of {RUNS} (test client, local DynamoDB)",
                     f"{total * 1000:.0f} ms, of which the app's own {own * 1000:.0f} ms; {operations} (the "
                     f"session's GetItem included); {units:g} read units", "no Scan"))
    return rows


if __name__ == "__main__":
    for row in measure():
        print(*row, sep="  |  ")
