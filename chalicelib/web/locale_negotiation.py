"""Which of our four languages a page speaks: ?lang=, then the cookie, then Accept-Language,
then the order's own locale, then English."""

from __future__ import annotations

from ..domain.errors import ValidationError
from ..domain.locale import DEFAULT_LOCALE, SUPPORTED_LOCALES, normalize_locale

# What the switcher shows: each language in its own words.
LANGUAGE_NAMES = {"en": "English", "ja": "日本語", "zh-Hans": "简体中文", "ko": "한국어"}


def supported(tag: str | None) -> str | None:
    """Our locale for a language tag (`ja-JP` -> `ja`, `zh-CN` -> `zh-Hans`), or None."""
    if not tag:
        return None
    try:
        return normalize_locale(tag)
    except ValidationError:
        # `zh-Hant-TW` or `ko-KP` still name a language; try its primary subtag.
        primary = tag.strip().replace("_", "-").split("-")[0].lower()
        if primary == "zh":
            # Traditional Chinese readers are not served by Simplified; let the next source speak.
            lowered = tag.lower()
            if "hant" in lowered or lowered.endswith(("-tw", "-hk", "-mo")):
                return None
        try:
            return normalize_locale(primary)
        except ValidationError:
            return None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most (q-values respected), or None."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        found = supported(tag)
        if found is not None and quality > 0:
            weighted.append((-quality, position, found))
    return min(weighted)[2] if weighted else None


def negotiate(
    *,
    query: str | None,
    cookie: str | None,
    accept_language: str | None,
    order_locale: str | None,
) -> str:
    """The page language: the first of the four sources that names a language we speak."""
    for candidate in (supported(query), supported(cookie), from_accept_language(accept_language),
                      supported(order_locale)):
        if candidate is not None:
            return candidate
    return DEFAULT_LOCALE


__all__ = ["LANGUAGE_NAMES", "SUPPORTED_LOCALES", "from_accept_language", "negotiate", "supported"]
