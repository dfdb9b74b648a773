"""The words of labels and packing slips: every language translated, catalogs in sync."""

from __future__ import annotations

import io

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from chalicelib.domain.locale import SUPPORTED_LOCALES
from chalicelib.services.label_document import (
    CATALOG_DIRS,
    DOMAIN,
    LOCALES_DIR,
    REASONS,
    WORDS,
    label_word,
    reason_label,
)


def _catalog_path(locale: str, ext: str) -> str:
    return str(LOCALES_DIR / CATALOG_DIRS[locale] / "LC_MESSAGES" / f"{DOMAIN}.{ext}")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_compiled_label_catalog_is_up_to_date_with_its_po_file(locale: str) -> None:
    with open(_catalog_path(locale, "po"), "rb") as source:
        catalog = read_po(source, locale=CATALOG_DIRS[locale])
    compiled = io.BytesIO()
    write_mo(compiled, catalog)

    with open(_catalog_path(locale, "mo"), "rb") as on_disk:
        assert on_disk.read() == compiled.getvalue(), f"run: pybabel compile -D {DOMAIN} -d chalicelib/locales"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_label_word_is_translated(locale: str) -> None:
    with open(_catalog_path(locale, "po"), "rb") as source:
        catalog = read_po(source, locale=CATALOG_DIRS[locale])

    for msgid in [*WORDS.values(), *REASONS.values()]:
        entry = catalog.get(msgid)
        assert entry is not None, f"{msgid!r} missing from {locale}; run pybabel extract and update"
        assert entry.string and not entry.fuzzy, f"{msgid!r} is untranslated in {locale}"


def test_the_instructions_read_in_the_orders_language() -> None:
    assert label_word("put_in_box", "en") == "Put this page in the box"
    assert label_word("put_in_box", "ja") == "このページを箱に入れてください"
    assert label_word("put_in_box", "zh-Hans") == "请将此页放入箱内"
    assert label_word("put_in_box", "ko") == "이 페이지를 상자에 넣어 주세요"


def test_reasons_read_in_the_orders_language_and_a_stores_own_code_reads_as_itself() -> None:
    assert reason_label("too_small", "ja") == "サイズが小さい"
    assert reason_label("wrong_item", "ko") == "오배송"
    assert reason_label("gift_duplicate", "ja") == "Gift duplicate"
