"""The words of labels and packing slips, in the order's language."""

from __future__ import annotations

from chalicelib.locales.names import reason_name
from chalicelib.services.label_document import label_word


def test_the_instructions_read_in_the_orders_language() -> None:
    assert label_word("put_in_box", "en") == "Put this page in the box"
    assert label_word("put_in_box", "ja") == "このページを箱に入れてください"
    assert label_word("put_in_box", "zh-Hans") == "请将此页放入箱内"
    assert label_word("put_in_box", "ko") == "이 페이지를 상자에 넣어 주세요"


def test_reasons_read_in_the_orders_language_and_a_stores_own_code_reads_as_itself() -> None:
    assert reason_name("too_small", "ja") == "サイズが小さい"
    assert reason_name("wrong_item", "ko") == "오배송"
    assert reason_name("gift_duplicate", "ja") == "Gift duplicate"
