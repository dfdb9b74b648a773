"""Which language the warehouse page speaks: the device's, among ours, else the store's."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from chalicelib.web.warehouse_pages import page_language


@pytest.mark.parametrize(("accept_language", "merchant_locale", "spoken"), [
    ("ko-KR,ko;q=0.9", "ja", "ko"),  # a Korean worker in a Japanese store's warehouse
    ("de-DE,de;q=0.9", "ja", "ja"),  # a device set to a language we do not speak: the store's
    (None, "zh-Hans", "zh-Hans"),
    (None, "fr", "en"),  # neither names one of ours
])
def test_the_device_language_first_then_the_stores(accept_language: str | None, merchant_locale: str,
                                                    spoken: str) -> None:
    headers = {"accept-language": accept_language} if accept_language else {}
    assert page_language(SimpleNamespace(headers=headers), merchant_locale) == spoken  # type: ignore[arg-type]
