"""Use case: the console's inbox. Returns waiting for a decision first, oldest first, each with
its age against the policy's `approval_sla_hours`; then how many wait in each other open status;
or one status, or a search by RMA, order number or email; filtered by status, reason and creation
date, page by page.

What a page reads (docs/data-model.md, patterns 7, 33, 34 and 35): the current policy (the
caller's one eventually consistent GetItem, for the SLA, the reasons and the store's time zone)
and then

- a listing without a filter on top (the inbox, one status, an order's or a shopper's returns,
  whose creation dates are key conditions there): one Query of PAGE_SIZE + 1 entries (about 2 to
  4 read units);
- a listing with a filter the key cannot serve (a reason; a creation date on a status listing,
  whose key is the time of the last status move; a status on a search): Queries of up to
  CHUNK entries until the page is full, at most READ_BUDGET entries in all. When the budget runs
  out first the page shows what matched so far and "Next" carries on from the last entry read,
  so a page never reads more than READ_BUDGET entries, however rare the match (a one-line return
  is about 0.7 KB, a bigger one some more: 200 entries are some 18 to 40 read units, eventually
  consistent as every index read is). A creation date "from" still narrows the
  status listing's key (a return moved last no earlier than it was created);
- the inbox's first page also counts the other open statuses: one Select=COUNT Query each,
  stopped at COUNT_CAP entries (COUNT reads and bills every entry it counts), and, without a
  reason or date filter, shows the GROUP_ROWS longest-waiting of each: one Query of GROUP_ROWS
  entries per status that has any;
- an RMA: one eventually consistent GetItem of the return item.

Pages are linked by an opaque cursor: the sort key of the entry to continue after (or before, for
"Previous") and a digest of the query, signed, so a cursor cannot be edited to read another
listing or carried to another search.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol

from ..domain.errors import AuthenticationError, ValidationError
from ..domain.order import is_plausible_email, normalize_email, order_number_key
from ..domain.policy import Policy
from ..domain.return_request import (APPROVED, AWAITING_PAYMENT, PENDING_APPROVAL, RECEIVED, REFUND_FAILED, REFUNDING,
                                     STATUSES, ReturnRequest, ReturnStatus, normalize_rma,
                                     rma_of_exchange_order)
from ..domain.timestamps import utc_timestamp
from .ports.access import TokenSigner
from .ports.inbox import Entry, InboxIndex, Listing
from .ports.system import Clock

PAGE_SIZE = 25
# Index entries one page may read when a filter sits on top of a listing, and per Query.
READ_BUDGET = 200
CHUNK = 50
# How far the inbox counts each open status ("100 or more" beyond), and how many of each it shows.
COUNT_CAP = 100
GROUP_ROWS = 5
# The open statuses after the decisions, in the order a return moves through them; then dearer
# exchanges waiting for the shopper to pay their price difference (nothing for staff to do yet).
OPEN_GROUPS: tuple[ReturnStatus, ...] = (APPROVED, RECEIVED, REFUNDING, REFUND_FAILED, AWAITING_PAYMENT)
OPEN_STATUSES: tuple[ReturnStatus, ...] = (PENDING_APPROVAL, *OPEN_GROUPS)
CURSOR_PURPOSE = "console-inbox-page"
CURSOR_TTL = timedelta(hours=12)
SEARCH_MAX = 254
# The order numbers an import accepts (web/schemas/orders.py): anything else names no order.
_ORDER_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_DAY = re.compile(r"^\d{4}-\d\d-\d\d$")
_REASON = re.compile(r"^[a-z0-9_]{1,64}$")


class InboxDeps(Protocol):
    @property
    def inbox(self) -> InboxIndex: ...
    @property
    def tokens(self) -> TokenSigner: ...
    @property
    def clock(self) -> Clock: ...


class InboxFilterError(ValidationError):
    """A filter or search value the inbox can't use; `problems` names each field and why
    (`unknown`, `format`, `order`, `stale`), so the page can say it next to the field."""

    code = "bad_filter"

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{name}: {why}" for name, why in problems.items()),
                         fields=tuple(problems))


@dataclass(frozen=True, slots=True)
class InboxQuery:
    """What the staff member asked for: every field optional; `page` is a cursor given out here."""

    status: ReturnStatus | None = None
    search: str = ""
    reason: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    page: str | None = None

    @property
    def filtered(self) -> bool:
        return bool(self.status or self.search or self.reason or self.created_from or self.created_to)

    def fields(self) -> dict[str, str]:
        """The query as form fields (empty ones left out), for links that keep it."""
        values = {"status": self.status or "", "q": self.search, "reason": self.reason or "",
                  "from": self.created_from.isoformat() if self.created_from else "",
                  "to": self.created_to.isoformat() if self.created_to else ""}
        return {name: value for name, value in values.items() if value}

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.fields(), sort_keys=True).encode()).hexdigest()[:24]


def parse_query(values: Mapping[str, str], *, reasons: Collection[str]) -> InboxQuery:
    """The InboxQuery of a request's query string (`status`, `q`, `reason`, `from`, `to`, `page`);
    InboxFilterError names every field it can't use. `reasons` are the codes the filter offers."""
    problems: dict[str, str] = {}
    status_text = values.get("status", "").strip()
    status = None
    if status_text:
        if status_text in STATUSES:
            status = ReturnStatus(status_text)
        else:
            problems["status"] = "unknown"
    search = " ".join(values.get("q", "").split())
    if len(search) > SEARCH_MAX or (search and _search_of(search) is None):
        problems["q"] = "format"
    reason = values.get("reason", "").strip() or None
    if reason is not None and (not _REASON.match(reason) or reason not in reasons):
        problems["reason"] = "unknown"
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        text = values.get(name, "").strip()
        days[name] = None
        if text:
            try:
                days[name] = date.fromisoformat(text) if _DAY.match(text) else None
            except ValueError:
                pass
            if days[name] is None:
                problems[name] = "format"
    start, end = days["from"], days["to"]
    if start and end and start > end:
        problems["to"] = "order"
    if problems:
        raise InboxFilterError(problems)
    return InboxQuery(status=status, search=search, reason=reason, created_from=start, created_to=end,
                      page=values.get("page") or None)


