"""Drops from a Chalice deployment.zip the data Retour never reads: Babel's locales for languages
it does not speak, and botocore's models of AWS services it does not call.

- Babel ships CLDR data for ~1,000 locales (30 MB unzipped). Retour formats dates and money in
  English, Japanese, Chinese and Korean only (chalicelib/domain/locale.py), so every regional
  variant of those four languages is kept (a shopper's en_AU still works) and the rest goes.
- botocore ships the models of ~450 services (16 MB zipped). Retour's clients are built in one
  place (chalicelib/bootstrap.py) for the services in KEEP_SERVICES; botocore's own files
  (endpoints, partitions, retry and default configuration) stay. tests/integration/test_infra.py
  builds every client the code names from the pruned zip.

    python infra/prune_package.py build/dev/deployment.zip
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

BOTOCORE_DATA = "botocore/data/"
# The services chalicelib/bootstrap.py builds clients for.
KEEP_SERVICES = frozenset({"cognito-idp", "dynamodb", "s3", "secretsmanager", "ses", "sqs"})


def is_kept(name: str) -> bool:
    """False for locale data of a language outside KEEP_LANGUAGES and for the model of a service
    outside KEEP_SERVICES; True for every other zip entry."""
    if name.startswith(LOCALE_DATA) and name.endswith(".dat"):
        return PurePosixPath(name).stem.split("_", 1)[0] in KEEP_LANGUAGES
    if name.startswith(BOTOCORE_DATA):
        parts = PurePosixPath(name).parts
        # botocore/data/<file> is botocore's own; botocore/data/<service>/... is a model.
        return len(parts) == 3 or parts[2] in KEEP_SERVICES
    return True


def prune(zip_path: Path) -> int:
    """Rewrite `zip_path` without the unneeded files; returns how many were dropped."""
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
        dropped = prune(zip_path)
        size_mb = zip_path.stat().st_size / 1_000_000
        print(f"{zip_path}: dropped {dropped} unused locale and service data files ({size_mb:.1f} MB zipped)")


if __name__ == "__main__":
    main()
