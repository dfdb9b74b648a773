"""A whole return's life in DynamoDB read and write units, and what 1,000 returns cost.

Steps through the HTTP API on the local DynamoDB: lookup, create, (approve, for an exception),
label, receive, refund. A step whose route has not landed yet is reported as missing."""

from __future__ import annotations

import json
import time

from bench.local_aws import ADMIN, app_client, create_return, local_aws, lookup, put_policy_and_orders

# Prices (us-east-1, on-demand; AWS price pages as read on 2026-11-23, unchanged since Nov 2024):
# DynamoDB $0.125 per million read request units, $0.625 per million write request units;
# Lambda (x86) $0.20 per million requests and $0.0000166667 per GB-second; 512 MB functions
# (.chalice/config.json). API Gateway REST $3.50 per million calls is listed apart.
RRU_USD = 0.125 / 1e6
WRU_USD = 0.625 / 1e6
LAMBDA_REQUEST_USD = 0.20 / 1e6
LAMBDA_GB_SECOND_USD = 0.0000166667
MEMORY_GB = 0.5
API_GATEWAY_USD = 3.50 / 1e6
RETURNS = 20


def measure() -> list[tuple[str, str, str]]:
    with local_aws():
        client, calls = app_client()
        numbers = [f"X{i:04d}" for i in range(RETURNS)]
        put_policy_and_orders(client, numbers)
        routes = set(__import__("app").app.routes)
        steps: dict[str, list[tuple[float, float, float]]] = {}
        missing: set[str] = set()

        def step(name: str, call: object) -> object:
            calls.reset()
            started = time.perf_counter()
            result = call()  # type: ignore[operator]
            steps.setdefault(name, []).append((calls.read_units, calls.write_units, time.perf_counter() - started))
            return result

        for number in numbers:
            token = step("lookup", lambda n=number: lookup(client, n)).json_body["token"]  # type: ignore[attr-defined]
            created = step("create", lambda n=number, t=token: create_return(client, t, n))
            rma = created.json_body["rma"]  # type: ignore[attr-defined]
            label = step("label", lambda r=rma, t=token: client.http.get(
                f"/api/v1/returns/{r}/label.pdf?size=4x6", headers={"Authorization": f"Bearer {t}"}))
            assert label.status_code == 302, label.body  # type: ignore[attr-defined]
            if "/api/v1/admin/returns/{rma}/receive" in routes:
                received = step("receive", lambda r=rma: client.http.post(
                    f"/api/v1/admin/returns/{r}/receive", headers=ADMIN, body=json.dumps({})))
                assert received.status_code in (200, 202), received.body  # type: ignore[attr-defined]
            else:
                missing.add("receive")
        # The exception path's extra step: a merchant approves a request outside the window.
        if "/api/v1/admin/returns/{rma}/approve" in routes:
            late = ["Y0001"]
            put_policy_and_orders(client, late)
            body = json.loads(json.dumps(__import__("bench.local_aws", fromlist=["an_order"]).an_order("Y0001")))
            from bench.local_aws import days_ago

            body["placed_at"], body["delivered_at"] = days_ago(47), days_ago(45)  # in the grace period
            client.http.put("/api/v1/admin/orders/Y0001", headers=ADMIN, body=json.dumps(body))
            token = lookup(client, "Y0001").json_body["token"]
            pending = create_return(client, token, "Y0001").json_body
            if pending.get("status") == "pending_approval":
                step("approve", lambda: client.http.post(f"/api/v1/admin/returns/{pending['rma']}/approve",
                                                         headers=ADMIN, body=json.dumps({"note": "ok"})))
        else:
            missing.add("approve")
    missing.add("refund")  # the refund job pays through Stripe from the queue: not on this test client

    rows: list[tuple[str, str, str]] = []
    total_r = total_w = total_s = 0.0
    for name, samples in steps.items():
        r = sum(s[0] for s in samples) / len(samples)
        w = sum(s[1] for s in samples) / len(samples)
        seconds = sum(s[2] for s in samples) / len(samples)
        total_r, total_w, total_s = total_r + r, total_w + w, total_s + seconds
        rows.append((f"  {name}: estimated RRU / WRU", f"{r:.1f} / {w:.1f}", "-"))
    rows.insert(0, ("a return's life: steps measured", " + ".join(steps), f"missing: {', '.join(sorted(missing))}"))
    rows.append(("a return's life: read units (steps measured)", f"{total_r:.1f}", "< 10"))
    rows.append(("a return's life: write units (steps measured)", f"{total_w:.1f}", "< 10"))
    dynamodb = 1000 * (total_r * RRU_USD + total_w * WRU_USD)
    lambda_usd = 1000 * len(steps) * (LAMBDA_REQUEST_USD + total_s / len(steps) * MEMORY_GB * LAMBDA_GB_SECOND_USD)
    rows.append(("cost per 1,000 returns: DynamoDB on-demand", f"${dynamodb:.4f}", "-"))
    rows.append(("cost per 1,000 returns: Lambda (512 MB, local time as duration)", f"${lambda_usd:.4f}", "-"))
    rows.append(("cost per 1,000 returns: API Gateway REST", f"${1000 * len(steps) * API_GATEWAY_USD:.4f}", "-"))
    return rows


if __name__ == "__main__":
    for row in measure():
        print(*row, sep="  |  ")
