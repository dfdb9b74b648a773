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


def _time(code: str) -> tuple[float, str]:
    env = dict(os.environ, RETOUR_STAGE="local", PYTHONDONTWRITEBYTECODE="1")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout.strip()


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
    return [
        ("cold import of app.py (median of 7, interpreter start excluded)", f"{app_ms:.0f} ms", "-"),
        ("eager import of the six runtime libraries", f"{eager_ms:.0f} ms", "-"),
        ("app.py / eager", f"{app_ms / eager_ms:.2f}", "< 0.4 (import only; issue 10 adds a lookup)"),
        ("stripe or reportlab loaded by importing app.py", heavy, "none"),
    ]
