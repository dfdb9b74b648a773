"""Lookup latency with 1,000 orders in the table and with many more: no access path may grow
with the table. Orders are loaded with BatchWriteItem straight into the local server."""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from bench.local_aws import TABLE, an_order, app_client, local_aws, lookup, put_policy_and_orders

SMALL = 1_000
TARGET = 200_000
# The local server is one process writing one request at a time: the load gets this long at most.
LOAD_BUDGET_SECONDS = 60.0
LOOKUPS = 40



def _load(dynamodb: Any, template: dict[str, Any], start: int, count: int) -> float:
    """Copy `template` (a stored order item) to `count` new order numbers; seconds taken."""
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for i in range(start, start + count):
        number = f"S{i:07d}"
        item = dict(template)
        item["pk"] = {"S": f"ORDER#{number}"}
        item["number"] = {"S": number}
        item["gsi1pk"] = {"S": f"CUSTOMER#{i:032x}"}
        item["gsi2sk"] = {"S": f"{template['placed_at']['S']}#{number}"}
        item["gsi1sk"] = {"S": f"ORDER#{template['placed_at']['S']}#{number}"}
        batch.append({"PutRequest": {"Item": item}})
        if len(batch) == 25:
            _write(dynamodb, batch)
            batch = []
    if batch:
        _write(dynamodb, batch)
    return time.perf_counter() - started


def _write(dynamodb: Any, batch: list[dict[str, Any]]) -> None:
    pending = {TABLE: batch}
    while pending:
        pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


class OperationTimes:
    """Seconds spent in each DynamoDB operation (botocore hooks), to see which call grows."""

    def __init__(self, dynamodb: Any) -> None:
        self.seconds: dict[str, float] = {}
        self.count: dict[str, int] = {}
        dynamodb.meta.events.register("before-call.dynamodb", self._before)
        dynamodb.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        context["bench_started"] = time.perf_counter()

    def _after(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        key = model.name
        self.seconds[key] = self.seconds.get(key, 0.0) + time.perf_counter() - context.get("bench_started", 0.0)
        self.count[key] = self.count.get(key, 0) + 1

    def reset(self) -> None:
        self.seconds.clear()
        self.count.clear()

    def summary(self) -> str:
        return ", ".join(f"{k} {self.seconds[k] / self.count[k] * 1000:.1f} ms"
                         for k in sorted(self.seconds, key=lambda k: -self.seconds[k]))


def _lookup_latency(client: Any, numbers: list[str]) -> float:
    samples = []
    for number in numbers:
        started = time.perf_counter()
        response = lookup(client, number)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.body
    return statistics.median(samples)


def measure() -> list[tuple[str, str, str]]:
    from chalicelib.bootstrap import get_deps

    with local_aws():
        client, _ = app_client()
        probes = [f"P{i:04d}" for i in range(20)]
        put_policy_and_orders(client, probes)
        dynamodb = get_deps().orders._client  # type: ignore[attr-defined]
        template = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "ORDER#P0000"}, "sk": {"S": "ORDER"}},
                                     ConsistentRead=True)["Item"]
        # The email on the copies does not matter: lookups go to the probes, whose data is real.
        small_seconds = _load(dynamodb, template, 0, SMALL - len(probes))
        rate = (SMALL - len(probes)) / small_seconds
        asked = [random.Random(i).choice(probes) for i in range(LOOKUPS)]
        _lookup_latency(client, probes)  # warm
        times = OperationTimes(dynamodb)
        small = _lookup_latency(client, asked)
        small_ops = times.summary()
        large_n = min(TARGET, SMALL + int(rate * LOAD_BUDGET_SECONDS) // 1000 * 1000)
        load_seconds = _load(dynamodb, template, SMALL, large_n - SMALL)
        times.reset()
        large = _lookup_latency(client, asked)
        large_ops = times.summary()
    label = f"{large_n:,}" + ("" if large_n == TARGET else
                              f" (not 200,000: ~{TARGET / rate / 60:.0f} min to load into the local server)")
    return [
        ("BatchWriteItem load rate into the local server", f"{rate:,.0f} orders/s ({load_seconds:.0f} s for {large_n - SMALL:,})", "-"),
        (f"lookup median with {SMALL:,} orders", f"{small * 1000:.1f} ms", "-"),
        ("  time per DynamoDB call (local server)", small_ops, "-"),
        (f"lookup median with {label} orders", f"{large * 1000:.1f} ms", "-"),
        ("  time per DynamoDB call (local server)", large_ops, "-"),
        (f"lookup latency ratio {large_n:,} / {SMALL:,} orders (moto: a GSI Query walks every item)",
         f"{large / small:.2f}", "< 1.2"),
    ]


if __name__ == "__main__":
    for row in measure():
        print(*row, sep="  |  ")
