"""The console's reports page and CSV against the local DynamoDB: November's returns of three
reasons, two SKUs, five outcomes and three currencies, shown as the numbers a merchant reads in
each table and each CSV row; SLA times and CSAT; bad periods; who may see them."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from chalice.test import Client

from chalicelib.bootstrap import get_deps
from chalicelib.domain.csat import CsatAnswer, CsatSurvey
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest, rma_from_bits
from tests.builders import a_line, an_order
from tests.functional.conftest import console_cookie, put_policy

NOVEMBER = "from=2026-11-01&to=2026-11-30"
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
Move = Callable[[ReturnRequest, datetime], ReturnRequest]
FORMULA = '=HYPERLINK("http://evil.example","click")'


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def approve(r: ReturnRequest, when: datetime) -> ReturnRequest:
    return r.approve(at=when, actor="staff:agent@retour.local")


def reject(r: ReturnRequest, when: datetime) -> ReturnRequest:
    return r.reject(at=when, actor="staff:agent@retour.local", note="worn")


def receive(r: ReturnRequest, when: datetime) -> ReturnRequest:
    return r.receive(at=when, actor="staff:warehouse@retour.local")


def start_refund(r: ReturnRequest, when: datetime) -> ReturnRequest:
    return r.start_refund(r.quote.refund_value, at=when, actor="system")


def refunded(r: ReturnRequest, when: datetime) -> ReturnRequest:
    return r.mark_refunded(f"re_{r.rma}", at=when, actor="stripe")


def credit(r: ReturnRequest, when: datetime) -> ReturnRequest:
    return r.credit(at=when, actor="system")


def cancel(r: ReturnRequest, when: datetime) -> ReturnRequest:
    return r.cancel(at=when)


def stored_return(bits: int, created: datetime, moves: list[tuple[Move, datetime]], *, currency: str = "JPY",
                  sku: str = "TEE-NAVY-M", reason: str = "too_small", units: int = 1, note: str = "",
                  exception: bool = False, resolution: str = "refund") -> str:
    """A return of `units` of one line, requested at `created`, moved at the given instants and
    stored as the use cases store each move."""
    order = an_order(number=f"N{bits}", currency=currency, lines=(a_line(currency=currency, sku=sku),))
    selections = (Selection("L1", units, reason, note),)
    request = ReturnRequest.request(
        rma=rma_from_bits(bits), order=order, selections=selections,
        quote=quote(order, selections, replace(DEFAULT_POLICY), resolution=resolution), needs_approval=exception,
        at=created,
    )
    returns = get_deps().returns
    request = returns.create(request, line_quantities={"L1": 2}, now=created)
    for move, when in moves:
        request = returns.save(move(request, when), new_events=1, now=when)
    return request.rma


class MemoryCsat:
    """A CsatStore in memory (the DynamoDB one is another piece of work)."""

    def __init__(self, answers: list[CsatAnswer], surveys: list[CsatSurvey]) -> None:
        self.answers, self.surveys = answers, surveys

    def answers_between(self, start: datetime, end: datetime) -> list[CsatAnswer]:
        return [a for a in self.answers if start <= a.answered_at < end]

    def surveys_sent_between(self, start: datetime, end: datetime) -> list[CsatSurvey]:
        return [s for s in self.surveys if start <= s.sent_at < end]


RMAS: dict[str, str] = {}


@pytest.fixture(scope="module")
def seeded(client: Client) -> None:
    put_policy(client)
    # Refunded by card: asked Nov 2, approved at once, received 48 h later, paid 24 h after that.
    RMAS["refunded"] = stored_return(1, at(2), [(receive, at(4)), (start_refund, at(4, 1)), (refunded, at(5))],
                                     note=FORMULA)
    # Store credit in USD for two mugs: an exception decided in 10 h, received 72 h after, credited 12 h later.
    RMAS["credited"] = stored_return(
        2, at(3), [(approve, at(3, 10)), (receive, at(6, 10)), (credit, at(6, 22))], currency="USD", sku="MUG-1",
        reason="damaged", units=2, note="cracked handle", exception=True, resolution="store_credit")
    # An exception rejected after 30 h: outside the policy's 24.
    RMAS["rejected"] = stored_return(3, at(7), [(reject, at(8, 6))], reason="changed_mind", exception=True)
    # Cancelled by the shopper, in KRW.
    RMAS["cancelled"] = stored_return(4, at(9), [(cancel, at(9, 5))], currency="KRW")
    # Still waiting for the merchant, long past the 24 h.
    RMAS["pending"] = stored_return(5, at(20), [], exception=True)
    # Refunded on the last second of October: another period.
    stored_return(6, at(1) - 3 * DAY, [(receive, at(1) - 2 * DAY), (start_refund, at(1) - 2 * DAY),
                                       (refunded, at(1) - timedelta(seconds=1))])


@pytest.fixture
def csat() -> Iterator[MemoryCsat]:
    deps = get_deps()
    store = MemoryCsat(
        answers=[
            CsatAnswer(RMAS["refunded"], 5, "Fast refund, thanks", ("too_small",), at(7), "en"),
            CsatAnswer(RMAS["credited"], 2, "<b>Slow</b> credit", ("damaged",), at(9), "en"),
        ],
        surveys=[CsatSurvey(RMAS[k], at(d), (r,), "en")
                 for k, d, r in (("refunded", 6, "too_small"), ("credited", 8, "damaged"),
                                 ("rejected", 9, "changed_mind"))],
    )
    wired, deps._csat = deps._csat, store
    try:
        yield store
    finally:
        deps._csat = wired


def table(page: str, table_id: str) -> list[list[str]]:
    """The rows of the table `table_id` as their cells' text."""
    found = re.search(rf'<table class="data" id="{table_id}">(.*?)</table>', page, re.S)
    assert found, f"no table {table_id}"
    body = found.group(1).split("<tbody>", 1)[1]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def reports(client: Client, query: str = NOVEMBER, role: str = "owner") -> tuple[int, str]:
    answer = client.http.get(f"/console/reports?{query}", headers=console_cookie(role))
    return answer.status_code, answer.body.decode()


