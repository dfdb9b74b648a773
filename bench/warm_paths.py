"""Warm shopper lookup and return creation through Chalice's test client on the local DynamoDB:
median and p99 server time, DynamoDB calls and (estimated) capacity units per request."""

from __future__ import annotations

import statistics
import time

from bench.local_aws import app_client, create_return, local_aws, lookup, percentile, put_policy_and_orders

RUNS = 100


def measure() -> list[tuple[str, str, str]]:
    with local_aws():
        client, calls = app_client()
        numbers = [f"W{i:05d}" for i in range(RUNS)]
        put_policy_and_orders(client, numbers)
        for _ in range(5):  # warm: templates, pydantic, policy read paths
            assert lookup(client, numbers[0]).status_code == 200
        times: list[float] = []
        tokens: list[str] = []
        calls.reset()
        for number in numbers:
            started = time.perf_counter()
            response = lookup(client, number)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.body
            tokens.append(response.json_body["token"])
        lookup_ops, lookup_rru, lookup_wru = len(calls.operations) / RUNS, calls.read_units / RUNS, calls.write_units / RUNS
        lookup_kinds = sorted(set(calls.operations))
        created: list[float] = []
        calls.reset()
        for number, token in zip(numbers, tokens, strict=True):
            started = time.perf_counter()
            response = create_return(client, token, number)
            created.append(time.perf_counter() - started)
            assert response.status_code == 201, response.body
        create_ops, create_rru, create_wru = len(calls.operations) / RUNS, calls.read_units / RUNS, calls.write_units / RUNS
        create_kinds = sorted(set(calls.operations))
    ms = 1000
    return [
        (f"warm lookup, median / p99 of {RUNS} (test client, local DynamoDB)",
         f"{statistics.median(times) * ms:.1f} / {percentile(times, 0.99) * ms:.1f} ms", "-"),
        ("  DynamoDB calls per lookup", f"{lookup_ops:.1f} ({', '.join(lookup_kinds)})", "-"),
        ("  capacity per lookup (estimated RRU / WRU)", f"{lookup_rru:.1f} / {lookup_wru:.1f}", "-"),
        (f"warm return creation, median / p99 of {RUNS}",
         f"{statistics.median(created) * ms:.1f} / {percentile(created, 0.99) * ms:.1f} ms", "-"),
        ("  DynamoDB calls per creation", f"{create_ops:.1f} ({', '.join(create_kinds)})", "-"),
        ("  capacity per creation (estimated RRU / WRU)", f"{create_rru:.1f} / {create_wru:.1f}", "-"),
    ]


if __name__ == "__main__":
    for row in measure():
        print(*row, sep="  |  ")
