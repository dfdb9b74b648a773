"""`make bench`: every benchmark, printed as one table of figures next to their goals."""

from __future__ import annotations

import importlib
import platform
import sys
import time

# Each module has measure() -> [(what, figure, goal)]; a failing one is reported, not fatal.
MODULES = ("bench.cold_start", "bench.order_import", "bench.judging", "bench.labels", "bench.package")


def main() -> int:
    print(f"Retour benchmarks on {platform.machine()}, {platform.python_version()}, "
          f"{platform.platform(terse=True)}\n")
    rows: list[tuple[str, str, str]] = []
    failed = 0
    for name in MODULES:
        started = time.perf_counter()
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue  # not built yet
        try:
            rows.extend(module.measure())
        except Exception as error:  # a benchmark's failure is a figure too
            failed += 1
            rows.append((f"{name} FAILED", f"{type(error).__name__}: {error}", "-"))
        print(f"  ({name}: {time.perf_counter() - started:.1f} s)", file=sys.stderr)
    width = max(len(what) for what, _, _ in rows)
    fig = max(len(figure) for _, figure, _ in rows)
    print(f"{'what'.ljust(width)}  {'figure'.ljust(fig)}  goal")
    for what, figure, goal in rows:
        print(f"{what.ljust(width)}  {figure.ljust(fig)}  {goal}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