def test_the_tables_count_returns_and_units_by_outcome_reason_and_product(client: Client, seeded: None) -> None:
    status, page = reports(client, role="agent")

    assert status == 200
    # Statuses in the order a return goes through them; reasons and SKUs by most returns, then units.
    assert table(page, "table-statuses") == [
        ["Waiting for approval", "1", "1"], ["Declined", "1", "1"], ["Refunded", "1", "1"],
        ["Store credit issued", "1", "2"], ["Cancelled", "1", "1"],
    ]
    assert table(page, "table-reasons") == [["Too small", "3", "3"], ["Damaged", "1", "2"],
                                            ["Changed my mind", "1", "1"]]
    assert table(page, "table-skus") == [["TEE-NAVY-M", "4", "4"], ["MUG-1", "1", "2"]]
    assert "Returns: 5. Units: 6." in page


def test_money_is_shown_per_currency_with_the_money_formatter(client: Client, seeded: None) -> None:
    _, page = reports(client)

    assert table(page, "table-money-jpy") == [["Refunded", "¥3,600"], ["Store credit", "¥0"],
                                              ["Store credit bonus", "¥0"], ["Fees kept", "¥0"]]
    assert table(page, "table-money-usd") == [["Refunded", "$0.00"], ["Store credit", "$72.00"],
                                              ["Store credit bonus", "$7.20"], ["Fees kept", "$0.00"]]
    assert 'id="table-money-krw"' not in page  # cancelled: no money moved


def test_sla_times_are_medians_and_90th_percentiles_and_the_share_in_time(client: Client, seeded: None) -> None:
    _, page = reports(client)

    assert table(page, "table-sla") == [
        ["Request to decision", "2", "20.0 h", "30.0 h"],
        ["Approval to parcel received", "2", "2.5 days", "3.0 days"],
        ["Parcel received to money back", "2", "18.0 h", "24.0 h"],
    ]
    # Decided in 10 h (in time) and 30 h (late), and one still waiting past 24 h.
    assert "Exceptions decided within 24 hours: 33% (1 of 3)." in page


def test_each_chart_is_an_svg_image_with_a_title_beside_its_table(client: Client, seeded: None) -> None:
    _, page = reports(client)

    for chart in ("chart-statuses", "chart-reasons", "chart-skus", "chart-sla", "money-usd"):
        svg = re.search(rf'<svg class="chart" id="{chart}" role="img" aria-labelledby="{chart}-title"[^>]*>', page)
        assert svg, chart
        assert f'<title id="{chart}-title">' in page
    assert '<text class="chart-label" x="0" y="19" font-size="14">TEE-NAVY-M</text>' in page
    assert " style=" not in page


