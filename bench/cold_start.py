"""Cold start of the Lambda in a fresh interpreter, against importing every runtime library.

The child runs the app as the Lambda runtime does: from a copy of the deployment's files with
their bytecode (infra/add_bytecode.py ships .pyc in the zip), with the stage's environment
variables set (.chalice/config.json), and with one API Gateway event handed straight to
`app.app(event, context)`. Chalice's test client is not in the child: importing it loads
chalice.cli, botocore's client and an interactive-prompt library (~250 ms) that no Lambda ever
loads, and compiling our own modules from source each run (~100 ms) is a cost the zip's
bytecode spares the Lambda.
"""

from __future__ import annotations

import compileall
import json
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
STAGE = "local"

EAGER = (
    "import chalice.app, boto3, jinja2, pydantic, stripe, "
    "reportlab.pdfgen.canvas, reportlab.graphics.barcode.code128"
)
APP = (
    "import sys, app; "
    "heavy = [m for m in ('stripe', 'reportlab') if m in sys.modules]; "
    "print(','.join(heavy) or 'none')"
)

# What API Gateway (REST API, Lambda proxy integration) sends for a shopper's lookup.
LOOKUP_EVENT = {
    "resource": "/api/v1/lookup",
    "path": "/api/v1/lookup",
    "httpMethod": "POST",
    "headers": {"content-type": "application/json", "host": "retour.example"},
    "multiValueHeaders": {"content-type": ["application/json"], "host": ["retour.example"]},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/api/v1/lookup", "httpMethod": "POST", "path": f"/{STAGE}/api/v1/lookup",
        "stage": STAGE, "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "identity": {"sourceIp": "192.0.2.10"},
    },
    "body": json.dumps({"order_number": "C0001", "email": "shopperC0001@example.com"}),
    "isBase64Encoded": False,
}

# A Lambda's first request: import app.py, then one shopper lookup against the local DynamoDB
# (the parent seeds one order and points the child at the server).
APP_AND_LOOKUP = (
    "import json, sys, app; from types import SimpleNamespace; "
    f"event = json.loads({json.dumps(LOOKUP_EVENT)!r}); "
    "context = SimpleNamespace(function_name='retour-local', memory_limit_in_mb=512, "
    "aws_request_id='c6af9ac6-7b61-11e6-9a41-93e8deadbeef'); "
    "r = app.app(event, context); "
    "assert r['statusCode'] == 200, r; "
    "print(','.join(m for m in ('stripe', 'reportlab') if m in sys.modules) or 'none')"
)


def stage_environment(stage: str = STAGE) -> dict[str, str]:
    """The environment variables Chalice gives the stage's functions (.chalice/config.json)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return {**config.get("environment_variables", {}),
            **config["stages"][stage].get("environment_variables", {})}


def task_root(into: Path) -> Path:
    """The files a deployment puts beside app.py, compiled as the zip ships them."""
    shutil.copy2(ROOT / "app.py", into / "app.py")
    shutil.copytree(ROOT / "chalicelib", into / "chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(ROOT / "templates", into / "templates")  # the vendor/templates link
    compileall.compile_dir(into, quiet=2, workers=0,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return into


def _time(code: str, cwd: Path) -> tuple[float, str]:
    env = dict(os.environ, **stage_environment(), PYTHONDONTWRITEBYTECODE="1")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()  # the app logs JSON lines to stdout too
    return time.perf_counter() - started, (lines[-1] if lines else "")


def _median(code: str, cwd: Path) -> tuple[float, str]:
    _time(code, cwd)  # the first run fills the OS page cache and writes no bytecode
    samples = [_time(code, cwd) for _ in range(RUNS)]
    return statistics.median(s for s, _ in samples), samples[-1][1]


def measure() -> list[tuple[str, str, str]]:
    """Rows of (what, figure, goal)."""
    from bench.local_aws import app_client, local_aws, put_policy_and_orders

    with tempfile.TemporaryDirectory(prefix="retour-cold-") as tmp:
        root = task_root(Path(tmp))
        baseline, _ = _median("pass", root)
        app_time, heavy = _median(APP, root)
        eager_time, _ = _median(EAGER, root)
        with local_aws():
            client, _ = app_client()
            put_policy_and_orders(client, ["C0001"])
            lookup_time, lookup_heavy = _median(APP_AND_LOOKUP, root)
    app_ms = (app_time - baseline) * 1000
    eager_ms = (eager_time - baseline) * 1000
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


if __name__ == "__main__":
    for what, figure, goal in measure():
        print(f"{what:<80} {figure:>10}   goal {goal}")
