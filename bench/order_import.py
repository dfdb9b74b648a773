"""DynamoDB calls of one order import, counted on the wire against the local DynamoDB."""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

from chalicelib.bootstrap import aws_client, build_deps
from chalicelib.services.import_order import import_order
from chalicelib.settings import Settings
from chalicelib.web.schemas.orders import OrderIn
from devstack.processes import free_port, start_server
from devstack.tables import ensure_table

ORDER = {
    "number": "B-1", "email": "bench@example.com", "customer_name": "Bench Mark", "locale": "en",
    "currency": "USD", "placed_at": "2026-11-01T10:00:00Z", "delivered_at": "2026-11-03T09:00:00Z",
    "shipping_address": {"name": "Bench Mark", "line1": "1 Main St", "city": "Springfield",
                         "postal_code": "12345", "country": "US"},
    # Paid outside Stripe: an import asks Stripe about a PaymentIntent (it must pay for the
    # order), and these figures are about DynamoDB (bench/return_life.py pays on localstripe).
    "payment": {"provider": "other", "payment_intent": None},
    "shipping_total": 500,
    "lines": [{"id": f"L{i}", "sku": f"SKU-{i}", "title": f"Item {i}", "quantity": 1,
               "unit_price": 2500, "tax": 200} for i in range(5)],
}


def _count_calls(client: Any) -> Counter[str]:
    calls: Counter[str] = Counter()
    client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.update([model.name])
    )
    return calls


def measure() -> list[tuple[str, str, str]]:
    """Rows of (what, figure, goal)."""
    port = free_port()
    server = start_server("devstack.aws_server", port)
    try:
        settings = Settings.from_env({
            "RETOUR_STAGE": "local", "RETOUR_AWS_ENDPOINT_URL": server.url,
            "RETOUR_TABLE_NAME": "bench-orders", **{k: v for k, v in os.environ.items() if k == "AWS_REGION"},
        })
        ensure_table(aws_client(settings, "dynamodb"), settings.table_name)
        deps = build_deps(settings)
        calls = _count_calls(deps.orders._client)  # type: ignore[attr-defined]
        rows = []
        for label, document in (
            ("import of a new order", ORDER),
            ("import of the same order again", ORDER),
            ("import of a changed order", dict(ORDER, customer_name="Bench Changed")),
        ):
            calls.clear()
            started = time.perf_counter()
            import_order(deps, OrderIn.model_validate(document).to_domain())
            elapsed = (time.perf_counter() - started) * 1000
            summary = ", ".join(f"{n} {name}" for name, n in sorted(calls.items()))
            rows.append((f"DynamoDB calls: {label}", f"{sum(calls.values())} ({summary})", "<= 2"))
            rows.append((f"  time on the local DynamoDB: {label}", f"{elapsed:.1f} ms", "-"))
        return rows
    finally:
        server.stop()
