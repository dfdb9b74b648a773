"""The demo store's returns: one exception waiting for the merchant, so the console's inbox has
work on a fresh `make run` (order 1003 was delivered past the 30-day window, inside the grace)."""

from __future__ import annotations

from chalicelib.bootstrap import build_deps
from chalicelib.domain.errors import ConflictError
from chalicelib.domain.quote import Selection
from chalicelib.services.request_return import request_return
from chalicelib.settings import Settings

# A fixed key: a second `make run` answers the return the first one created, never a second.
IDEMPOTENCY_KEY = "demo-pending-exception"
ORDER = "1003"


def seed_pending_exception(settings: Settings) -> str | None:
    """The RMA of the demo's pending exception (created on the first run), or None when the
    order's units went back some other way meanwhile."""
    deps = build_deps(settings)
    try:
        created = request_return(
            deps, order_number=ORDER, resolution="refund", idempotency_key=IDEMPOTENCY_KEY,
            selections=[Selection("L2", 1, "too_large", "They pinch at the toes; I'd like a refund please.")],
        )
    except ConflictError:
        return None
    return created.rma


# credit: one return of order 1005 (김민지, ko, KRW) paid as store credit, so a fresh `make run`
# shows a shopper's credit code and balance on the status page and in the outbox's email.
CREDITED_KEY = "demo-credited-return"
CREDITED_ORDER = "1005"


def seed_credited_return(settings: Settings) -> str | None:
    """The RMA of the demo's credited return (created and received on the first run; a later
    run answers the same return), or None when the order's socks went back some other way."""
    from chalicelib.services.receive_return import receive_return

    deps = build_deps(settings)
    try:
        created = request_return(
            deps, order_number=CREDITED_ORDER, resolution="store_credit", idempotency_key=CREDITED_KEY,
            selections=[Selection("L2", 1, "changed_mind")],
        )
    except ConflictError:
        return None
    if created.status == "approved":
        # The parcel "arrives": the default policy credits at receipt.
        return receive_return(deps, created.rma, received_by="demo").rma
    return created.rma


# Order 1091's tee M exchanged for an S at the same price and its parcel received, so a
# fresh `make run` shows an exchange with its replacement order (status page, console, outbox).
EXCHANGED_KEY = "demo-exchanged-return"
EXCHANGED_ORDER = "1091"


def seed_exchanged_return(settings: Settings) -> str | None:
    """The RMA of the demo's exchanged return (requested and received on the first run; a later
    run answers the same return), or None when the tee went back some other way."""
    from chalicelib.services.receive_return import receive_return

    deps = build_deps(settings)
    try:
        created = request_return(
            deps, order_number=EXCHANGED_ORDER, resolution="exchange", idempotency_key=EXCHANGED_KEY,
            selections=[Selection("L1", 1, "too_large", exchange_for="TEE-CLASSIC-S")],
        )
    except ConflictError:
        return None
    if created.status == "approved":
        # The parcel "arrives": the replacement order is made (the default trigger is on receipt).
        return receive_return(deps, created.rma, received_by="demo").rma
    return created.rma
