"""The policy editor of the console: owners preview, save and compare versions; nobody else may."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, console_cookie, put_policy

FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


class _Forms(HTMLParser):
    """The fields a browser would send from each form of a page, by the form's action."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._form: dict[str, str] | None = None
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = self.forms.setdefault(a.get("action", ""), {})
        elif self._form is None:
            return
        elif tag == "input" and "name" in a:
            if a.get("type") != "checkbox" or "checked" in a:
                self._form[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._first_option = a["name"], None
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
                self._form.setdefault(self._select, self._first_option)
            if "selected" in a:
                self._form[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms(page: Any) -> dict[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(page.body.decode())
    return parser.forms


def post(client: Client, path: str, headers: dict[str, str], fields: dict[str, str]) -> Any:
    return client.http.post(path, headers=headers | FORM_HEADERS, body=urlencode(fields))


def current_policy(client: Client) -> dict[str, Any]:
    document: dict[str, Any] = client.http.get("/api/v1/admin/policy", headers=ADMIN).json_body
    return document


def lookup_verdict(client: Client, number: str, line: str) -> dict[str, Any]:
    response = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                                body=json.dumps({"order_number": number, "email": "aiko@example.jp"}))
    assert response.status_code == 200
    verdict: dict[str, Any] = {ln["id"]: ln for ln in response.json_body["order"]["lines"]}[line]["verdict"]
    return verdict


@pytest.fixture(scope="module", autouse=True)
def orders(client: Client) -> None:
    """An order delivered 10 days ago: inside the default 30-day window, outside a 7-day one."""
    document = an_order_document(number="7001", placed_at=days_ago(12), delivered_at=days_ago(10))
    response = client.http.put("/api/v1/admin/orders/7001", headers=ADMIN, body=json.dumps(document))
    assert response.status_code == 201


@pytest.fixture(autouse=True)
def default_policy(client: Client) -> None:
    put_policy(client)


def test_an_owner_previews_a_shorter_window_then_saves_it_and_the_next_lookup_uses_it(client: Client) -> None:
    owner = console_cookie("owner")
    editor = client.http.get("/console/policy", headers=owner)
    assert editor.status_code == 200
    fields = forms(editor)["/console/policy/preview"]
    assert fields["window_days"] == "30"
    fields["window_days"] = "7"

    preview = post(client, "/console/policy/preview", owner, fields)
    assert preview.status_code == 200
    page = preview.body.decode()
    assert "What would change" in page
    # The order's first line would move from inside the window to an exception.
    assert re.search(r"<th scope=\"row\">7001</th><td>L1</td><td>Returnable \(within the window\)</td>"
                     r"<td>Needs approval \(after the window\)</td>", page)
    assert lookup_verdict(client, "7001", "L1")["status"] == "returnable", "a preview stores nothing"

    saving = forms(preview)["/console/policy"]
    assert saving["window_days"] == "7"
    saved = post(client, "/console/policy", owner, saving)
    assert saved.status_code == 303
    stored = current_policy(client)
    assert saved.headers["Location"] == f"/console/policy?saved={stored['version']}"
    assert stored["window_days"] == 7
    verdict = lookup_verdict(client, "7001", "L1")
    assert (verdict["status"], verdict["reason_code"]) == ("needs_approval", "window_passed")

    history = client.http.get("/console/policy/versions", headers=owner).body.decode()
    assert "owner@retour.local" in history


def test_money_is_typed_in_the_currencys_units_and_stored_in_minor_units(client: Client) -> None:
    owner = console_cookie("owner")
    fields = forms(client.http.get("/console/policy", headers=owner))["/console/policy/preview"]
    fields |= {"shipping-0-currency": "USD", "shipping-0-amount": "5.95",
               "shipping-1-currency": "JPY", "shipping-1-amount": "1,500"}
    preview = post(client, "/console/policy/preview", owner, fields)
    assert preview.status_code == 200
    assert post(client, "/console/policy", owner, forms(preview)["/console/policy"]).status_code == 303
    assert current_policy(client)["fees"]["return_shipping"] == {"JPY": 1500, "USD": 595}


def test_rules_and_reasons_are_added_in_empty_rows_and_removed_with_their_box(client: Client) -> None:
    owner = console_cookie("owner")
    fields = forms(client.http.get("/console/policy", headers=owner))["/console/policy/preview"]
    assert fields["rule-0-product_type"] == "gift_card" and "rule-1-sku" in fields, "an empty row to add a rule"
    fields |= {"rule-0-remove": "yes", "rule-1-tag": "swimwear", "rule-1-window_days": "7",
               "reason-0-remove": "yes", "reason-6-code": "arrived_late", "reason-6-requires_note": "yes"}
    preview = post(client, "/console/policy/preview", owner, fields)
    assert preview.status_code == 200
    assert post(client, "/console/policy", owner, forms(preview)["/console/policy"]).status_code == 303
    stored = current_policy(client)
    assert stored["rules"] == [{"match": {"tag": "swimwear"}, "returnable": True, "window_days": 7}]
    assert [r["code"] for r in stored["reasons"]] == ["too_large", "changed_mind", "not_as_described", "damaged",
                                                     "wrong_item", "arrived_late"]
    assert stored["reasons"][-1]["requires_note"] is True
    history = client.http.get("/console/policy/versions", headers=owner).body.decode()
    assert "The admin API" in history, "versions saved by a PUT name no staff member"


def test_errors_are_shown_beside_each_field_with_a_summary_and_nothing_is_saved(client: Client) -> None:
    owner = console_cookie("owner")
    before = current_policy(client)
    fields = forms(client.http.get("/console/policy", headers=owner))["/console/policy/preview"]
    fields |= {"window_days": "ten days", "merchant_email": "not-an-email",
               "shipping-0-currency": "USD", "shipping-0-amount": "5.955"}
    for path in ("/console/policy/preview", "/console/policy"):
        answer = post(client, path, owner, fields)
        assert answer.status_code == 400
        page = answer.body.decode()
        for name in ("window_days", "merchant_email", "shipping-0-amount"):
            assert f'href="#field-{name}"' in page, "the summary links to the field"
            control = re.search(rf'<input [^>]*id="field-{name}"[^>]*>', page)
            assert control is not None
            assert 'aria-invalid="true"' in control.group(0)
            assert f"error-field-{name}" in control.group(0), "the error describes the field"
            assert f'id="error-field-{name}"' in page
        assert "Enter a whole number of days from 0 to 3650." in page
        assert "This currency doesn&#39;t have that many decimals." in page
        assert 'value="ten days"' in page and 'value="not-an-email"' in page, "what was typed is kept"
    assert current_policy(client) == before


def test_a_save_on_a_version_someone_else_replaced_is_refused_and_keeps_the_form(client: Client) -> None:
    owner = console_cookie("owner")
    fields = forms(client.http.get("/console/policy", headers=owner))["/console/policy/preview"]
    fields["window_days"] = "9"
    saving = forms(post(client, "/console/policy/preview", owner, fields))["/console/policy"]
    opened_at = int(saving["opened_at"])
    # Another owner saves meanwhile (here through the API).
    newer = put_policy(client, window_days=60)

    refused = post(client, "/console/policy", owner, saving)
    assert refused.status_code == 409
    page = refused.body.decode()
    assert "Someone saved a newer version" in page
    assert f'href="/console/policy/versions/diff?from={opened_at}&amp;to={newer["version"]}"' in page
    assert forms(refused)["/console/policy/preview"]["window_days"] == "9", "nothing typed is lost"
    assert current_policy(client)["window_days"] == 60


def test_a_preview_after_someone_elses_save_compares_with_their_version_and_says_so(client: Client) -> None:
    owner = console_cookie("owner")
    fields = forms(client.http.get("/console/policy", headers=owner))["/console/policy/preview"]
    opened_at = fields["opened_at"]
    newer = put_policy(client, window_days=60)
    fields["window_days"] = "9"
    preview = post(client, "/console/policy/preview", owner, fields)
    page = preview.body.decode()
    assert f"after you opened this form at version {opened_at}" in page
    assert re.search(r"Return window \(days\)</th>\s*<td>60</td>\s*<td>9</td>", page), "compared with theirs"
    saving = forms(preview)["/console/policy"]
    assert saving["opened_at"] == str(newer["version"])


def test_the_diff_between_two_versions_names_the_changed_window_in_words(client: Client) -> None:
    owner = console_cookie("owner")
    first = put_policy(client, window_days=30)
    second = put_policy(client, window_days=14, reasons=[{"code": "too_small"}, {"code": "arrived_late"}])
    page = client.http.get(f"/console/policy/versions/diff?from={first['version']}&to={second['version']}",
                           headers=owner)
    assert page.status_code == 200
    text = page.body.decode()
    assert re.search(r"Return window \(days\)</th>\s*<td>30</td>\s*<td>14</td>", text)
    assert "arrived_late" in text and "Added:" in text
    assert "too_large" in text and "Removed" in text
    assert "{" not in text.split("<main", 1)[1], "words, not JSON"


def test_an_unknown_version_is_not_found(client: Client) -> None:
    page = client.http.get("/console/policy/versions/diff?from=0&to=99999", headers=console_cookie("owner"))
    assert page.status_code == 404


@pytest.mark.parametrize("role", ["agent", "warehouse"])
def test_agents_and_warehouse_staff_get_the_403_page(client: Client, role: str) -> None:
    headers = console_cookie(role)
    for path in ("/console/policy", "/console/policy/versions", "/console/policy/versions/diff?from=0&to=1"):
        page = client.http.get(path, headers=headers)
        assert page.status_code == 403
        assert "This page is not for your role" in page.body.decode()
    before = current_policy(client)
    refused = post(client, "/console/policy", headers, {"window_days": "1"})
    assert refused.status_code == 403
    assert current_policy(client) == before


def test_a_stranger_is_sent_to_sign_in(client: Client) -> None:
    page = client.http.get("/console/policy")
    assert page.status_code in (302, 303)
    assert page.headers["Location"].startswith("/console/sign-in")


def test_an_owner_sets_the_send_by_reminder_and_a_wrong_value_is_explained_beside_it(client: Client) -> None:
    owner = console_cookie("owner")
    page = client.http.get("/console/policy", headers=owner)
    assert "Remind the shopper to send the parcel (days before the send-by date)" in page.body.decode()
    fields = forms(page)["/console/policy/preview"]
    assert fields["ship_reminder_days_before"] == "3"
    before = current_policy(client)
    answer = post(client, "/console/policy", owner, fields | {"ship_reminder_days_before": "45"})
    assert answer.status_code == 400
    control = re.search(r'<input [^>]*id="field-ship_reminder_days_before"[^>]*>', answer.body.decode())
    assert control is not None and 'aria-invalid="true"' in control.group(0)
    assert "Enter a number of days from 1 to 30, or leave it empty to send no reminder." in answer.body.decode()
    assert current_policy(client) == before
    saved = post(client, "/console/policy", owner, fields | {"ship_reminder_days_before": ""})
    assert saved.status_code in (200, 303), saved.body[:300]
    assert current_policy(client)["ship_reminder_days_before"] is None
