"""Exchanges on the shopper's pages (items, review, confirm) and their settings in the console."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from chalice.test import Client

from tests.documents import an_order_document, days_ago
from tests.functional.conftest import ADMIN, console_cookie, put_policy
from tests.functional.test_console_policy import current_policy, forms, post
from tests.functional.test_shopper_pages import Browser

# A tee sold in M at €33.00: L is dearer, S the same price, XS cheaper, XL has one unit left.
TEE: dict[str, Any] = {
    "product_id": "tee-xp", "title": "Linen tee", "currency": "EUR",
    "variants": [
        {"sku": "TXP-M", "options": {"size": "M"}, "price": 3300, "stock": 10},
        {"sku": "TXP-L", "options": {"size": "L"}, "price": 3800, "stock": 10},
        {"sku": "TXP-S", "options": {"size": "S"}, "price": 3300, "stock": 10},
        {"sku": "TXP-XS", "options": {"size": "XS"}, "price": 2500, "stock": 10},
        {"sku": "TXP-XL", "options": {"size": "XL"}, "price": 3300, "stock": 1},
        {"sku": "TXP-XXL", "options": {"size": "XXL"}, "price": 3300, "stock": 1},
    ],
}
# Orders 7801-7808 (en, EUR) and 7811 (ja, EUR): one per test, each a tee in M and socks.
ORDERS = ("7801", "7802", "7803", "7804", "7805", "7806", "7807", "7808", "7811")


def an_exchange_order(number: str, locale: str = "en") -> dict[str, Any]:
    return an_order_document(
        number=number, email="kim@example.com", locale=locale, currency="EUR", customer_name="Kim Lee",
        placed_at=days_ago(7), delivered_at=days_ago(5), shipping_total=0,
        lines=[
            {"id": "L1", "sku": "TXP-M", "title": "Linen tee", "quantity": 1, "unit_price": 3300, "tax": 0,
             "product_id": "tee-xp", "options": {"size": "M"}},
            {"id": "L2", "sku": "SOCK-1", "title": "Wool socks", "quantity": 1, "unit_price": 900, "tax": 0},
        ])


@pytest.fixture(scope="module", autouse=True)
def catalog_and_orders(client: Client) -> None:
    answer = client.http.put("/api/v1/admin/products/tee-xp", headers=ADMIN, body=json.dumps(TEE))
    assert answer.status_code in (200, 201), answer.json_body
    for number in ORDERS:
        document = an_exchange_order(number, locale="ja" if number == "7811" else "en")
        answer = client.http.put(f"/api/v1/admin/orders/{number}", headers=ADMIN, body=json.dumps(document))
        assert answer.status_code in (200, 201), answer.json_body


@pytest.fixture
def any_price(client: Client) -> None:
    put_policy(client, exchanges="any_price")


def text(response: Any) -> str:
    return html.unescape(response.body.decode())


def csrf_of(page: Any) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.body.decode())
    assert found, "no CSRF field"
    return found.group(1)


def shopper_of(client: Client, number: str, lang: str = "en") -> Browser:
    shopper = Browser(client, accept_language=lang)
    answer = shopper.post("/lookup", {"order_number": number, "email": "kim@example.com"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/return/items", text(answer)
    return shopper


def choose(shopper: Browser, **lines: str) -> Any:
    """Tick lines by index ("0": the tee) with their exchange SKU ("" for money back)."""
    items = shopper.get("/return/items")
    form = {"csrf": csrf_of(items)}
    for index, sku in lines.items():
        form |= {f"return-{index}": "1", f"quantity-{index}": "1", f"reason-{index}": "too_small",
                 f"exchange-{index}": sku}
    return shopper.post("/return/items", form)


def confirm(shopper: Browser) -> Any:
    review = shopper.get("/return/review")
    assert review.status_code == 200, text(review)
    return shopper.post("/return/confirm", {"csrf": csrf_of(review)})


def stock_of(client: Client, sku: str) -> dict[str, int]:
    product = client.http.get("/api/v1/admin/products/tee-xp", headers=ADMIN).json_body
    variant: dict[str, int] = next(v for v in product["variants"] if v["sku"] == sku)
    return {name: variant[name] for name in ("stock", "reserved", "available")}


# --- the shopper's steps -------------------------------------------------------------------------

def test_the_items_step_offers_each_variant_in_stock_with_its_price_difference(client: Client, any_price: None) -> None:
    page = text(shopper_of(client, "7801").get("/return/items"))
    assert "What would you like instead?" in page
    assert re.search(r'<input type="radio" id="exchange-0" name="exchange-0" value="" checked>\s*'
                     r'<label for="exchange-0">Money back</label>', page)
    assert "Size L — €5.00 more" in page
    assert "Size S — same price" in page
    assert "Size XS — €8.00 back" in page
    assert "Size M —" not in page, "the variant sold is not its own exchange"
    assert 'name="exchange-1"' not in page, "the socks name no product: money back only"


def test_a_same_price_store_offers_only_the_variants_at_the_same_price(client: Client) -> None:
    put_policy(client, exchanges="same_price")
    page = text(shopper_of(client, "7801").get("/return/items"))
    assert "Size S — same price" in page
    assert "€5.00 more" not in page and "€8.00 back" not in page


def test_an_even_exchange_skips_the_money_step_shows_both_values_and_confirms(client: Client, any_price: None) -> None:
    shopper = shopper_of(client, "7802")
    chosen = choose(shopper, **{"0": "TXP-S"})
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/return/review", text(chosen)
    # The money step has nothing to ask: it leads on to the review.
    assert shopper.get("/return/resolution").headers["Location"] == "/return/review"
    review = text(shopper.get("/return/review"))
    assert "You send back: Size M (€33.00) · You get: Size S (€33.00)" in review
    assert "No price difference" in review
    assert "how you get your money back" not in review, "no money choice to change"
    assert '<span class="progress-name">Exchange</span>' in review, "the third step is the exchange"

    done = confirm(shopper)
    assert done.status_code == 303, text(done)
    assert re.fullmatch(r"/returns/R-[A-Z0-9-]+/confirmation", done.headers["Location"])
    confirmation = text(shopper.get(done.headers["Location"]))
    assert "We send your replacement as soon as the store has your parcel." in confirmation
    assert "You send back: Size M (€33.00) · You get: Size S (€33.00)" in confirmation


def test_a_cheaper_exchange_says_what_is_refunded(client: Client, any_price: None) -> None:
    shopper = shopper_of(client, "7803")
    assert choose(shopper, **{"0": "TXP-XS"}).headers["Location"] == "/return/review"
    review = text(shopper.get("/return/review"))
    assert "You send back: Size M (€33.00) · You get: Size XS (€25.00)" in review
    assert "We refund €8.00" in review


def test_a_dearer_exchange_shows_what_to_pay_and_its_confirm_leads_to_the_payment(client: Client, any_price: None) -> None:
    shopper = shopper_of(client, "7804")
    before = stock_of(client, "TXP-L")
    assert choose(shopper, **{"0": "TXP-L"}).headers["Location"] == "/return/review"
    review = text(shopper.get("/return/review"))
    assert "You send back: Size M (€33.00) · You get: Size L (€38.00)" in review
    assert "You pay €5.00" in review
    done = confirm(shopper)
    assert done.status_code == 303, text(done)
    assert re.fullmatch(r"/returns/R-[A-Z0-9-]+/pay", done.headers["Location"])
    assert stock_of(client, "TXP-L")["available"] == before["available"] - 1, "the unit is reserved"


def test_exchanges_and_money_back_together_are_explained_and_the_ticks_kept(client: Client, any_price: None) -> None:
    shopper = shopper_of(client, "7805")
    mixed = choose(shopper, **{"0": "TXP-S", "1": ""})
    assert mixed.status_code == 400
    page = text(mixed)
    assert ("A return is either an exchange or money back, so this needs two returns. You chose an exchange "
            "for Linen tee and money back for Wool socks") in page
    assert 'id="return-0" name="return-0" value="1" checked' in page
    assert 'id="return-1" name="return-1" value="1" checked' in page
    assert re.search(r'value="TXP-S" checked', page)
    assert shopper.get("/return/review").headers["Location"] == "/return/items", "nothing was kept as a draft"


def test_a_variant_sold_out_since_the_page_is_refused_naming_what_is_left(client: Client, any_price: None) -> None:
    shopper = shopper_of(client, "7806")
    items = shopper.get("/return/items")
    assert "Size XL — same price" in text(items)
    # Another shopper takes the last XL between the page and the submit.
    rival = shopper_of(client, "7803")
    rival_items = rival.get("/return/items")
    assert rival_items.status_code == 200
    taken = client.http.post("/api/v1/returns", headers={"Content-Type": "application/json", **_bearer(client, "7801")},
                             body=json.dumps({"order_number": "7801", "resolution": "exchange",
                                              "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small",
                                                         "exchange_for": {"sku": "TXP-XL"}}]}))
    assert taken.status_code == 201, taken.json_body
    refused = shopper.post("/return/items", {"csrf": csrf_of(items), "return-0": "1", "quantity-0": "1",
                                             "reason-0": "too_small", "exchange-0": "TXP-XL"})
    assert refused.status_code == 400
    page = text(refused)
    assert re.search(r'<p class="field-error" id="exchange-0-error">.*Linen tee: Size XL is no longer available\. '
                     r'Still available: Size L, Size S, Size XS\b', page), page
    assert 'value="TXP-XL"' not in page, "no longer offered"
    assert stock_of(client, "TXP-XL") == {"stock": 1, "reserved": 1, "available": 0}


def test_the_last_unit_taken_between_the_review_and_the_confirm_makes_nothing(client: Client, any_price: None) -> None:
    shopper = shopper_of(client, "7807")
    assert choose(shopper, **{"0": "TXP-XXL"}).headers["Location"] == "/return/review"
    review = shopper.get("/return/review")
    assert "You get: Size XXL (€33.00)" in text(review)
    taken = client.http.post("/api/v1/returns", headers={"Content-Type": "application/json", **_bearer(client, "7808")},
                             body=json.dumps({"order_number": "7808", "resolution": "exchange",
                                              "lines": [{"line_id": "L1", "quantity": 1, "reason": "too_small",
                                                         "exchange_for": {"sku": "TXP-XXL"}}]}))
    assert taken.status_code == 201, taken.json_body
    refused = shopper.post("/return/confirm", {"csrf": csrf_of(review)})
    assert refused.status_code == 409
    page = text(refused)
    assert "Linen tee: Size XXL is no longer available. Still available: Size L, Size S, Size XS" in page
    assert 'id="return-0" name="return-0" value="1" checked' in page, "the draft is shown as it was"
    assert stock_of(client, "TXP-XXL") == {"stock": 1, "reserved": 1, "available": 0}, "one unit, one promise"
    returns = client.http.get("/api/v1/admin/returns?order_number=7807", headers=ADMIN)
    assert returns.status_code == 200 and not returns.json_body["returns"], returns.json_body


def test_a_store_without_exchanges_asks_nothing_about_them(client: Client) -> None:
    put_policy(client, exchanges="off")
    page = text(shopper_of(client, "7801").get("/return/items"))
    assert "What would you like instead?" not in page and 'name="exchange-0"' not in page


def _bearer(client: Client, number: str) -> dict[str, str]:
    answer = client.http.post("/api/v1/lookup", headers={"Content-Type": "application/json"},
                              body=json.dumps({"order_number": number, "email": "kim@example.com"}))
    assert answer.status_code == 200, answer.json_body
    return {"Authorization": f"Bearer {answer.json_body['token']}"}


def test_a_japanese_shopper_exchanges_in_japanese_and_the_language_switch_keeps_the_choice(
        client: Client, any_price: None) -> None:
    shopper = shopper_of(client, "7811", lang="ja")
    items = shopper.get("/return/items")
    assert 'lang="ja"' in items.body.decode()
    # The language menu sends the step: the choice is kept in the draft and shown in English.
    switched = shopper.post("/return/items?lang=en", {"csrf": csrf_of(items), "return-0": "1", "quantity-0": "1",
                                                      "reason-0": "too_small", "exchange-0": "TXP-L",
                                                      "switch_lang": "en"})
    assert switched.status_code == 303
    english = text(shopper.get("/return/items?lang=en"))
    assert re.search(r'value="TXP-L" checked', english)
    back = shopper.get("/return/items?lang=ja")
    chosen = shopper.post("/return/items", {"csrf": csrf_of(back), "return-0": "1", "quantity-0": "1",
                                            "reason-0": "too_small", "exchange-0": "TXP-L"})
    assert chosen.headers["Location"] == "/return/review"
    review = text(shopper.get("/return/review"))
    assert 'lang="ja"' in review
    assert "€38.00" in review and "€33.00" in review
    # The words in Japanese, from the message catalog.
    assert "返送する商品" in review and "差額" in review
    done = confirm(shopper)
    assert re.fullmatch(r"/returns/R-[A-Z0-9-]+/pay", done.headers["Location"])


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