def test_csat_shows_score_response_rate_comments_and_scores_by_reason(client: Client, seeded: None,
                                                                       csat: MemoryCsat) -> None:
    _, page = reports(client)

    assert re.search(r'id="csat-score">50%<', page)
    assert re.search(r'id="csat-answers">2<', page)
    assert re.search(r'id="csat-response-rate">67%<', page)
    # By reason, most surveyed first: the declined return's survey went unanswered.
    assert table(page, "table-csat") == [["Changed my mind", "1", "0", "—"], ["Damaged", "1", "1", "0%"],
                                         ["Too small", "1", "1", "100%"]]
    assert "Fast refund, thanks" in page
    assert "&lt;b&gt;Slow&lt;/b&gt; credit" in page and "<b>Slow</b>" not in page


@pytest.fixture
def no_csat() -> Iterator[None]:
    deps = get_deps()
    wired, deps._csat = deps._csat, None
    try:
        yield
    finally:
        deps._csat = wired


def test_without_a_csat_store_the_page_says_so_and_shows_the_rest(client: Client, seeded: None,
                                                                   no_csat: None) -> None:
    status, page = reports(client)

    assert status == 200
    assert 'id="csat-unavailable"' in page
    assert 'id="table-reasons"' in page


@pytest.mark.parametrize(("query", "field", "words"), [
    ("from=2026-13-01&to=2026-11-30", "from", "Enter a day as YYYY-MM-DD"),
    ("from=2026-11-30&to=2026-11-01", "to", "The last day can't be before the first day."),
    ("from=2026-01-01&to=2026-11-30", "to", "A report covers at most 93 days."),
    ("from=&to=2026-11-30", "from", "Enter a day as YYYY-MM-DD"),
])
def test_a_bad_period_is_400_with_the_message_next_to_its_field(client: Client, seeded: None, query: str,
                                                                field: str, words: str) -> None:
    status, page = reports(client, query)

    assert status == 400
    message = re.search(rf'<p class="field-error" id="period-{field}-error">(.*?)</p>', page, re.S)
    assert message and words in html.unescape(message.group(1))
    assert f'aria-describedby="period-{field}-error"' in page
    assert 'id="table-reasons"' not in page


def test_without_a_period_the_form_shows_the_last_30_days(client: Client, seeded: None) -> None:
    status, page = reports(client, "")

    today = get_deps().clock.now().date()
    assert status == 200
    assert f'name="from" type="date" value="{today - timedelta(days=29)}"' in page
    assert f'name="to" type="date" value="{today}"' in page


def returns_csv(client: Client, role: str = "owner", query: str = NOVEMBER) -> tuple[int, dict[str, str], str]:
    answer = client.http.get(f"/console/reports/returns.csv?{query}", headers=console_cookie(role))
    return answer.status_code, answer.headers, answer.body.decode()


def test_the_csv_has_one_row_per_return_with_its_money_and_times(client: Client, seeded: None) -> None:
    status, headers, body = returns_csv(client, "agent")

    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == 'attachment; filename="returns-2026-11-01-2026-11-30.csv"'
    rows = list(csv.DictReader(io.StringIO(body)))
    by_rma = {row["rma"]: row for row in rows}
    assert set(by_rma) == set(RMAS.values())
    paid = by_rma[RMAS["refunded"]]
    assert (paid["status"], paid["currency"], paid["refunded"], paid["credited"], paid["skus"], paid["units"]) == (
        "refunded", "JPY", "3600", "0", "TEE-NAVY-M", "1")
    assert (paid["requested_at"], paid["received_at"], paid["money_back_at"], paid["decided_at"]) == (
        "2026-11-02T00:00:00Z", "2026-11-04T00:00:00Z", "2026-11-05T00:00:00Z", "")
    mugs = by_rma[RMAS["credited"]]
    assert (mugs["credited"], mugs["bonus"], mugs["reasons"], mugs["needed_approval"], mugs["decided_at"]) == (
        "72.00", "7.20", "damaged", "yes", "2026-11-03T10:00:00Z")
    assert "customer_email" not in rows[0] and "aiko@example.jp" not in body


def test_no_csv_cell_can_run_as_a_spreadsheet_formula(client: Client, seeded: None) -> None:
    _, _, body = returns_csv(client)

    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert "'" + FORMULA in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_the_warehouse_gets_the_403_page_and_a_stranger_the_sign_in(client: Client, seeded: None) -> None:
    status, page = reports(client, role="warehouse")
    assert status == 403 and "Warehouse staff receive parcels" in page
    assert returns_csv(client, "warehouse")[0] == 403
    stranger = client.http.get(f"/console/reports/returns.csv?{NOVEMBER}")
    assert stranger.status_code in (302, 303) and "/console/sign-in" in stranger.headers["Location"]


def test_a_bad_period_on_the_csv_is_400(client: Client, seeded: None) -> None:
    assert returns_csv(client, query="from=2026-11-30&to=2026-11-01")[0] == 400