SearchKind = Literal["rma", "email", "order"]


def _search_of(text: str) -> tuple[SearchKind, str] | None:
    """What a search box's text names: an RMA, a shopper's email or an order number (or nothing)."""
    # A replacement order's number (X-...) is its return's RMA under another letter.
    rma = normalize_rma(text) or rma_of_exchange_order(text)
    if rma is not None:
        return "rma", rma
    if "@" in text:
        email = normalize_email(text)
        return ("email", email) if is_plausible_email(email) else None
    number = order_number_key(text)  # as a shopper or the store's packing slip wrote it
    if _ORDER_NUMBER.fullmatch(number):
        return "order", number
    return None


@dataclass(frozen=True, slots=True)
class InboxRow:
    """A return on the page, how long it has been in its status, and whether that is past the SLA
    (only a return waiting for a decision can be)."""

    request: ReturnRequest
    age: timedelta
    overdue: bool


@dataclass(frozen=True, slots=True)
class StatusCount:
    """How many returns wait in `status` (`count` == COUNT_CAP: at least that many) and the
    longest-waiting of them (none when a reason or date filter is on: the count is of them all)."""

    status: ReturnStatus
    count: int
    capped: bool
    rows: tuple[InboxRow, ...] = ()


InboxView = Literal["inbox", "status", "search"]


@dataclass(frozen=True, slots=True)
class InboxPage:
    """One page of the inbox: its rows, the cursors of the pages either side, and on the inbox's
    first page how many returns wait in each other open status."""

    query: InboxQuery
    view: InboxView
    status: ReturnStatus | None
    rows: tuple[InboxRow, ...]
    next_page: str | None
    previous_page: str | None
    counts: tuple[StatusCount, ...]
    sla_hours: int
    time_zone: str
    # The read budget ran out before the page filled: more may match further on.
    partial: bool
    entries_read: int
    now: datetime


