"""The deployment package: its zipped size, and the cold import from it with and without bytecode."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = "dev"
ZIP = ROOT / "build" / STAGE / "deployment.zip"
RUNS = 5
GOAL_ZIPPED_MB = 15

# The six libraries a request can touch (boto3 ships in the zip, pinned: requirements.txt).
SIX_LIBRARIES = (
    "import chalice.app, boto3, jinja2, pydantic, stripe, "
    "reportlab.pdfgen.canvas, reportlab.graphics.barcode.code128"
)


def _build_package() -> None:
    # `make package` is the build the pipeline ships: measure that, not an approximation.
    subprocess.run(["make", "-s", "package", f"STAGE={STAGE}"], cwd=ROOT, check=True,
                   capture_output=True, text=True)


def _time_import(task_root: Path, code: str) -> float:
    # A fresh interpreter that neither reads nor writes bytecode outside the package's own:
    # PYTHONDONTWRITEBYTECODE keeps the source-only copy source-only from run to run.
    env = dict(os.environ, PYTHONPATH=str(task_root), PYTHONDONTWRITEBYTECODE="1",
               RETOUR_STAGE="local")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=task_root, env=env, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def _median_ms(task_root: Path, code: str) -> float:
    _time_import(task_root, code)  # warms the OS page cache
    baseline = statistics.median(_time_import(task_root, "pass") for _ in range(RUNS))
    runs = [_time_import(task_root, code) for _ in range(RUNS)]
    return (statistics.median(runs) - baseline) * 1000


def measure() -> list[tuple[str, str, str]]:
    """Rows of (what, figure, goal)."""
    _build_package()
    size_mb = ZIP.stat().st_size / 1_000_000
    with tempfile.TemporaryDirectory(prefix="retour-bench-") as tmp:
        with_bytecode = Path(tmp) / "with"
        sources_only = Path(tmp) / "without"
        with zipfile.ZipFile(ZIP) as archive:
            archive.extractall(with_bytecode)
        shutil.copytree(with_bytecode, sources_only,
                        ignore=shutil.ignore_patterns("__pycache__"))
        compiled_ms = _median_ms(with_bytecode, SIX_LIBRARIES)
        source_ms = _median_ms(sources_only, SIX_LIBRARIES)
    return [
        (f"deployment.zip ({STAGE}, with bytecode)", f"{size_mb:.1f} MB", f"< {GOAL_ZIPPED_MB} MB"),
        (f"cold import of the six libraries from the zip, sources only (median of {RUNS})",
         f"{source_ms:.0f} ms", "-"),
        (f"cold import of the six libraries from the zip, with bytecode (median of {RUNS})",
         f"{compiled_ms:.0f} ms", "< sources only"),
    ]


if __name__ == "__main__":
    for what, figure, goal in measure():
        print(f"{what:<80} {figure:>10}   goal {goal}")
