"""Exchanges on the shopper's pages (items, review, confirm) and their settings in the console."""

from __future__ import annotations

import re
from typing import Any

from chalice.test import Client

from tests.functional.conftest import console_cookie, put_policy
from tests.functional.test_console_policy import current_policy, forms, post


# --- the console's policy editor -----------------------------------------------------------------

def test_an_owner_saves_the_three_exchange_settings_and_the_diff_names_them_in_words(client: Client) -> None:
    put_policy(client)
    owner = console_cookie("owner")
    editor = client.http.get("/console/policy", headers=owner)
    page = editor.body.decode()
    assert "Exchanges for another variant" in page and 'name="exchange_trigger"' in page
    fields = forms(editor)["/console/policy/preview"]
    assert (fields["exchanges"], fields["exchange_trigger"], fields["exchange_out_of_stock"]) == (
        "same_price", "on_receipt", "refund")
    before = current_policy(client)["version"]
    fields |= {"exchanges": "any_price", "exchange_trigger": "on_approval", "exchange_out_of_stock": "store_credit"}

    preview = post(client, "/console/policy/preview", owner, fields)
    assert preview.status_code == 200
    assert "For any variant: the shopper pays or gets back the price difference" in preview.body.decode()
    saved = post(client, "/console/policy", owner, forms(preview)["/console/policy"])
    assert saved.status_code == 303
    stored = current_policy(client)
    assert (stored["exchanges"], stored["exchange_trigger"], stored["exchange_out_of_stock"]) == (
        "any_price", "on_approval", "store_credit")

    diff = client.http.get(f"/console/policy/versions/diff?from={before}&to={stored['version']}", headers=owner)
    text = diff.body.decode()
    assert re.search(r"When the replacement order is made</th>\s*<td>When the parcel is received</td>\s*"
                     r"<td>As soon as the return is approved</td>", text), text
    assert "Only for variants at the same price" in text


def test_an_unknown_exchange_setting_is_refused_beside_its_field_and_nothing_is_saved(client: Client) -> None:
    put_policy(client)
    owner = console_cookie("owner")
    fields = forms(client.http.get("/console/policy", headers=owner))["/console/policy/preview"]
    before = current_policy(client)["version"]
    answer: Any = post(client, "/console/policy", owner, fields | {"exchanges": "sometimes"})
    assert answer.status_code == 400
    assert re.search(r'id="error-field-exchanges">Choose one of the options\.', answer.body.decode())
    assert current_policy(client)["version"] == before
