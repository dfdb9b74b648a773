"""The exchange's emails: the merchant's replacement order to ship, and the shopper's notice that
it was made or that the replacement ran out, each in its reader's language, values escaped."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.adapters.ses_mailer import render_exchange_notice
from chalicelib.adapters.ses_merchant_mailer import render_exchange_created
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ExchangeOrderLine, ReturnRequest
from tests.unit.domain.test_exchange import ANY_PRICE, NOW, ORDER, an_exchange

BASE = "https://returns.example"


def made(sku: str = "TEE-NAVY-S") -> ReturnRequest:
    request = an_exchange(sku)
    return request.create_exchange_order((ExchangeOrderLine("L1", sku, 1, (("size", "S"),)),), at=NOW,
                                         actor="system")


def test_the_merchant_is_told_what_to_ship_under_the_orders_number() -> None:
    subject, text, html = render_exchange_created(made(), locale="en", store_name="Shop")
    assert subject == "Replacement order X-7Q4K-9M2P to ship (return R-7Q4K-9M2P)"
    assert "1 × TEE-NAVY-S (S)" in text and "TEE-NAVY-S (S)" in html
    assert "Send it to the address of the original order." in text


def test_the_shopper_hears_the_replacement_order_in_the_returns_language() -> None:
    request = replace(made(), locale="en")
    subject, text, _ = render_exchange_notice(request, ORDER, public_base_url=BASE, store_name="Shop")
    assert "X-7Q4K-9M2P" in subject and "X-7Q4K-9M2P" in text
    assert f"1 × {ORDER.lines[0].title}, exchanged for Size S" in text
    # Not received yet: the items still go back.
    assert "Please still send back the items you are exchanging" in text


@pytest.mark.parametrize("resolution, says", [("refund", "We refund"), ("store_credit", "store credit instead")])
def test_the_shopper_hears_the_replacement_ran_out_and_what_they_get_instead(resolution: str, says: str) -> None:
    request = replace(an_exchange("TEE-NAVY-S"), locale="en")
    selections = (Selection("L1", 1, "too_small"),)
    fallback = quote(ORDER, selections, ANY_PRICE, resolution=resolution)
    fell = request.exchange_unavailable(fallback, at=NOW, actor="system")
    subject, text, html = render_exchange_notice(fell, ORDER, public_base_url=BASE, store_name="Shop")
    assert "ran out of stock" in subject and "R-7Q4K-9M2P" in subject
    assert says in text and says in html
    assert "X-" not in text


def test_an_options_value_reaches_the_html_escaped() -> None:
    request = an_exchange("TEE-NAVY-S")
    sent = request.create_exchange_order((ExchangeOrderLine("L1", "TEE-NAVY-S", 1, (("size", "<b>S</b>"),)),),
                                         at=NOW, actor="system")
    _, _, html = render_exchange_created(sent, locale="en", store_name="Shop")
    assert "<b>S</b>" not in html and "&lt;b&gt;S&lt;/b&gt;" in html
