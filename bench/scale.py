"""Lookup latency with 1,000 orders in the table and with 200,000: no access path may grow with
the table.

The local AWS server runs on a thread of this process: the same app, lock and partition-reading
Query (devstack/moto_query.py) as the stand-alone one. The first 1,000 orders go in with
BatchWriteItem over HTTP. The 200,000-order table is a copy of that table plus 199,000 copies of
an order put straight into moto's table object under the server's lock, since BatchWriteItem over
HTTP manages about 1,000 orders/s and would need minutes; it holds the same items, index keys
included. Both tables are kept and the lookups alternate between them, through the app and over
HTTP to the server as in every other benchmark. The app's client carries no capacity recorder
here, so a lookup's time is its own calls alone.
"""

from __future__ import annotations

import copy
import gc
import logging
import random
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.local_aws import TABLE, lookup, provision_local_stage, put_policy_and_orders

SMALL = 1_000
TARGET = 200_000
# Lookups alternate between the two tables: ROUNDS rounds of PER_ROUND lookups on each.
ROUNDS = 10
PER_ROUND = 8


def _copy(template: dict[str, Any], i: int) -> dict[str, Any]:
    """`template` (a stored order item) as order S{i}, with its own customer in gsi1."""
    number = f"S{i:07d}"
    placed_at = template["placed_at"]["S"]
    # The email on the copies does not matter: lookups go to the probes, whose data is real.
    return {**template, "pk": {"S": f"ORDER#{number}"}, "number": {"S": number},
            "gsi1pk": {"S": f"CUSTOMER#{i:032x}"}, "gsi1sk": {"S": f"ORDER#{placed_at}#{number}"},
            "gsi2sk": {"S": f"{placed_at}#{number}"}}


def _load_over_http(dynamodb: Any, template: dict[str, Any], start: int, count: int) -> float:
    """BatchWriteItem `count` copies of `template`, 25 a request; seconds taken."""
    started = time.perf_counter()
    items = [_copy(template, i) for i in range(start, start + count)]
    for first in range(0, len(items), 25):
        pending = {TABLE: [{"PutRequest": {"Item": item}} for item in items[first:first + 25]]}
        while pending:
            pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return time.perf_counter() - started


def _tables() -> dict[str, Any]:
    """moto's tables by name, on the server in this process."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    tables: dict[str, Any] = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables
    return tables


def _larger_copy(server: Any, template: dict[str, Any], start: int, count: int) -> tuple[Any, float]:
    """A copy of the table as it is, plus `count` copies of `template`; and the seconds the
    copies took. Built holding the server's lock; the server keeps answering from the table as
    it was. Each copy is a deep copy of the template's stored Item with its own keys and index
    keys, put in its partition and in the GSI map as a PutItem would. (moto's Table.put_item does
    the same at ~2,000 items/s, re-measuring the whole item's size for each of its attributes.)"""
    from moto.dynamodb.models.dynamo_type import DynamoType

    from devstack import moto_query

    with server.app.exclusive():
        table = copy.deepcopy(_tables()[TABLE])
        started = time.perf_counter()
        stored = table.get_item(DynamoType(template["pk"]), DynamoType(template["sk"]))
        before = len(table)
        for i in range(start, start + count):
            item = copy.deepcopy(stored)
            for name, value in _copy(template, i).items():
                if value is not template.get(name):
                    dict.__setitem__(item.attrs, name, DynamoType(value))  # short strings: within size
            item.hash_key, item.range_key = item.attrs["pk"], item.attrs["sk"]
            table.items[item.hash_key][item.range_key] = item
            moto_query.reindex(table, (item.hash_key, item.range_key))
        seconds = time.perf_counter() - started
        assert len(table) == before + count
    return table, seconds


@contextmanager
def _local_aws_here() -> Iterator[Any]:
    """bench.local_aws.local_aws(), its server on a thread of this process instead of a child."""
    from devstack.aws_server import serve_in_thread

    server = serve_in_thread()
    # The stand-alone server writes a line per request to its log file; here it would be stderr.
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)
    try:
        client = provision_local_stage(server.url)
        yield server
        # Leave nothing behind for the benchmarks that run after this one in the same process.
        client("dynamodb").delete_table(TableName=TABLE)
    finally:
        server.stop()
        werkzeug_log.setLevel(level)
        # moto keeps a reference to every model object it ever made (for its dashboard): drop
        # them, or the 200,000 items would outlive the table for the rest of `make bench`.
        from moto.core.model_instances import reset_model_data

        reset_model_data()
        gc.unfreeze()
        gc.collect()


