"""One name per reason, status and resolution: the shopper's page, the warehouse page, the
emails and the label all say the same words for the same code, in every language."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from chalicelib.adapters.jinja_templates import environment, render
from chalicelib.adapters.reportlab_labels import render_label
from chalicelib.adapters.ses_approvals import render_approval_request
from chalicelib.adapters.ses_mailer import render_confirmation
from chalicelib.domain.locale import SUPPORTED_LOCALES
from chalicelib.domain.money import Money
from chalicelib.domain.order import Address, Order
from chalicelib.domain.exchange import ExchangeChoice
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from chalicelib.locales.names import REASONS, RESOLUTIONS, STATUSES, reason_name, resolution_name, status_name
from chalicelib.services.issue_label import LabelSender, label_document
from chalicelib.domain.approvals import ApprovalRequest, LineException
from tests.builders import a_line, an_order

NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
WAREHOUSE = Address("Retour Demo Returns", "100 Warehouse Way", "Reno", "89501", "US")


def a_return(locale: str, *, reason: str = "too_small", resolution: str = "refund") -> tuple[ReturnRequest, Order]:
    order = an_order(locale=locale, currency="JPY", lines=[a_line(currency="JPY")])
    exchanging = resolution == "exchange"
    selections = (Selection("L1", 1, reason, "a note", exchange_for="TEE-L" if exchanging else ""),)
    # An exchange for the same tee one size up, at the same price.
    price = order.lines[0].unit_price
    exchanges = {"L1": ExchangeChoice("L1", "tee", "TEE-L", (("Size", "L"),), price, price)} if exchanging else {}
    request = ReturnRequest.request(
        rma="R-7Q4K-9M2P", order=order, selections=selections,
        quote=quote(order, selections, DEFAULT_POLICY, resolution=resolution,  # type: ignore[arg-type]
                    exchanges=exchanges),
        needs_approval=True, at=NOW,
    )
    return request, order


def merchant_email(locale: str, request: ReturnRequest, order: Order, *,
                   earlier: tuple[ReturnRequest, ...] = ()) -> str:
    line = request.lines[0]
    exception = LineException("L1", "Tee", "TEE", 1, line.reason, "", Money(3300, "JPY"), "window_passed",
                              days_late=3)
    approval = ApprovalRequest(request=request, order=order, lines=(exception,), earlier_returns=earlier,
                               links=(), expires_at=NOW + timedelta(days=7), sent_at=NOW)
    _, text, html = render_approval_request(approval, locale=locale, store_name="Demo")
    return text + html


def warehouse_page(locale: str, request: ReturnRequest) -> str:
    return render("console/warehouse.html", locale, store_name="Demo", csrf="", staff_email="warehouse@retour.local",
                  staff_role="Warehouse", navigation=[], languages=[], here="/warehouse", errors={}, notice=None,
                  found=request, lines=[{"line_id": request.lines[0].line_id, "quantity": 1, "title": "Tee", "sku": "TEE",
                                         "reason": request.lines[0].reason}],
                  problem="", typed="", done=None, done_link="", refusal="", values={},
                  conditions=[{"value": "as_described", "name": "As described"}], recorded=[],
                  receivable=request.status == "approved")


def shopper_summary(locale: str, request: ReturnRequest) -> str:
    """The items list of the shopper's review, confirmation and status pages (pages/_summary.html)."""
    page = environment(locale).from_string('{% from "pages/_summary.html" import items_list %}{{ items_list(rows) }}')
    return page.render(rows=[{"line": SimpleNamespace(title="Tee"), "quoted": request.quote.lines[0],
                              "exchange": None, "needs_approval": False}])


def label_text(request: ReturnRequest, order: Order) -> tuple[str, str]:
    """(the reason the label document carries, the words of the printed PDF without spaces)."""
    deps = SimpleNamespace(label_sender=LabelSender("Demo", WAREHOUSE, "https://r.example"),
                           clock=SimpleNamespace(now=lambda: NOW), orders=None,
                           policies=SimpleNamespace(current=lambda consistent=True: DEFAULT_POLICY))
    document = label_document(deps, request, order=order)  # type: ignore[arg-type]
    pdf = render_label(document, "a4")
    printed = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return document.lines[0].reason, re.sub(r"\s+", "", printed)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("code", list(REASONS))
def test_a_reason_reads_the_same_on_pages_emails_and_the_label(locale: str, code: str) -> None:
    request, order = a_return(locale, reason=code)
    name = reason_name(code, locale)
    if locale != "en":
        assert name != REASONS[code], f"{code} is not translated in {locale}"
    assert name in shopper_summary(locale, request)
    assert name in warehouse_page(locale, request)
    assert name in merchant_email(locale, request, order)
    on_document, printed = label_text(request, order)
    assert on_document == name
    assert re.sub(r"\s+", "", name) in printed


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("code", list(STATUSES))
def test_a_status_reads_the_same_on_pages_and_in_the_merchants_email(locale: str, code: str) -> None:
    request, order = a_return(locale)
    earlier = SimpleNamespace(rma="R-0000-0001", created_at=NOW, status=code, quote=request.quote)
    shown = SimpleNamespace(**{name: getattr(request, name) for name in ("rma", "order_number", "resolution", "lines")},
                            status=code, status_changed_at=NOW)
    name = status_name(code, locale)
    if locale != "en":
        assert name != STATUSES[code], f"{code} is not translated in {locale}"
    assert name in warehouse_page(locale, shown)  # type: ignore[arg-type]
    assert name in environment(locale).from_string("{{ status_name(code) }}").render(code=code)
    assert name in merchant_email(locale, request, order, earlier=(earlier,))  # type: ignore[arg-type]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("code", list(RESOLUTIONS))
def test_a_resolution_reads_the_same_on_pages_and_in_every_email(locale: str, code: str) -> None:
    request, order = a_return(locale, resolution=code)
    name = resolution_name(code, locale)
    if locale != "en":
        assert name != RESOLUTIONS[code], f"{code} is not translated in {locale}"
    assert name in warehouse_page(locale, request)
    assert name in merchant_email(locale, request, order)
    _, text, html = render_confirmation(request, order, public_base_url="https://r.example", store_name="Demo")
    assert name in text and name in html


def test_a_stores_own_code_reads_as_its_words_everywhere() -> None:
    assert reason_name("gift_duplicate", "ja") == "Gift duplicate"
    assert status_name("on_hold", "ko") == "On hold"
