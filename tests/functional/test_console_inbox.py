"""The console's inbox (/console) through HTTP against the local DynamoDB: decisions first with
their age against the SLA, the other open statuses counted, search by RMA, order and email,
filters, pages, and who may see it."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client

from chalicelib.services import console_inbox
from tests.documents import an_order_document, days_ago
from tests.fakes import ShiftedClock
from tests.functional.conftest import ADMIN, app_clock, console_cookie, put_policy

MIA = "Mia.Chen@Example.com"
RMA_LINK = re.compile(r'href="/console/returns/(R-[0-9A-Z]{4}-[0-9A-Z]{4})"')


def an_order(number: str, email: str, *, late: bool) -> dict[str, Any]:
    # Delivered 45 days ago: past the 30-day window, so each return waits for a decision.
    delivered = days_ago(45 if late else 3)
    return an_order_document(number=number, email=email, locale="en", currency="USD",
                             placed_at=days_ago(50 if late else 5), delivered_at=delivered)


def request_return(client: Client, number: str, email: str, *, reason: str = "too_small",
                   hours_ago: float = 0) -> str:
    with app_clock(ShiftedClock(-timedelta(hours=hours_ago))):
        token = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                                 body=json.dumps({"order_number": number, "email": email})).json_body["token"]
        line: dict[str, Any] = {"line_id": "L1", "quantity": 1, "reason": reason}
        if reason == "damaged":
            line["note"] = "torn seam"
        created = client.http.post(
            "/api/v1/returns", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            body=json.dumps({"order_number": number, "resolution": "refund", "lines": [line]}),
        )
    assert created.status_code == 201, created.json_body
    rma: str = created.json_body["rma"]
    return rma


@pytest.fixture(scope="module")
def made(client: Client) -> dict[str, Any]:
    """Six returns waiting for a decision (the oldest 3 h old), two approved ones of Mia's."""
    put_policy(client, max_returns_per_customer_90d=None, approval_sla_hours=24)
    orders = {"9101": ("ann@example.com", True), "9102": ("bo@example.com", True),
              "9103": (MIA, False), "9104": (MIA.lower(), False)}
    orders |= {f"91{n}": (f"p{n}@example.com", True) for n in range(10, 14)}
    for number, (email, late) in orders.items():
        response = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN,
                                   body=json.dumps(an_order(number, email, late=late)))
        assert response.status_code == 201, response.json_body
    pending = [request_return(client, "9101", "ann@example.com", hours_ago=3),
               request_return(client, "9102", "bo@example.com", reason="damaged", hours_ago=2)]
    pending += [request_return(client, f"91{n}", f"p{n}@example.com", hours_ago=1 - n / 100) for n in range(10, 14)]
    approved = [request_return(client, "9103", MIA, reason="damaged", hours_ago=0.5),
                request_return(client, "9104", MIA, hours_ago=0.25)]
    return {"pending": pending, "approved": approved}


def inbox(client: Client, query: str = "", role: str = "agent") -> Any:
    return client.http.get(f"/console{query}", headers=console_cookie(role))


def text(response: Any) -> str:
    return html.unescape(response.body.decode())


def rmas(response: Any) -> list[str]:
    """The RMAs the page lists (above the other open statuses' groups, on the inbox's first page)."""
    return RMA_LINK.findall(response.body.decode().partition('id="groups-heading"')[0])


def grouped(response: Any) -> list[str]:
    """The RMAs in the other open statuses' groups."""
    return RMA_LINK.findall(response.body.decode().partition('id="groups-heading"')[2])


def test_returns_waiting_for_a_decision_come_first_oldest_first_with_their_age_against_the_sla(
        client: Client, made: dict[str, Any]) -> None:
    with app_clock(ShiftedClock(timedelta(hours=2))):
        page = inbox(client)
    assert page.status_code == 200
    assert rmas(page) == made["pending"]
    body = text(page)
    assert "5 h of 24 h" in body and "4 h of 24 h" in body
    assert "Overdue" not in body
    # Each row: its order, shopper, units, reason, resolution and amount.
    first_row = body[body.index(made["pending"][0]):body.index(made["pending"][1])]
    for shown in ("9101", "ann@example.com", ">1<", "Too small", "Refund to the original payment method", "$36.00"):
        assert shown in first_row
    # The other open statuses: counted, linked, after the decisions.
    groups = body.index("Other open returns")
    assert body.index(made["pending"][-1]) < groups
    assert re.search(r"Approved, waiting for the parcel\s*</span>\s*<span[^>]*>2 returns", body)
    assert 'href="/console?status=approved"' in body
    # ...each group with the returns that have waited longest in it.
    assert grouped(page) == made["approved"]


def test_a_return_past_the_sla_is_marked_overdue_in_words(client: Client, made: dict[str, Any]) -> None:
    with app_clock(ShiftedClock(timedelta(hours=21.5))):
        body = text(inbox(client))
    oldest, second = made["pending"][:2]
    row = body[body.index(oldest):body.index(second)]
    assert "Overdue:" in row and "24 h of 24 h" in row
    second_row = body[body.index(second):body.index(made["pending"][2])]
    assert "Overdue" not in second_row and "23 h of 24 h" in second_row


