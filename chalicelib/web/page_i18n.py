"""Page words from the gettext catalogs (domain `pages`) and the Jinja2 environment that uses them.

The English text is the msgid; translations live in chalicelib/locales/<lang>/LC_MESSAGES/
pages.po. After changing a page string, refresh and compile the catalogs from the repo root:

    pybabel extract -F chalicelib/locales/pages-babel.cfg -k _ -k N_ --no-location \
        --omit-header -o chalicelib/locales/pages.pot .
    pybabel update -D pages -i chalicelib/locales/pages.pot -d chalicelib/locales
    pybabel compile -D pages -d chalicelib/locales

tests/unit/web/test_page_catalogs.py fails while a .mo file lags behind its .po file or a
string is left untranslated.
"""

from __future__ import annotations

import gettext
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

from .i18n import CATALOG_DIRS, LOCALES_DIR
from .rendering import TEMPLATES

DOMAIN = "pages"


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled page catalog of a supported locale (English is the msgid itself)."""
    path = LOCALES_DIR / CATALOG_DIRS.get(locale, "en") / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as catalog:
        return gettext.GNUTranslations(catalog)


def gettext_for(locale: str) -> gettext.NullTranslations:
    return translations(locale)


@cache
def environment() -> jinja2.Environment:
    """Jinja2 for the shopper pages: autoescaped, strict, with {% trans %} (new-style gettext)."""
    import jinja2  # here, not at import: the JSON API never renders a page
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Callables are given per render (the page's language); this only switches on the
    # new style: autoescaped, %-formatted with keyword arguments.
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env
