"""Cold start of the API function, on demand and with SnapStart, side by side in one run.

Each child runs the app as the Lambda runtime does: from a copy of the deployment's files with
their bytecode (infra/add_bytecode.py ships .pyc in the zip), with the stage's environment
variables set (.chalice/config.json), and with one API Gateway event handed straight to
`app.app(event, context)`, against the local DynamoDB.

- On demand: the interpreter imports app.py and answers one shopper lookup; a shopper waits for
  all of it.
- SnapStart: the init (import app.py, which primes: chalicelib/web/snapstart.py) runs once per
  published version and is snapshotted; a shopper waits only for the restore (Lambda's, not
  measurable here: docs/deploy.md says where to read it) and the first request after it, timed
  here inside the child after the snapshot hooks have run.
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

CONTEXT = (
    "from types import SimpleNamespace; "
    "context = SimpleNamespace(function_name='retour-local', memory_limit_in_mb=512, "
    "aws_request_id='c6af9ac6-7b61-11e6-9a41-93e8deadbeef'); "
)

# On demand: import app.py, then one shopper lookup (the parent seeds the order).
ON_DEMAND = (
    "import json, app; " + CONTEXT +
    f"event = json.loads({json.dumps(LOOKUP_EVENT)!r}); "
    "r = app.app(event, context); assert r['statusCode'] == 200, r"
)

# SnapStart: the init (timed by the parent, as on demand), then the snapshot's hooks, then the
# first request after the restore, timed here; a second request gives the warm figure.
SNAPSTART = (
    "import json, time, app; " + CONTEXT +
    "from snapshot_restore_py import get_after_restore, get_before_snapshot\n"
    "for hook, a, k in get_before_snapshot() + get_after_restore(): hook(*a, **k)\n"
    f"event = json.loads({json.dumps(LOOKUP_EVENT)!r})\n"
    "started = time.perf_counter(); r = app.app(event, context); first = time.perf_counter() - started\n"
    "assert r['statusCode'] == 200, r\n"
    "started = time.perf_counter(); app.app(event, context); warm = time.perf_counter() - started\n"
    "print(json.dumps({'first': first, 'warm': warm}))"
)
INIT_ONLY = "import app"


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


def _time(code: str, cwd: Path, **extra: str) -> tuple[float, str]:
    env = dict(os.environ, **stage_environment(), PYTHONDONTWRITEBYTECODE="1", **extra)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()  # the app logs JSON lines to stdout too
    return time.perf_counter() - started, (lines[-1] if lines else "")


def _median(code: str, cwd: Path, **extra: str) -> tuple[float, list[str]]:
    _time(code, cwd, **extra)  # the first run fills the OS page cache and writes no bytecode
    samples = [_time(code, cwd, **extra) for _ in range(RUNS)]
    return statistics.median(s for s, _ in samples), [out for _, out in samples]


def measure() -> list[tuple[str, str, str]]:
    """Rows of (what, figure, goal)."""
    from bench.local_aws import app_client, local_aws, put_policy_and_orders

    snapstart = {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
    with tempfile.TemporaryDirectory(prefix="retour-cold-") as tmp:
        root = task_root(Path(tmp))
        with local_aws():
            client, _ = app_client()
            put_policy_and_orders(client, ["C0001"])
            baseline, _ = _median("pass", root)
            on_demand, _ = _median(ON_DEMAND, root)
            init_on_demand, _ = _median(INIT_ONLY, root)
            init_snapshotted, _ = _median(INIT_ONLY, root, **snapstart)
            _, outputs = _median(SNAPSTART, root, **snapstart)
    after_restore = statistics.median(json.loads(out)["first"] for out in outputs) * 1000
    warm = statistics.median(json.loads(out)["warm"] for out in outputs) * 1000
    on_demand_ms = (on_demand - baseline) * 1000
    return [
        (f"on demand: import app.py + first lookup, a shopper waits (median of {RUNS})", f"{on_demand_ms:.0f} ms", "-"),
        ("SnapStart: first lookup after a restore, a shopper waits (plus Lambda's restore)",
         f"{after_restore:.0f} ms", "-"),
        ("SnapStart first request / on-demand cold start", f"{after_restore / on_demand_ms:.2f}", "< 0.2"),
        ("warm lookup, for comparison", f"{warm:.0f} ms", "-"),
        ("init without SnapStart: import app.py (the jobs' cold start)",
         f"{(init_on_demand - baseline) * 1000:.0f} ms", "-"),
        ("SnapStart init: import app.py + priming, once per version, snapshotted",
         f"{(init_snapshotted - baseline) * 1000:.0f} ms", "< 10000 ms"),
    ]


if __name__ == "__main__":
    for what, figure, goal in measure():
        print(f"{what:<80} {figure:>10}   goal {goal}")
