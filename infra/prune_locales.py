"""Drops Babel's data for languages Retour does not speak from a Chalice deployment.zip.

Babel ships CLDR data for ~1,000 locales: 30 MB unzipped, two thirds of the package's zipped
size. Retour formats dates and money in English, Japanese, Chinese and Korean only
(chalicelib/domain/locale.py), so every regional variant of those four languages is kept (a
shopper's en_AU still works) and the rest goes.

    python infra/prune_locales.py build/dev/deployment.zip
"""

from __future__ import annotations

import argparse
import os
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

LOCALE_DATA = "babel/locale-data/"
# "root" is the parent every locale falls back to; the four languages are SUPPORTED_LOCALES'.
KEEP_LANGUAGES = frozenset({"root", "en", "ja", "zh", "ko"})


def is_kept(name: str) -> bool:
    """True for every zip entry except locale data of a language outside KEEP_LANGUAGES."""
    if not name.startswith(LOCALE_DATA) or not name.endswith(".dat"):
        return True
    language = PurePosixPath(name).stem.split("_", 1)[0]
    return language in KEEP_LANGUAGES


def prune_locales(zip_path: Path) -> int:
    """Rewrite `zip_path` without the unneeded locale files; returns how many were dropped."""
    dropped = 0
    fd, tmp_name = tempfile.mkstemp(suffix=".zip", dir=zip_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(zip_path) as source, \
                zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                if is_kept(info.filename):
                    target.writestr(info, source.read(info))
                else:
                    dropped += 1
        tmp.replace(zip_path)
    finally:
        tmp.unlink(missing_ok=True)
    return dropped


def main(argv: list[str] | None = None) -> None:
    """Command line: one or more deployment.zip paths, each changed in place."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zips", nargs="+", type=Path)
    for zip_path in parser.parse_args(argv).zips:
        dropped = prune_locales(zip_path)
        size_mb = zip_path.stat().st_size / 1_000_000
        print(f"{zip_path}: dropped {dropped} Babel locale files ({size_mb:.1f} MB zipped)")


if __name__ == "__main__":
    main()
