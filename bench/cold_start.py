"""Cold import of app.py in a fresh interpreter, against importing every runtime library."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7

EAGER = (
    "import chalice.app, boto3, jinja2, pydantic, stripe, "
    "reportlab.pdfgen.canvas, reportlab.graphics.barcode.code128"
)
APP = (
    "import sys, app; "
    "heavy = [m for m in ('stripe', 'reportlab') if m in sys.modules]; "
    "print(','.join(heavy) or 'none')"
)


# A Lambda's first request: import app.py, then one shopper lookup through Chalice's test client
# against the local DynamoDB (the parent seeds one order and points the child at the server).
APP_AND_LOOKUP = (
    "import json, app; from chalice.test import Client; "
    "c = Client(app.app, stage_name='local'); "
    "r = c.http.post('/api/v1/lookup', headers={'Content-Type': 'application/json'}, "
    "body=json.dumps({'order_number': 'C0001', 'email': 'shopperC0001@example.com'})); "
    "assert r.status_code == 200, r.body; "
    "import sys; print(','.join(m for m in ('stripe', 'reportlab') if m in sys.modules) or 'none')"
)


def _time(code: str) -> tuple[float, str]:
    env = dict(os.environ, RETOUR_STAGE="local", PYTHONDONTWRITEBYTECODE="1")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()  # the app logs JSON lines to stdout too
    return time.perf_counter() - started, (lines[-1] if lines else "")


def _median(code: str) -> tuple[float, str]:
    _time(code)  # the first run fills the OS page cache and writes no bytecode
    samples = [_time(code) for _ in range(RUNS)]
    return statistics.median(s for s, _ in samples), samples[-1][1]


def measure() -> list[tuple[str, str, str]]:
    """Rows of (what, figure, goal)."""
    baseline, _ = _median("pass")
    app_time, heavy = _median(APP)
    eager_time, _ = _median(EAGER)
    app_ms = (app_time - baseline) * 1000
    eager_ms = (eager_time - baseline) * 1000
    from bench.local_aws import app_client, local_aws, put_policy_and_orders

    with local_aws():
        client, _ = app_client()
        put_policy_and_orders(client, ["C0001"])
        lookup_time, lookup_heavy = _median(APP_AND_LOOKUP)
    lookup_ms = (lookup_time - baseline) * 1000
    return [
        ("cold start: import app.py + one lookup on the local DynamoDB (median of 7)", f"{lookup_ms:.0f} ms", "-"),
        ("cold start / eager import of the six libraries", f"{lookup_ms / eager_ms:.2f}", "< 0.4"),
        ("stripe or reportlab loaded by the cold lookup", lookup_heavy, "none"),
        ("cold import of app.py (median of 7, interpreter start excluded)", f"{app_ms:.0f} ms", "-"),
        ("eager import of the six runtime libraries", f"{eager_ms:.0f} ms", "-"),
        ("app.py import alone / eager", f"{app_ms / eager_ms:.2f}", "-"),
        ("stripe or reportlab loaded by importing app.py", heavy, "none"),
    ]