@pytest.mark.parametrize("search", ["rma", "rma_typed", "order", "email"])
def test_one_search_box_finds_a_return_by_rma_order_number_or_email(
        client: Client, made: dict[str, Any], search: str) -> None:
    first, second = made["approved"]
    typed = {"rma": first, "rma_typed": first.lower().replace("-", " ").replace("0", "o"), "order": "9103",
             "email": " mia.chen@EXAMPLE.com "}[search]
    page = inbox(client, "?q=" + quote(typed))
    assert page.status_code == 200
    expected = [second, first] if search == "email" else [first]
    assert rmas(page) == expected
    assert "Other open returns" not in text(page)


def test_a_search_that_finds_nothing_says_so(client: Client, made: dict[str, Any]) -> None:
    page = inbox(client, "?q=9999")
    assert page.status_code == 200 and rmas(page) == [] and "No returns match." in text(page)


def test_filters_by_status_reason_and_creation_date(client: Client, made: dict[str, Any]) -> None:
    first, second = made["approved"]
    # An open status is listed oldest first.
    assert rmas(inbox(client, "?status=approved")) == [first, second]
    assert rmas(inbox(client, "?status=pending_approval&reason=damaged")) == [made["pending"][1]]
    filtered = inbox(client, "?reason=damaged")
    assert rmas(filtered) == [made["pending"][1]]
    # The groups count every return in their status; their rows would have to be filtered too.
    assert grouped(filtered) == [] and "2 returns" in text(filtered)
    assert rmas(inbox(client, "?q=9103&reason=too_small")) == []
    assert rmas(inbox(client, "?status=rejected")) == []
    # Days in the store's time zone (UTC here); the returns were made under an hour ago.
    yesterday, today, tomorrow = days_ago(1)[:10], days_ago(0)[:10], days_ago(-1)[:10]
    assert rmas(inbox(client, f"?status=approved&from={yesterday}&to={today}")) == [first, second]
    assert rmas(inbox(client, f"?status=approved&from={tomorrow}")) == []
    assert rmas(inbox(client, f"?q=9103&to={days_ago(2)[:10]}")) == []
    assert rmas(inbox(client, f"?q=9103&from={yesterday}")) == [first]


def test_pages_walk_forward_and_back_over_more_returns_than_a_page(
        client: Client, made: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_inbox, "PAGE_SIZE", 2)
    seen: list[list[str]] = []
    page = inbox(client)
    for _ in range(5):
        seen.append(rmas(page))
        found = re.search(r'href="([^"]+)" rel="next"', page.body.decode())
        if not found:
            break
        page = inbox(client, html.unescape(found.group(1)).removeprefix("/console"))
        assert page.status_code == 200
    assert seen == [made["pending"][0:2], made["pending"][2:4], made["pending"][4:6]]
    back = re.search(r'href="([^"]+)" rel="prev"', page.body.decode())
    assert back is not None
    assert rmas(inbox(client, html.unescape(back.group(1)).removeprefix("/console"))) == made["pending"][2:4]


def test_a_filtered_listing_pages_through_the_matches_only(
        client: Client, made: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_inbox, "PAGE_SIZE", 1)
    first = inbox(client, "?reason=too_small")
    assert rmas(first) == [made["pending"][0]]
    found = re.search(r'href="([^"]+)" rel="next"', first.body.decode())
    assert found is not None and "reason=too_small" in found.group(1)
    # The damaged one (second oldest) is skipped: the next page starts after the shown entry.
    second = inbox(client, html.unescape(found.group(1)).removeprefix("/console"))
    assert rmas(second) == [made["pending"][2]]
    back = re.search(r'href="([^"]+)" rel="prev"', second.body.decode())
    assert back is not None
    assert rmas(inbox(client, html.unescape(back.group(1)).removeprefix("/console"))) == [made["pending"][0]]


def test_a_cursor_carried_to_another_query_or_edited_is_refused(
        client: Client, made: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console_inbox, "PAGE_SIZE", 2)
    found = re.search(r'href="/console\?page=([^"]+)" rel="next"', inbox(client).body.decode())
    assert found is not None
    cursor = found.group(1)
    moved = inbox(client, f"?status=approved&page={cursor}")
    assert moved.status_code == 400
    assert "This page link has expired or belongs to another search" in text(moved)
    assert inbox(client, f"?page={cursor[:-3]}abc").status_code == 400


@pytest.mark.parametrize(("query", "field", "message"), [
    ("?status=lost", "status", "Choose a status from the list."),
    ("?reason=<b>", "reason", "Choose a reason from the list."),
    ("?from=2026-13-01", "from", "Enter a date as YYYY-MM-DD."),
    ("?from=2026-12-02&to=2026-12-01", "to", "The end date can't be before the start date."),
    ("?q=" + quote("not an order!"), "q", "Type an RMA (such as R-7KQ2-9XPM), an order number or"),
])
def test_a_filter_value_the_inbox_cant_use_is_a_400_with_the_message_at_its_field(
        client: Client, made: dict[str, Any], query: str, field: str, message: str) -> None:
    page = inbox(client, query)
    assert page.status_code == 400
    body = text(page)
    assert message in body
    assert f'id="{field}-error"' in body and f'aria-describedby="{field}-error"' in body
    assert rmas(page) == []


def test_warehouse_staff_get_the_403_page_and_strangers_the_sign_in(client: Client, made: dict[str, Any]) -> None:
    refused = inbox(client, role="warehouse")
    assert refused.status_code == 403
    assert "This page is not for your role" in text(refused)
    assert rmas(refused) == []
    stranger = client.http.get("/console")
    assert stranger.status_code in (302, 303) and stranger.headers["Location"].startswith("/console/sign-in")
    assert inbox(client, role="owner").status_code == 200
