"""Verdict messages: every reason in every language, dates as shoppers write them."""

from __future__ import annotations

import re
from datetime import date

import pytest

from chalicelib.domain.eligibility import REASON_CODES, ParamValue, ReasonCode, Verdict
from chalicelib.domain.locale import SUPPORTED_LOCALES
from chalicelib.web.i18n import (
    MESSAGES,
    format_day,
    verdict_message,
    verdict_to_json,
)

SAMPLE_PARAMS: dict[str, tuple[tuple[str, ParamValue], ...]] = {
    "within_window": (("date", date(2026, 12, 3)),),
    "abuse_limit": (("date", date(2026, 12, 3)), ("limit", 10)),
    "window_passed": (("days_late", 4), ("request_until", date(2027, 1, 2))),
    "window_closed": (("date", date(2026, 12, 3)), ("days_late", 40)),
}


def a_verdict(reason_code: ReasonCode, **params: ParamValue) -> Verdict:
    status = {"within_window": "returnable", "abuse_limit": "needs_approval",
              "window_passed": "needs_approval"}.get(reason_code, "not_returnable")
    given = tuple(params.items()) or SAMPLE_PARAMS.get(reason_code, ())
    return Verdict("L1", status, reason_code, 1, date(2026, 12, 3), given)  # type: ignore[arg-type]


# (locale, reason code, params, message)
MESSAGES_SHOWN = [
    ("en", "within_window", {}, "Returnable until 3 December 2026"),
    ("en", "final_sale", {}, "Final sale items can't be returned"),
    ("en", "window_passed", {"days_late": 4},
     "Outside the return window by 4 days — you can ask the store for an exception"),
    ("en", "window_passed", {"days_late": 1},
     "Outside the return window by 1 day — you can ask the store for an exception"),
    ("en", "window_closed", {}, "The return window for this item ended on 3 December 2026"),
    ("ja", "within_window", {}, "2026年12月3日まで返品できます"),
    ("ja", "window_passed", {"days_late": 4}, "返品期限を4日過ぎています。ストアに例外として返品をリクエストできます"),
    ("ja", "not_delivered_yet", {}, "この商品はまだお届けしていません。お届け後に返品できます"),
    ("zh-Hans", "within_window", {}, "可退货，截止日期为2026年12月3日"),
    ("zh-Hans", "rule_not_returnable", {}, "此商品不支持退货"),
    ("ko", "within_window", {}, "2026년 12월 3일까지 반품할 수 있습니다"),
    ("ko", "window_passed", {"days_late": 1}, "반품 기한이 1일 지났습니다. 스토어에 예외 반품을 요청할 수 있습니다"),
]


@pytest.mark.parametrize(("locale", "reason_code", "params", "expected"), MESSAGES_SHOWN,
                         ids=[f"{c[0]}-{c[1]}" for c in MESSAGES_SHOWN])
def test_a_verdict_reads_as_plain_words_in_the_order_language(
    locale: str, reason_code: ReasonCode, params: dict[str, ParamValue], expected: str
) -> None:
    assert verdict_message(a_verdict(reason_code, **params), locale) == expected


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("reason_code", REASON_CODES)
def test_every_reason_has_a_finished_message_in_every_language(locale: str, reason_code: ReasonCode) -> None:
    message = verdict_message(a_verdict(reason_code), locale)

    assert message.strip()
    assert not re.search(r"[{}]", message), "a placeholder was left unfilled"
    if locale != "en":
        assert message != verdict_message(a_verdict(reason_code), "en"), "not translated"


def test_every_reason_code_has_a_message_and_no_message_is_orphaned() -> None:
    assert set(MESSAGES) == set(REASON_CODES)


def test_an_unsupported_language_falls_back_to_english() -> None:
    assert verdict_message(a_verdict("final_sale"), "fr") == "Final sale items can't be returned"


def test_a_store_language_tag_is_understood() -> None:
    assert verdict_message(a_verdict("final_sale"), "ja-JP") == verdict_message(a_verdict("final_sale"), "ja")


@pytest.mark.parametrize(("locale", "written"), [
    ("en", "3 December 2026"), ("ja", "2026年12月3日"), ("zh-Hans", "2026年12月3日"), ("ko", "2026년 12월 3일"),
])
def test_dates_are_written_as_shoppers_of_each_language_write_them(locale: str, written: str) -> None:
    assert format_day(date(2026, 12, 3), locale) == written


def test_the_lookup_verdict_object_carries_status_reason_message_date_and_quantity() -> None:
    assert verdict_to_json(a_verdict("within_window"), "en") == {
        "status": "returnable", "reason_code": "within_window",
        "message": "Returnable until 3 December 2026", "returnable_until": "2026-12-03",
        "quantity_available": 1,
    }
