"""The one catalog set (chalicelib/locales): extracted from the code as it is, complete in every
language, compiled as committed. `make catalogs` fixes the first and the last; a translator the middle."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from chalicelib.domain.locale import SUPPORTED_LOCALES
from chalicelib.locales import CATALOG_DIRS, DOMAIN, LOCALES_DIR, catalog

REPO = Path(__file__).resolve().parents[2]
# The keywords `make catalogs` adds to Babel's defaults (_, N_, gettext, ngettext ...).
EXTRA_KEYWORDS = {"N_plural": (1, 2), "_t": (2,)}
TRANSLATED = [locale for locale in SUPPORTED_LOCALES if locale != "en"]
# %(name)s for the %-formatted words of templates and emails, {name} for the verdicts.
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def _po(locale: str) -> Catalog:
    with (LOCALES_DIR / CATALOG_DIRS[locale] / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=CATALOG_DIRS[locale])


def _template() -> Catalog:
    with (LOCALES_DIR / f"{DOMAIN}.pot").open("rb") as source:
        return read_po(source)


def _ids(messages: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in messages if m.id}


def _strings(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def _placeholders(text: str) -> list[str]:
    return sorted(a or b for a, b in PLACEHOLDER.findall(text))


def test_the_makefile_extracts_with_the_keywords_this_test_uses() -> None:
    makefile = (REPO / "Makefile").read_text()
    for name, arguments in EXTRA_KEYWORDS.items():
        assert f"-k {name}:{','.join(map(str, arguments))}" in makefile


def test_the_template_holds_exactly_the_messages_in_the_code() -> None:
    with (LOCALES_DIR / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str | tuple[str, ...]] = set()
    for _, _, message, _, _ in extract_from_dir(str(REPO), method_map, options_map,
                                                keywords={**DEFAULT_KEYWORDS, **EXTRA_KEYWORDS}):
        found.add(message if isinstance(message, str) else tuple(message))
    in_template = _ids(_template())
    assert not found - in_template, f"run make catalogs: new in the code {sorted(map(str, found - in_template))}"
    assert not in_template - found, f"run make catalogs: gone from the code {sorted(map(str, in_template - found))}"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_each_language_has_every_message_and_nothing_fuzzy_or_obsolete(locale: str) -> None:
    po = _po(locale)
    assert _ids(po) == _ids(_template()), "run make catalogs"
    assert not po.obsolete, "run make catalogs"
    fuzzy = [m.id for m in po if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy in {locale}: {fuzzy}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(locale: str) -> None:
    for message in _po(locale):
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[-1]
        for text in _strings(message):
            assert text, f"{message.id!r} is not translated in {locale}"
            assert _placeholders(text) == _placeholders(english), (locale, message.id, text)


def test_english_is_the_text_in_the_code() -> None:
    # An English msgstr would make the code lie about what a page says: the msgid is the text.
    assert all(not any(_strings(m)) for m in _po("en") if m.id)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_compiled_catalog_is_the_po_file(locale: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _po(locale))
    on_disk = (LOCALES_DIR / CATALOG_DIRS[locale] / "LC_MESSAGES" / f"{DOMAIN}.mo").read_bytes()
    assert on_disk == compiled.getvalue(), "run make catalogs"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_each_language_really_speaks(locale: str) -> None:
    words = catalog(locale)
    assert words.gettext("Find my order") != "Find my order"
    assert words.gettext("Store credit bonus") != "Store credit bonus"


def test_a_language_we_do_not_speak_reads_english() -> None:
    assert catalog("de").gettext("Store credit bonus") == "Store credit bonus"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_translation_survives_the_formatting_its_english_survives(locale: str) -> None:
    # Templates %-format every message (Jinja's newstyle gettext), so a bare "%" in a translation
    # ("상품 금액의 %)") is a 500 on the page in that language only: write "%%", or the word.
    for message in _po(locale):
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[-1]
        values = {name: "x" for name in _placeholders(english)} | {"num": 1, "count": 1}
        try:
            english % values
        except (ValueError, TypeError, KeyError):
            continue
        for text in _strings(message):
            try:
                text % values
            except (ValueError, TypeError, KeyError) as error:
                pytest.fail(f"{locale}: {message.id!r} -> {text!r} breaks %-formatting: {error}")
