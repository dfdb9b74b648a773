"""The console inbox's paging and filtering with fakes: pages that meet exactly, a read budget per
page however rare the match, the SLA's edge, and cursors bound to their query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.adapters.in_memory_inbox import InMemoryInboxIndex
from chalicelib.adapters.in_memory_returns import InMemoryReturnRepository
from chalicelib.adapters.signed_tokens import SignedTokens
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest, rma_from_bits
from chalicelib.services import console_inbox
from chalicelib.services.console_inbox import InboxFilterError, InboxPage, InboxQuery, inbox_page, parse_query
from tests.builders import an_order
from tests.fakes import FixedClock

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REASONS = ("too_small", "damaged")


@dataclass
class Deps:
    returns: InMemoryReturnRepository = field(default_factory=InMemoryReturnRepository)
    clock: FixedClock = field(default_factory=lambda: FixedClock(NOW))
    tokens: SignedTokens = field(default_factory=lambda: SignedTokens(lambda: "unit-test-key"))
    inbox: InMemoryInboxIndex = field(init=False)

    def __post_init__(self) -> None:
        self.inbox = InMemoryInboxIndex(self.returns)


@pytest.fixture
def deps() -> Deps:
    return Deps()


def store(deps: Deps, bits: int, *, minutes: int, reason: str = "too_small", pending: bool = True) -> str:
    order = an_order(number=f"10{bits:02d}", email=f"s{bits}@example.com")
    selections = (Selection("L1", 1, reason, "torn" if reason == "damaged" else ""),)
    request = ReturnRequest.request(
        rma=rma_from_bits(bits), order=order, selections=selections,
        quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"), needs_approval=pending,
        at=NOW - timedelta(minutes=minutes),
    )
    deps.returns.create(request, line_quantities={"L1": 10}, now=NOW)
    return request.rma


def page(deps: Deps, query: InboxQuery | None = None, **values: str) -> InboxPage:
    return inbox_page(deps, query or parse_query(values, reasons=REASONS), policy=DEFAULT_POLICY)


def rmas(shown: InboxPage) -> list[str]:
    return [row.request.rma for row in shown.rows]


def follow(deps: Deps, shown: InboxPage, cursor: str | None, **values: str) -> InboxPage:
    assert cursor is not None
    return page(deps, **values, page=cursor)


def test_pages_meet_exactly_forward_and_back(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_inbox, "PAGE_SIZE", 2)
    made = [store(deps, bits, minutes=100 - bits) for bits in range(1, 6)]  # oldest first
    first = page(deps)
    assert rmas(first) == made[:2] and first.previous_page is None
    second = follow(deps, first, first.next_page)
    third = follow(deps, second, second.next_page)
    assert rmas(second) == made[2:4] and rmas(third) == made[4:] and third.next_page is None
    back = follow(deps, third, third.previous_page)
    assert rmas(back) == made[2:4]
    assert rmas(follow(deps, back, back.previous_page)) == made[:2]
    assert rmas(follow(deps, back, back.next_page)) == made[4:]


def test_a_rare_match_costs_no_more_than_the_read_budget_per_page(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_inbox, "READ_BUDGET", 4)
    monkeypatch.setattr(console_inbox, "CHUNK", 4)
    for bits in range(1, 10):
        store(deps, bits, minutes=100 - bits)
    rare = store(deps, 10, minutes=1, reason="damaged")
    seen: list[str] = []
    shown = page(deps, reason="damaged")
    for _ in range(5):
        assert deps.inbox.entries_read <= 4
        deps.inbox.entries_read = 0
        seen += rmas(shown)
        if shown.next_page is None:
            break
        assert shown.partial
        shown = follow(deps, shown, shown.next_page, reason="damaged")
    assert seen == [rare]


def test_a_decision_is_overdue_once_its_age_reaches_the_sla(deps: Deps) -> None:
    sla = DEFAULT_POLICY.approval_sla_hours * 60
    late, on_time = store(deps, 1, minutes=sla), store(deps, 2, minutes=sla - 1)
    rows = {row.request.rma: row for row in page(deps).rows}
    assert rows[late].overdue and not rows[on_time].overdue
    assert rows[on_time].age == timedelta(minutes=sla - 1)


def test_an_approved_return_is_never_overdue_and_is_counted_not_listed(deps: Deps) -> None:
    store(deps, 1, minutes=60 * 24 * 5, pending=False)
    shown = page(deps)
    assert shown.rows == () and [(c.status, c.count) for c in shown.counts][0] == ("approved", 1)
    assert [row.request.status for row in shown.counts[0].rows] == ["approved"]
    listed = page(deps, status="approved")
    assert not listed.rows[0].overdue and listed.counts == ()


def test_a_creation_date_counts_in_the_stores_time_zone(deps: Deps) -> None:
    tokyo = DEFAULT_POLICY.__class__(time_zone="Asia/Tokyo")
    # 23 Nov 12:00 UTC is 21:00 in Tokyo; 20 hours earlier is 22 Nov 16:00 UTC, 23 Nov 01:00 in Tokyo.
    early = store(deps, 1, minutes=20 * 60)
    query = parse_query({"from": "2026-11-23", "to": "2026-11-23"}, reasons=REASONS)
    assert rmas(inbox_page(deps, query, policy=tokyo)) == [early]
    assert rmas(inbox_page(deps, query, policy=DEFAULT_POLICY)) == []


def test_a_cursor_belongs_to_its_query(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_inbox, "PAGE_SIZE", 1)
    store(deps, 1, minutes=10)
    store(deps, 2, minutes=5)
    cursor = page(deps).next_page
    assert cursor is not None
    with pytest.raises(InboxFilterError) as refused:
        page(deps, reason="damaged", page=cursor)
    assert refused.value.problems == {"page": "stale"}
    with pytest.raises(InboxFilterError):
        page(deps, page="v1.forged.token")


@pytest.mark.parametrize(("values", "problems"), [
    ({"status": "lost"}, {"status": "unknown"}),
    ({"reason": "gift"}, {"reason": "unknown"}),
    ({"from": "2026-02-30"}, {"from": "format"}),
    ({"to": "yesterday"}, {"to": "format"}),
    ({"from": "2026-11-02", "to": "2026-11-01"}, {"to": "order"}),
    ({"q": "two words!"}, {"q": "format"}),
    ({"q": "x@"}, {"q": "format"}),
])
def test_values_the_inbox_cant_use_are_named_by_field(values: dict[str, str], problems: dict[str, str]) -> None:
    with pytest.raises(InboxFilterError) as refused:
        parse_query(values, reasons=REASONS)
    assert refused.value.problems == problems


def test_a_query_keeps_its_values_for_links() -> None:
    query = parse_query({"status": "approved", "q": "  A-1001 ", "from": "2026-11-01"}, reasons=REASONS)
    assert query.fields() == {"status": "approved", "q": "A-1001", "from": "2026-11-01"}
    assert query.created_from == date(2026, 11, 1)
