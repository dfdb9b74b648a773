"""The CSAT survey email: one short email in the return's language with five rating links."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.ses_mailer import render_csat_survey
from chalicelib.domain.csat import RATING_WORDS
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from chalicelib.locales import catalog
from tests.builders import an_order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
URLS = tuple(f"https://returns.example/feedback/v1.abc.def?rating={r}" for r in range(1, 6))
# The greeting every shopper email opens with, as each catalog has it.
HELLO = {"en": "Hello,", "ja": "こんにちは。", "zh-Hans": "您好，", "ko": "안녕하세요."}


def a_return(locale: str, *, rejected: bool = False) -> ReturnRequest:
    order = an_order(locale=locale)
    selections = (Selection("L1", 1, "too_small"),)
    request = ReturnRequest.request(rma="R-7Q4K-9M2P", order=order, selections=selections,
                                    quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"),
                                    needs_approval=rejected, at=NOW)
    return request.reject(at=NOW, actor="merchant") if rejected else request


@pytest.mark.parametrize("locale", ["en", "ja", "zh-Hans", "ko"])
def test_the_survey_speaks_the_return_s_language_and_offers_five_ratings_each_a_link(locale: str) -> None:
    words = catalog(locale)
    subject, text, html = render_csat_survey(a_return(locale), rating_urls=URLS,
                                             public_base_url="https://returns.example", store_name="Demo")
    assert subject == words.gettext("How was your return? (%(rma)s)") % {"rma": "R-7Q4K-9M2P"}
    assert f'lang="{locale}"' in html
    for body in (text, html):
        assert HELLO[locale] in body
        assert words.gettext("How was your return?") in body
    # Five links, rating 1 to 5 in order, each with its words, in both parts.
    assert re.findall(r"rating=(\d)", text) == ["1", "2", "3", "4", "5"]
    assert re.findall(r'href="[^"]*rating=(\d)"', html) == ["1", "2", "3", "4", "5"]
    for rating, url in enumerate(URLS, start=1):
        assert f"{rating} - {words.gettext(RATING_WORDS[rating])}: {url}" in text
    # Short: no order summary, no status link, nothing else to click.
    assert len(re.findall(r"https?://", text)) == 5
    assert len(re.findall(r"<a ", html)) == 5


def test_the_english_survey_reads_as_written() -> None:
    subject, text, _ = render_csat_survey(a_return("en"), rating_urls=URLS,
                                          public_base_url="https://returns.example", store_name="Demo")
    assert subject == "How was your return? (R-7Q4K-9M2P)"
    assert "Your money for return R-7Q4K-9M2P went back a day ago." in text
    assert "1 - Very poor: " in text and "5 - Excellent: " in text
    assert "These links work for 14 days." in text


def test_a_declined_return_s_survey_does_not_speak_of_money_back() -> None:
    _, text, html = render_csat_survey(a_return("en", rejected=True), rating_urls=URLS,
                                       public_base_url="https://returns.example", store_name="Demo")
    for body in (text, html):
        assert "We decided on your return R-7Q4K-9M2P a day ago." in body
        assert "money" not in body
