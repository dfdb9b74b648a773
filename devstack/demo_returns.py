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
