"""The languages Retour speaks to shoppers, merchants and carriers."""

from __future__ import annotations

from .errors import ValidationError

SUPPORTED_LOCALES = ("en", "ja", "zh-Hans", "ko")
DEFAULT_LOCALE = "en"

# Tags a store platform commonly sends for the same languages.
_ALIASES = {
    "en": "en", "en-us": "en", "en-gb": "en", "en-au": "en", "en-ca": "en",
    "ja": "ja", "ja-jp": "ja",
    "zh": "zh-Hans", "zh-hans": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans",
    "zh-hans-cn": "zh-Hans",
    "ko": "ko", "ko-kr": "ko",
}


def normalize_locale(tag: str) -> str:
    """The supported locale a language tag stands for; ValidationError for any other."""
    found = _ALIASES.get(tag.strip().replace("_", "-").lower())
    if found is None:
        raise ValidationError(
            f"locale must be one of {', '.join(SUPPORTED_LOCALES)}", fields=("locale",)
        )
    return found
