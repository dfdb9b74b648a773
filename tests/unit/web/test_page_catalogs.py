"""The page catalogs: every page string extracted, translated in every language, compiled."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from chalicelib.domain.locale import SUPPORTED_LOCALES
from chalicelib.web.i18n import CATALOG_DIRS, LOCALES_DIR
from chalicelib.web.page_i18n import DOMAIN, translations

REPO = Path(__file__).resolve().parents[3]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / CATALOG_DIRS[locale] / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as source:
        return read_po(source, locale=CATALOG_DIRS[locale])


def _strings_in_code() -> set[str]:
    method_map = [("chalicelib/web/shopper_pages.py", "python"), ("templates/pages/**.html", "jinja2")]
    options = {"templates/pages/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(REPO), method_map, options,
                                                keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_compiled_page_catalog_matches_its_po_file(locale: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(locale))
    on_disk = (LOCALES_DIR / CATALOG_DIRS[locale] / "LC_MESSAGES" / f"{DOMAIN}.mo").read_bytes()
    assert on_disk == compiled.getvalue(), f"run: pybabel compile -D {DOMAIN} -d chalicelib/locales"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_page_string_is_translated_with_the_same_placeholders(locale: str) -> None:
    catalog = _catalog(locale)
    for msgid in _strings_in_code():
        entry = catalog.get(msgid)
        assert entry is not None, f"{msgid!r} missing from {locale}: extract and update (page_i18n.py)"
        assert entry.string and not entry.fuzzy, f"{msgid!r} is untranslated or fuzzy in {locale}"
        assert sorted(PLACEHOLDER.findall(entry.string)) == sorted(PLACEHOLDER.findall(msgid)), msgid


@pytest.mark.parametrize("locale", ["ja", "zh-Hans", "ko"])
def test_the_pages_really_speak_the_language(locale: str) -> None:
    catalog = translations(locale)
    assert catalog.gettext("Find my order") != "Find my order"
    assert catalog.gettext("Continue") != "Continue"
