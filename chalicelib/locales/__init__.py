"""The one gettext catalog set of Retour: pages, emails, labels and verdicts speak from it.

The English text is the msgid; each language's translations are chalicelib/locales/<lang>/
LC_MESSAGES/messages.po, compiled beside it to messages.mo (committed: the Lambda package and a
fresh checkout need no build step). After changing a message anywhere, from the repo root:

    make catalogs

which extracts messages.pot (babel.cfg says from where), updates every messages.po and
compiles them; then translate what it left empty or fuzzy. tests/unit/test_catalogs.py fails
while the .pot lags behind the code, a .po has a missing or fuzzy entry, or a .mo lags its .po.

Any layer may import this package; it imports only the domain (the languages we speak).
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

from ..domain.locale import DEFAULT_LOCALE, SUPPORTED_LOCALES

LOCALES_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"
# gettext's folder name for each of our language tags.
CATALOG_DIRS = {"en": "en", "ja": "ja", "zh-Hans": "zh_Hans", "ko": "ko"}
assert set(CATALOG_DIRS) == set(SUPPORTED_LOCALES)


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def locale_or_default(locale: str | None) -> str:
    """`locale` when we speak it (one of our tags), else English."""
    return locale if locale in CATALOG_DIRS else DEFAULT_LOCALE


@cache
def catalog(locale: str) -> gettext.NullTranslations:
    """The compiled catalog of one of our languages (English for any other tag), loaded once
    per warm container."""
    folder = CATALOG_DIRS[locale_or_default(locale)]
    with (LOCALES_DIR / folder / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as compiled:
        return gettext.GNUTranslations(compiled)
