"""Page words from the gettext catalogs (domain `pages`); web/html.py renders the pages with them.

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

from .i18n import CATALOG_DIRS, LOCALES_DIR

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
