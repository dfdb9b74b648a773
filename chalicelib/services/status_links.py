"""The "Follow your return" links of the shopper's emails: signed, expiring, for one return.

A link is the status page's address with a token of the shared TokenSigner:

    {public base}/returns/{rma}?link=<token>

The token has its own purpose (`status_link`), so neither a bearer token of the API nor a page
session can pass for one, nor the other way round; its subject names the return and its order,
`{"r": rma, "o": order number}`, and the page checks both against the RMA in the path and the
stored return. Opening it grants that one return (its status page, label and cancel), in a
cookie of its own beside whatever session the browser holds, and redirects to the page without
the token (web/pages/status.py, web/sessions.py ReturnGrant): it starts no session of the order,
so it opens neither the order's other returns nor a new return.

It lasts 60 days: a return lives for weeks (a 30-day window, a merchant's decision of up to a
week, the parcel's trip, a refund that banks show days later), and the shopper comes back from
any of its emails. Later, or tampered with, the link gets a page offering the lookup form.

The printed label's QR code keeps the plain address (services/issue_label.py): a label travels
through many hands, and must not open anybody's session.
"""

from __future__ import annotations

import hmac
import json
from datetime import datetime, timedelta
from urllib.parse import urlencode

from ..domain.errors import AuthenticationError
from ..domain.return_request import ReturnRequest, normalize_rma
from .ports.access import TokenSigner

STATUS_LINK_PURPOSE = "status_link"
STATUS_LINK_TTL = timedelta(days=60)
# The query parameter that carries the token on the status page's address.
LINK_PARAMETER = "link"


def plain_status_url(base_url: str, rma: str) -> str:
    """The status page's address without a token (it asks for the lookup first)."""
    return f"{base_url.rstrip('/')}/returns/{rma}"


def status_link_token(tokens: TokenSigner, request: ReturnRequest, *, now: datetime) -> str:
    """A token that opens `request`'s status page (that return only) for 60 days."""
    subject = json.dumps({"r": request.rma, "o": request.order_number}, separators=(",", ":"),
                         ensure_ascii=False, sort_keys=True)
    return tokens.issue(subject, purpose=STATUS_LINK_PURPOSE, now=now, ttl=STATUS_LINK_TTL)


def status_url(tokens: TokenSigner, request: ReturnRequest, *, base_url: str, now: datetime) -> str:
    """The emails' "Follow your return" address: the status page and a signed token."""
    token = status_link_token(tokens, request, now=now)
    return f"{plain_status_url(base_url, request.rma)}?{urlencode({LINK_PARAMETER: token})}"


def label_link_url(tokens: TokenSigner, request: ReturnRequest, *, base_url: str, now: datetime) -> str:
    """The label's address with the same token as the status link: the API's lookup hands it to
    a storefront, whose shopper opens the PDF without a session (the token names this return)."""
    token = status_link_token(tokens, request, now=now)
    return f"{plain_status_url(base_url, request.rma)}/label?{urlencode({LINK_PARAMETER: token})}"


def open_status_link(tokens: TokenSigner, token: str, *, rma: str, now: datetime) -> str:
    """The order number of a genuine, unexpired link for return `rma`.

    AuthenticationError otherwise: code `token_expired` for a genuine link past its 60 days,
    `invalid_token` for anything tampered with, truncated, made for another purpose, or naming
    another return than the one in the path.
    """
    subject = tokens.verify(token, purpose=STATUS_LINK_PURPOSE, now=now)
    try:
        claims = json.loads(subject)
        named, order_number = claims["r"], claims["o"]
    except (ValueError, KeyError, TypeError) as error:
        raise AuthenticationError("the link is not valid", code="invalid_token") from error
    asked = normalize_rma(rma) or ""
    if (not isinstance(named, str) or not isinstance(order_number, str) or not order_number
            or not hmac.compare_digest(named.encode("utf-8"), asked.encode("utf-8"))):
        raise AuthenticationError("the link is not valid", code="invalid_token")
    return order_number
