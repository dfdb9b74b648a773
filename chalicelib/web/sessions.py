"""The shopper's page session: a signed cookie bound to one order, no account, 30 minutes.

The cookie is a token of the shared TokenSigner with its own purpose, so a bearer token of the
JSON API can never pass for a page session or the other way round. Its subject is compact JSON:

    {"n": nonce, "o": order number or "", "l": order locale, "d": draft or absent,
     "c": the RMA this session confirmed last, or absent}

A session with no order exists from the first visit, so the lookup form itself carries a CSRF
token. A successful lookup starts a new session (a new nonce), so a session id planted before
the lookup is worth nothing after it. The draft (chosen lines and resolution) rides in the signed
cookie between the steps and is validated again by the use case on every step. Confirming
empties the draft and remembers the return it made, so the back button or a second tab that
confirms again lands on that return (web/pages/review.py) instead of an empty draft.

An email's status link (services/status_links.py) starts no session: it grants one return, in a
cookie of its own scoped to that return's pages (`Path=/returns/<rma>`), signed for its own
purpose, `{"r": rma, "o": order number, "l": order locale}`. It opens that return's status page,
label and cancel, never the order's other returns or a new return, and the session the browser
already holds (perhaps for another order, with a draft) stays as it was.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..domain.errors import AuthenticationError
from ..domain.quote import Selection
from ..services.ports.access import TokenSigner
from . import html
from .html import cleared_cookie, cookie, cookie_value

SESSION_COOKIE = "retour_session"
LANG_COOKIE = "retour_lang"
GRANT_COOKIE = "retour_return"
SESSION_PURPOSE = "page_session"
CSRF_PURPOSE = "page_csrf"
GRANT_PURPOSE = "return_grant"
SESSION_TTL = timedelta(minutes=30)
LANG_COOKIE_SECONDS = 365 * 24 * 3600
# Browsers drop cookies above ~4 KB; a draft whose notes would overflow one is refused.
MAX_COOKIE_BYTES = 3900


@dataclass(frozen=True, slots=True)
class Draft:
    """The return being put together: the chosen lines (each with its exchange, if any) and,
    once picked, the resolution ("exchange" when every line is exchanged)."""

    selections: tuple[Selection, ...] = ()
    resolution: str = ""

    def to_json(self) -> dict[str, Any]:
        # An exchanged line carries its replacement's SKU as a fifth item (issue 19).
        return {"s": [[s.line_id, s.quantity, s.reason, s.note, *([s.exchange_for] if s.exchange_for else [])]
                      for s in self.selections],
                "r": self.resolution}

    @classmethod
    def from_json(cls, data: Any) -> Draft:
        if not isinstance(data, dict):
            return cls()
        selections: list[Selection] = []
        for item in data.get("s", []):
            if (isinstance(item, list) and len(item) in (4, 5) and all(isinstance(v, str) for v in item[2:])
                    and isinstance(item[0], str) and type(item[1]) is int):
                selections.append(Selection(item[0], item[1], item[2], item[3], *item[4:]))
        resolution = data.get("r", "")
        return cls(tuple(selections), resolution if isinstance(resolution, str) else "")


@dataclass(frozen=True, slots=True)
class Session:
    """Who this browser is to us: a nonce, and the one order it proved it may see."""

    nonce: str
    order_number: str = ""
    order_locale: str = ""
    draft: Draft = field(default_factory=Draft)
    # The RMA of the last return this session confirmed ("" before the first).
    confirmed: str = ""
    # Set when the cookie was fresh this request (so the response must send it).
    issued: bool = False

    @property
    def has_order(self) -> bool:
        return bool(self.order_number)

    def with_draft(self, draft: Draft) -> Session:
        return replace(self, draft=draft, issued=True)

    def confirmed_as(self, rma: str) -> Session:
        """The session once its draft became return `rma`: an empty draft that remembers it."""
        return replace(self, draft=Draft(), confirmed=rma, issued=True)


def new_session(order_number: str = "", order_locale: str = "") -> Session:
    """A session with a fresh random nonce (anonymous, or bound to the order just looked up)."""
    return Session(secrets.token_urlsafe(18), order_number, order_locale, Draft(), issued=True)


def read_session(tokens: TokenSigner, cookie_header: str | None, *, now: datetime) -> Session:
    """The session in the request's cookie; AuthenticationError when it is forged or expired.

    No cookie at all is not an error: the answer is a new anonymous session.
    """
    value = cookie_value(cookie_header, SESSION_COOKIE)
    if not value:
        return new_session()
    subject = tokens.verify(value, purpose=SESSION_PURPOSE, now=now)
    try:
        claims = json.loads(subject)
        nonce, order, locale = claims["n"], claims["o"], claims.get("l", "")
    except (ValueError, KeyError, TypeError) as error:
        raise AuthenticationError("the session is not valid", code="invalid_session") from error
    if not isinstance(nonce, str) or not isinstance(order, str) or not isinstance(locale, str) or not nonce:
        raise AuthenticationError("the session is not valid", code="invalid_session")
    confirmed = claims.get("c", "")
    return Session(nonce, order, locale, Draft.from_json(claims.get("d")),
                   confirmed=confirmed if isinstance(confirmed, str) else "")


def session_token(tokens: TokenSigner, session: Session, *, now: datetime) -> str:
    """The signed cookie value for `session`, valid for 30 minutes from `now`."""
    claims: dict[str, Any] = {"n": session.nonce, "o": session.order_number, "l": session.order_locale}
    if session.draft.selections or session.draft.resolution:
        claims["d"] = session.draft.to_json()
    if session.confirmed:
        claims["c"] = session.confirmed
    subject = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
    return tokens.issue(subject, purpose=SESSION_PURPOSE, now=now, ttl=SESSION_TTL)


@dataclass(frozen=True, slots=True)
class ReturnGrant:
    """What a status link opened: one return of one order (its status page, label and cancel)."""

    rma: str
    order_number: str
    order_locale: str = ""


def grant_token(tokens: TokenSigner, grant: ReturnGrant, *, now: datetime) -> str:
    """The signed cookie value for `grant`, valid as long as a session."""
    subject = json.dumps({"r": grant.rma, "o": grant.order_number, "l": grant.order_locale},
                         separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return tokens.issue(subject, purpose=GRANT_PURPOSE, now=now, ttl=SESSION_TTL)


def read_grant(tokens: TokenSigner, cookie_header: str | None, *, now: datetime) -> ReturnGrant | None:
    """The return grant in the request's cookie; None when there is none, or it is forged or old."""
    value = cookie_value(cookie_header, GRANT_COOKIE)
    if not value:
        return None
    try:
        claims = json.loads(tokens.verify(value, purpose=GRANT_PURPOSE, now=now))
        rma, order, locale = claims["r"], claims["o"], claims["l"]
    except (AuthenticationError, ValueError, KeyError, TypeError):
        return None
    if not (isinstance(rma, str) and isinstance(order, str) and isinstance(locale, str) and rma and order):
        return None
    return ReturnGrant(rma, order, locale)


