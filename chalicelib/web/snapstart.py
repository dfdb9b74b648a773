"""Lambda SnapStart: the work done once at init, snapshotted, and what each restored copy redoes.

With SnapStart, Lambda runs the function's init when a version is published, snapshots the
memory, and starts every new copy from that snapshot. So init does everything a first request
would otherwise pay for: it imports the whole app, builds every SDK client and adapter, compiles
every template in every language, loads the catalogs and Babel's locale data, and draws one
label (reportlab's fonts and QR tables). Nothing secret is fetched at init: the keys are read on
first use after restore, so a rotated secret is never frozen into a snapshot.

Before the snapshot, open connections are closed (a restored copy would find them dead). After a
restore, `random` is reseeded: every copy starts from the same memory, so without it all copies
would draw the same retry jitter. Tokens, nonces and RMAs come from `secrets` (the OS's CSPRNG,
never snapshotted), so they are unique per copy without help.
"""

from __future__ import annotations

import logging
import os
import random
from datetime import UTC, date, datetime

from botocore.exceptions import BotoCoreError, ClientError
from snapshot_restore_py import register_after_restore, register_before_snapshot

from ..adapters import jinja_templates
from ..adapters.babel_formatting import format_date, format_datetime, format_money
from ..adapters.reportlab_labels import render_label
from ..bootstrap import Deps, get_deps
from ..domain.locale import SUPPORTED_LOCALES
from ..domain.money import Money
from ..domain.order import Address
from ..locales import catalog
from ..services.label_document import LabelDocument, LabelLine

log = logging.getLogger("retour.snapstart")

# Lambda sets this during the init it snapshots; on-demand functions (the jobs) skip priming.
SNAPSHOTTED = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"


def prime() -> Deps:
    """Do at init what a first request would do: clients, templates, catalogs, locale data, a label."""
    deps = get_deps()
    templates = _compile_templates()
    for locale in SUPPORTED_LOCALES:
        format_money(Money(123456, "JPY"), locale)
        format_date(date(2026, 1, 31), locale)
        format_datetime(datetime(2026, 1, 31, 12, tzinfo=UTC), locale)
        render_label(_sample_label(locale))
    # The first strptime imports _strptime and builds its locale regexes (stored dates are parsed).
    datetime.strptime("2026-01-31T12:00:00Z", "%Y-%m-%dT%H:%M:%SZ")
    _touch_the_table(deps)
    log.info("primed for the snapshot", extra={"templates": templates})
    return deps


def close_connections() -> None:
    """Before the snapshot: no socket survives a restore, so none is kept."""
    for client in get_deps().aws_clients():
        client.close()


def reseed() -> None:
    """After each restore: this copy's own `random` state (retry jitter), not the snapshot's."""
    random.seed()


def prime_when_snapshotted() -> None:
    """Prime and register the snapshot hooks, in a SnapStart init only."""
    if not SNAPSHOTTED:
        return
    prime()
    register_before_snapshot(close_connections)
    register_after_restore(reseed)


def _compile_templates() -> int:
    """Every template compiled in the environment of every language, with its catalog loaded."""
    count = 0
    for locale in SUPPORTED_LOCALES:
        catalog(locale)
        env = jinja_templates.environment(locale)
        for name in env.list_templates(extensions=["html", "txt"]):
            env.get_template(name)
            count += 1
    return count


def _sample_label(locale: str) -> LabelDocument:
    place = Address(name="Retour", line1="1 Example Street", city="Reno", postal_code="89501", country="US")
    return LabelDocument(
        rma="R-0000-0000", order_number="0000", store_name="Retour", return_to=place, ship_from=place,
        customer_name="Retour", status_url="https://retour.invalid/r", locale=locale,
        lines=(LabelLine(title="Sample", sku="SAMPLE", quantity=1, reason="-"),),
        generated_on=date(2026, 1, 31),
    )


def _touch_the_table(deps: Deps) -> None:
    """One read of a key that never exists: botocore resolves the endpoint and builds its
    serializers and parsers now, not on a shopper's first request."""
    try:
        deps.orders.get("__snapstart_prime__")
    except (BotoCoreError, ClientError) as error:
        # A priming read that fails costs the first request a few milliseconds, nothing more.
        log.warning("the priming read failed", extra={"error": type(error).__name__})
