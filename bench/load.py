"""A bounded load run on the local stack (`python -m devstack.run` on free loopback ports):
lookups and return creations from a few threads for a fixed time, then the Lambda concurrency
the season peak needs from the measured time per request."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.local_aws import an_order, percentile

ROOT = Path(__file__).resolve().parent.parent
THREADS = 4
SECONDS = 20.0
ORDERS = 400
# The season we design for (issue 10): 300 lookups/s sustained, bursts of 1,000/s.
SUSTAINED, BURST = 300, 1000


def _http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any, float]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    elapsed = time.perf_counter() - started
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:  # a page, not JSON
        parsed = None
    return status, parsed, elapsed


def _run(work: Any, seconds: float) -> tuple[int, int, list[float]]:
    """Call `work(i)` from THREADS threads until `seconds` pass: (done, failed, latencies)."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    failures = [0]
    counter = iter(range(10**9))
    lock = threading.Lock()

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next(counter)
            ok, elapsed = work(i)
            with lock:
                latencies.append(elapsed)
                failures[0] += 0 if ok else 1

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), failures[0], latencies


def measure() -> list[tuple[str, str, str]]:
    from devstack.processes import free_port

    ports = {"RETOUR_APP_PORT": free_port(), "RETOUR_AWS_PORT": free_port(), "RETOUR_STRIPE_PORT": free_port()}
    env = {**os.environ, **{k: str(v) for k, v in ports.items()}, "RETOUR_AUTORELOAD": "0",
           "RETOUR_LOOKUP_LIMIT": "100000000"}
    log = open(os.devnull, "wb")  # noqa: SIM115 - closed below
    stack = subprocess.Popen([sys.executable, "-m", "devstack.run"], cwd=ROOT, env=env,
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{ports['RETOUR_APP_PORT']}"
    admin = {"Authorization": "Bearer local-admin-key"}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _http("GET", base + "/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or stack.poll() is not None:
                raise RuntimeError("the local stack did not start")
            time.sleep(0.5)
        numbers = [f"G{i:05d}" for i in range(ORDERS)]
        for number in numbers:
            assert _http("PUT", f"{base}/api/v1/admin/orders/{number}", an_order(number, quantity=1000), admin)[0] in (200, 201)

        def one_lookup(i: int) -> tuple[bool, float]:
            number = numbers[i % ORDERS]
            status, _, elapsed = _http("POST", base + "/api/v1/lookup",
                                       {"order_number": number, "email": f"shopper{number}@example.com"})
            return status == 200, elapsed

        tokens = {}
        for number in numbers:
            tokens[number] = _http("POST", base + "/api/v1/lookup",
                                   {"order_number": number, "email": f"shopper{number}@example.com"})[1]["token"]

        def one_create(i: int) -> tuple[bool, float]:
            number = numbers[i % ORDERS]
            status, _, elapsed = _http(
                "POST", base + "/api/v1/returns",
                {"order_number": number, "resolution": "refund",
                 "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small"}]},
                {"Authorization": f"Bearer {tokens[number]}"})
            return status == 201, elapsed

        looked, lookup_failed, lookup_times = _run(one_lookup, SECONDS)
        created, create_failed, create_times = _run(one_create, SECONDS)
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait()
        log.close()
    median_lookup = sorted(lookup_times)[len(lookup_times) // 2]
    # Little's law: concurrent executions = arrival rate x time per request. The local time is
    # an upper bound for Lambda's (moto serves one request at a time behind a lock).
    return [
        (f"load: lookups, {THREADS} threads for {SECONDS:.0f} s (local stack, loopback)",
         f"{looked / SECONDS:.1f}/s, p99 {percentile(lookup_times, 0.99) * 1000:.0f} ms, {lookup_failed} failed", "-"),
        (f"load: return creations, {THREADS} threads for {SECONDS:.0f} s",
         f"{created / SECONDS:.1f}/s, p99 {percentile(create_times, 0.99) * 1000:.0f} ms, {create_failed} failed", "-"),
        (f"Lambda concurrency for {SUSTAINED} lookups/s (median {median_lookup * 1000:.0f} ms each)",
         f"{math.ceil(SUSTAINED * median_lookup)}", "account default 1,000"),
        (f"Lambda concurrency for bursts of {BURST} lookups/s",
         f"{math.ceil(BURST * median_lookup)}", "account default 1,000"),
    ]


if __name__ == "__main__":
    for row in measure():
        print(*row, sep="  |  ")
