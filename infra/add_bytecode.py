"""Adds compiled bytecode (__pycache__/*.pyc) to a Chalice deployment.zip, offline.

Chalice zips sources only and Lambda's file system is read-only, so without this every cold
start compiles every imported module again. The .pyc files use unchecked-hash invalidation:
unzipping sets new mtimes, which would make timestamp-checked bytecode look stale and be ignored.

    python infra/add_bytecode.py build/dev/deployment.zip
"""

from __future__ import annotations

import argparse
import compileall
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path

# Bytecode is only valid for the interpreter version that wrote it: the Lambda runtime's.
RUNTIME_VERSION = (3, 13)
# Where Lambda unpacks the function, so tracebacks show the paths the code really runs from.
LAMBDA_TASK_ROOT = "/var/task"
# A fixed timestamp keeps the added entries byte-identical from one build to the next.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


def add_bytecode(zip_path: Path) -> int:
    """Compile every .py in `zip_path` and append the .pyc files; returns how many were added."""
    if sys.version_info[:2] != RUNTIME_VERSION:
        raise SystemExit(
            f"bytecode must be written by Python {RUNTIME_VERSION[0]}.{RUNTIME_VERSION[1]} "
            f"(the Lambda runtime), not {sys.version.split()[0]}"
        )
    with tempfile.TemporaryDirectory(prefix="retour-bytecode-") as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(zip_path) as archive:
            existing = set(archive.namelist())
            archive.extractall(root)
        # A file that does not compile (a package's Python 2 example, say) keeps its source
        # only; Python falls back to compiling it if it is ever imported.
        compileall.compile_dir(
            root, quiet=2, workers=0, stripdir=str(root), prependdir=LAMBDA_TASK_ROOT,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        added = 0
        with zipfile.ZipFile(zip_path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            for pyc in sorted(root.rglob("*.pyc")):
                name = pyc.relative_to(root).as_posix()
                if name in existing:
                    continue
                info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, pyc.read_bytes())
                added += 1
    return added


def main(argv: list[str] | None = None) -> None:
    """Command line: one or more deployment.zip paths, each changed in place."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zips", nargs="+", type=Path)
    for zip_path in parser.parse_args(argv).zips:
        added = add_bytecode(zip_path)
        size_mb = zip_path.stat().st_size / 1_000_000
        print(f"{zip_path}: added {added} .pyc files ({size_mb:.1f} MB zipped)")


if __name__ == "__main__":
    main()
