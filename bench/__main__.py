"""`make bench`: every benchmark, printed as one table of figures next to their goals, and
written to docs/benchmarks.md with the machine and date."""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

# Each module has measure() -> [(what, figure, goal)]; a failing one is reported, not fatal.
MODULES = ("bench.cold_start", "bench.warm_paths", "bench.return_life", "bench.exchange_life", "bench.scale", "bench.load",
           "bench.order_import", "bench.judging", "bench.labels", "bench.package", "bench.console_inbox",
           "bench.console_reports")
REPORT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.1f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs{memory}; Python {platform.python_version()}, "
            f"{platform.platform(terse=True)}")


def calibration() -> str:
    """How fast this machine runs plain Python right now: shared machines vary by 2x from hour to
    hour, and absolute times (label render, cold start) are only comparable across runs with it."""
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        samples.append(time.perf_counter() - started)
    return f"1,000,000 Python integer additions in {min(samples) * 1000:.0f} ms (best of 5; lower is faster)"


def write_report(rows: list[tuple[str, str, str]], timings: list[tuple[str, float]], speed: str) -> None:
    per_module = ", ".join(f"{name.removeprefix('bench.')} {seconds:.0f} s" for name, seconds in timings)
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`, each benchmark in a fresh interpreter); run it again",
        "to refresh. Local figures: the app in-process (an API Gateway event, or Chalice's test client)",
        "or as Chalice local, DynamoDB/S3/SES/SQS in moto (one request at a time), so absolute times are",
        "upper bounds for Lambda + DynamoDB; call counts, capacity units and ratios are what carry over.",
        "Capacity is counted by DynamoDB's published rules (bench/local_aws.py); docs/data-model.md says",
        "where a return's write units go.",
        "",
        f"- machine: {machine()}",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- CPU calibration at the start: {speed}",
        f"- run time per module: {per_module}",
        "",
        "| what | figure | goal |",
        "|---|---|---|",
    ]
    lines += [f"| {w.strip().replace('|', '/')} | {f.replace('|', '/')} | {g.replace('|', '/')} |" for w, f, g in rows]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")


ROWS_MARK = "BENCH-ROWS "


def measure_alone(name: str) -> list[tuple[str, str, str]]:
    """`name`.measure() in a fresh interpreter: no module's heap, threads or imports weigh on
    the next one's figures (the scale benchmark holds 200,000 items; a Lambda holds none)."""
    code = (f"import json, sys, importlib; rows = importlib.import_module({name!r}).measure(); "
            f"sys.stdout.write('\\n{ROWS_MARK}' + json.dumps(rows) + '\\n')")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=900)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(ROWS_MARK):
            return [(str(w), str(f), str(g)) for w, f, g in json.loads(line[len(ROWS_MARK):])]
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"exit {done.returncode}: {last[:300]}")


def main() -> int:
    speed = calibration()
    print(f"Retour benchmarks on {machine()}\nCPU calibration: {speed}\n")
    rows: list[tuple[str, str, str]] = []
    timings: list[tuple[str, float]] = []
    failed = 0
    for name in MODULES:
        started = time.perf_counter()
        if importlib.util.find_spec(name) is None:
            continue  # not built yet
        try:
            rows.extend(measure_alone(name))
        except RuntimeError as error:  # a benchmark's failure is a figure too
            failed += 1
            rows.append((f"{name} FAILED", str(error), "-"))
        timings.append((name, time.perf_counter() - started))
        print(f"  ({name}: {timings[-1][1]:.1f} s)", file=sys.stderr)
    width = max(len(what) for what, _, _ in rows)
    fig = max(len(figure) for _, figure, _ in rows)
    print(f"{'what'.ljust(width)}  {'figure'.ljust(fig)}  goal")
    for what, figure, goal in rows:
        print(f"{what.ljust(width)}  {figure.ljust(fig)}  {goal}")
    write_report(rows, timings, speed)
    print(f"\nwritten to {REPORT.relative_to(REPORT.parent.parent)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