def inbox_page(deps: InboxDeps, query: InboxQuery, *, policy: Policy) -> InboxPage:
    """The page `query` asks for under the current `policy` (its SLA and time zone).
    InboxFilterError (field `page`) for a cursor that is not one this query was given."""
    now = deps.clock.now()
    zone = policy.zone
    sla = timedelta(hours=policy.approval_sla_hours)
    start_after, backwards = _read_cursor(deps, query, now)
    since = utc_timestamp(datetime.combine(query.created_from, time(), zone)) if query.created_from else None
    until = (utc_timestamp(datetime.combine(query.created_to + timedelta(days=1), time(), zone))
             if query.created_to else None)

    def matches(request: ReturnRequest) -> bool:
        if query.status is not None and request.status != query.status:
            return False
        if query.reason is not None and all(line.reason != query.reason for line in request.lines):
            return False
        created = utc_timestamp(request.created_at)
        return (since is None or created >= since) and (until is None or created < until)

    def row(request: ReturnRequest) -> InboxRow:
        age = now - request.status_changed_at
        return InboxRow(request, age, request.status == PENDING_APPROVAL and age >= sla)

    found = _search_of(query.search) if query.search else None
    view: InboxView = "search" if found else ("status" if query.status else "inbox")
    status = query.status or (PENDING_APPROVAL if view == "inbox" else None)
    if found and found[0] == "rma":
        one = deps.inbox.one(found[1])
        if one is not None or not _ORDER_NUMBER.fullmatch(order_number_key(query.search)):
            rows = (row(one),) if one is not None and matches(one) else ()
            return InboxPage(query, view, status, rows, None, None, (), policy.approval_sla_hours, policy.time_zone,
                             False, 1, now)
        found = ("order", order_number_key(query.search))  # "R12345678" may be an order number too
    if found:
        listing = Listing("order" if found[0] == "order" else "customer", found[1], since, until)
        newest_first = True
        # The order's and the shopper's indexes hold the creation time: the dates are key ranges.
        exact = query.status is None and query.reason is None
    else:
        assert status is not None
        # A status listing's key is the last move's time, never before the creation: `from` narrows it.
        listing = Listing("status", status, since, None)
        newest_first = status not in OPEN_STATUSES
        exact = query.reason is None and since is None and until is None
    read = _read_page(deps.inbox, listing, forward=newest_first == backwards, after=start_after,
                      matches=matches, exact=exact)
    kept, partial = read.kept, read.partial
    shown = kept[:PAGE_SIZE]
    further = len(kept) > PAGE_SIZE or partial  # more may lie on in the direction read
    if backwards:
        shown.reverse()
        # The page this one was reached from lies after it; pages before it only if `further`.
        next_key = shown[-1].key if shown else (read.last_key if read.entries_read else None)
        previous_key = (shown[0].key if shown else read.last_key) if further else None
    else:
        next_key = (shown[-1].key if len(kept) > PAGE_SIZE else read.last_key) if further else None
        previous_key = (shown[0].key if shown else start_after) if start_after is not None else None
    counts: tuple[StatusCount, ...] = ()
    if view == "inbox" and query.page is None:
        preview = query.reason is None and since is None and until is None
        counts = tuple(_group(deps.inbox, s, row if preview else None) for s in OPEN_GROUPS)
    return InboxPage(
        query=query, view=view, status=status, rows=tuple(row(entry.request) for entry in shown),
        next_page=_cursor(deps, query, next_key, "next", now) if next_key else None,
        previous_page=_cursor(deps, query, previous_key, "previous", now) if previous_key else None,
        counts=counts, sla_hours=policy.approval_sla_hours, time_zone=policy.time_zone, partial=partial,
        entries_read=read.entries_read, now=now,
    )


@dataclass(frozen=True, slots=True)
class _Read:
    kept: list[Entry]
    # The sort key of the last entry read (where a budget-limited page carries on).
    last_key: str | None
    partial: bool
    entries_read: int


def _read_page(index: InboxIndex, listing: Listing, *, forward: bool, after: str | None,
               matches: Callable[[ReturnRequest], bool], exact: bool) -> _Read:
    """Up to PAGE_SIZE + 1 matching entries after `after` (one more tells that a next page exists),
    reading at most READ_BUDGET entries when a filter sits on top of the listing."""
    kept: list[Entry] = []
    read = 0
    position = after
    while True:
        want = PAGE_SIZE + 1 - len(kept)
        ask = want if exact else min(READ_BUDGET - read, max(want, CHUNK))
        got = index.read(listing, forward=forward, after=position, limit=ask)
        read += len(got.entries)
        for entry in got.entries:
            position = entry.key
            if matches(entry.request):
                kept.append(entry)
                if len(kept) > PAGE_SIZE:
                    return _Read(kept, position, False, read)
        if not got.more:
            return _Read(kept, position, False, read)
        if not exact and read >= READ_BUDGET:
            return _Read(kept, position, True, read)


def _group(index: InboxIndex, status: ReturnStatus, row: Callable[[ReturnRequest], InboxRow] | None) -> StatusCount:
    """How many wait in `status`, and (given `row`) the GROUP_ROWS that have waited longest."""
    counted = index.count(status, at_most=COUNT_CAP)
    rows: tuple[InboxRow, ...] = ()
    if counted and row is not None:
        read = index.read(Listing("status", status), forward=True, after=None, limit=GROUP_ROWS)
        rows = tuple(row(entry.request) for entry in read.entries)
    return StatusCount(status, counted, counted >= COUNT_CAP, rows)


def _cursor(deps: InboxDeps, query: InboxQuery, key: str, direction: str, now: datetime) -> str:
    subject = json.dumps({"q": query.digest(), "k": key, "d": direction}, separators=(",", ":"))
    return deps.tokens.issue(subject, purpose=CURSOR_PURPOSE, now=now, ttl=CURSOR_TTL)


def _read_cursor(deps: InboxDeps, query: InboxQuery, now: datetime) -> tuple[str | None, bool]:
    """(the sort key to continue after, whether the page runs backwards) of `query.page`."""
    if query.page is None:
        return None, False
    try:
        claims = json.loads(deps.tokens.verify(query.page, purpose=CURSOR_PURPOSE, now=now))
        key, direction, digest = claims["k"], claims["d"], claims["q"]
    except (AuthenticationError, ValueError, KeyError, TypeError) as error:
        raise InboxFilterError({"page": "stale"}) from error
    if (not isinstance(digest, str) or not hmac.compare_digest(digest, query.digest())
            or not isinstance(key, str) or direction not in ("next", "previous")):
        raise InboxFilterError({"page": "stale"})
    return key, direction == "previous"


def without_page(query: InboxQuery) -> InboxQuery:
    return replace(query, page=None)
