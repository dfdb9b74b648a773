"""Points every API Gateway integration of Chalice's template at the API function's alias.

Chalice writes each integration as `functions/${APIHandler.Arn}/invocations`, which invokes
$LATEST: the unpublished version SnapStart never snapshots. infra/retour.yaml publishes versions
and an alias (`AutoPublishAlias`); this rewrites the integrations to the alias SAM creates
(`${APIHandlerAliaslive}`, its ARN). Chalice has no setting for it, and a merge
template cannot reach into the API's definition, so `make package` runs this after Chalice.

    python infra/api_on_alias.py build/prod/sam.yaml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

LATEST = "functions/${APIHandler.Arn}/invocations"
# The alias SAM makes for `AutoPublishAlias: live` is the resource APIHandlerAliaslive; its Ref
# is the alias's ARN. (SAM's `${APIHandler.Alias}` shorthand is not resolved inside the API's
# definition.)
ALIAS = "functions/${APIHandlerAliaslive}/invocations"


def point_at_alias(template: str) -> tuple[str, int]:
    """`template` with every integration on the alias, and how many were rewritten."""
    return template.replace(LATEST, ALIAS), template.count(LATEST)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path)
    path = parser.parse_args(argv).template
    rewritten, count = point_at_alias(path.read_text(encoding="utf-8"))
    if count == 0 and ALIAS not in rewritten:
        print(f"{path}: no API integration found to point at the alias", file=sys.stderr)
        return 1
    path.write_text(rewritten, encoding="utf-8")
    print(f"{path}: {count} API integrations invoke the alias")
    return 0


if __name__ == "__main__":
    sys.exit(main())