def _app_client() -> Any:
    """Chalice's test client on app.py (local stage), with no capacity recorder on its client."""
    from chalice.test import Client

    from app import app
    from chalicelib.bootstrap import get_deps

    client = Client(app, stage_name="local")
    get_deps.cache_clear()
    client.http.get("/")  # the first request builds the container's Deps from the stage's environment
    return client


class OperationTimes:
    """Seconds spent in each DynamoDB operation (botocore hooks) per side, to see which call grows."""

    def __init__(self, dynamodb: Any) -> None:
        self.seconds: dict[str, dict[str, float]] = {}
        self.count: dict[str, dict[str, int]] = {}
        self.side = ""
        dynamodb.meta.events.register("before-call.dynamodb", self._before)
        dynamodb.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        context["bench_started"] = time.perf_counter()

    def _after(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        seconds, count = self.seconds.setdefault(self.side, {}), self.count.setdefault(self.side, {})
        key = model.name
        seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - context.get("bench_started", 0.0)
        count[key] = count.get(key, 0) + 1

    def summary(self, side: str) -> str:
        seconds, count = self.seconds[side], self.count[side]
        return ", ".join(f"{k} {seconds[k] / count[k] * 1000:.1f} ms" for k in sorted(seconds, key=lambda k: -seconds[k]))


def _lookup_times(client: Any, numbers: list[str]) -> list[float]:
    samples = []
    for number in numbers:
        started = time.perf_counter()
        response = lookup(client, number)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.body
    return samples


def measure() -> list[tuple[str, str, str]]:
    from chalicelib.bootstrap import get_deps

    with _local_aws_here() as server:
        client = _app_client()
        probes = [f"P{i:04d}" for i in range(20)]
        put_policy_and_orders(client, probes)
        dynamodb = get_deps().orders._client  # type: ignore[attr-defined]
        template = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "ORDER#P0000"}, "sk": {"S": "ORDER"}},
                                     ConsistentRead=True)["Item"]
        http_seconds = _load_over_http(dynamodb, template, 0, SMALL - len(probes))
        large_table, direct_seconds = _larger_copy(server, template, SMALL, TARGET - SMALL)
        tables = {SMALL: _tables()[TABLE], TARGET: large_table}
        # Both tables stay in memory, and the lookups alternate between them in rounds (the server's
        # entry for the table swapped under its lock, each round in the other order), so the
        # machine's other work and the collector weigh on both sides alike.
        gc.collect()
        gc.freeze()  # the tables' objects stay out of later collections (both sides alike)
        times = OperationTimes(dynamodb)
        samples: dict[int, list[float]] = {SMALL: [], TARGET: []}
        rng = random.Random(10)
        for round_number in range(-1, ROUNDS):
            for size in (SMALL, TARGET) if round_number % 2 == 0 else (TARGET, SMALL):
                with server.app.exclusive():
                    _tables()[TABLE] = tables[size]
                if round_number < 0:  # warm: every probe once on each table, uncounted
                    times.side = ""
                    _lookup_times(client, probes)
                    continue
                times.side = str(size)
                samples[size] += _lookup_times(client, [rng.choice(probes) for _ in range(PER_ROUND)])
        with server.app.exclusive():
            _tables()[TABLE] = tables.pop(SMALL)
        del tables, large_table
    small, large = (statistics.median(samples[size]) for size in (SMALL, TARGET))
    loaded = TARGET - SMALL
    return [
        ("load: BatchWriteItem over HTTP into the local server",
         f"{(SMALL - len(probes)) / http_seconds:,.0f} orders/s ({http_seconds:.1f} s for {SMALL - len(probes):,})", "-"),
        ("load: copies straight into moto's table (server in this process, under its lock)",
         f"{loaded / direct_seconds:,.0f} orders/s ({direct_seconds:.0f} s for {loaded:,})", "-"),
        (f"lookup median with {SMALL:,} orders ({len(samples[SMALL])} lookups)", f"{small * 1000:.1f} ms", "-"),
        ("  time per DynamoDB call (local server)", times.summary(str(SMALL)), "-"),
        (f"lookup median with {TARGET:,} orders ({len(samples[TARGET])} lookups)", f"{large * 1000:.1f} ms", "-"),
        ("  time per DynamoDB call (local server)", times.summary(str(TARGET)), "-"),
        (f"lookup latency ratio {TARGET:,} / {SMALL:,} orders (Query reads one partition, as in DynamoDB)",
         f"{large / small:.2f}", "< 1.2"),
    ]


if __name__ == "__main__":
    for row in measure():
        print(*row, sep="  |  ")