def grant_cookie(value: str, rma: str, *, secure: bool) -> str:
    """Set-Cookie for a return grant: sent only to that return's pages (its status, label, cancel)."""
    return cookie(GRANT_COOKIE, value, path=f"/returns/{rma}", max_age=SESSION_TTL, secure=secure)


def session_cookie(value: str, *, secure: bool) -> str:
    """Set-Cookie for the session: HttpOnly, SameSite=Lax, Secure except on the local stage."""
    return cookie(SESSION_COOKIE, value, path="/", max_age=SESSION_TTL, secure=secure)


def cleared_session_cookie(*, secure: bool) -> str:
    return cleared_cookie(SESSION_COOKIE, path="/", secure=secure)


def lang_cookie(lang: str, *, secure: bool) -> str:
    """Set-Cookie remembering the language the shopper picked with ?lang=."""
    return cookie(LANG_COOKIE, lang, path="/", max_age=LANG_COOKIE_SECONDS, secure=secure)


def fits_in_a_cookie(tokens: TokenSigner, session: Session, *, now: datetime) -> bool:
    return len(session_token(tokens, session, now=now)) + 120 <= MAX_COOKIE_BYTES


def csrf_token(tokens: TokenSigner, session: Session, *, now: datetime) -> str:
    """The token every POST form of this session carries: the session's nonce, signed."""
    return html.csrf_token(tokens, session.nonce, purpose=CSRF_PURPOSE, now=now, ttl=SESSION_TTL)


def csrf_is_valid(tokens: TokenSigner, session: Session, presented: str | None, *, now: datetime) -> bool:
    """True when `presented` was issued for this very session (compared in constant time)."""
    return html.csrf_is_valid(tokens, session.nonce, presented, purpose=CSRF_PURPOSE, now=now)
