"""The merchant console: the store's staff, signed in with their own Cognito accounts.

Server-rendered and complete without JavaScript, in the staff member's language. One module per
page family beside its templates in templates/console/; what they share (the session, roles,
CSRF, rendering, error pages) is in visit.py.
"""

from __future__ import annotations

from chalice.app import Blueprint

console_pages = Blueprint(__name__)

# Each page module registers its routes on `console_pages` when imported, so they come after it.
from . import account  # noqa: E402 - they need console_pages
from . import inbox  # noqa: E402
from . import policy  # noqa: E402
from . import reports  # noqa: E402
from . import returns  # noqa: E402
from . import staff  # noqa: E402
from . import store_credit  # noqa: E402
from . import webhooks  # noqa: E402

__all__ = ["account", "console_pages", "inbox", "policy", "reports", "returns", "staff", "store_credit", "webhooks"]
