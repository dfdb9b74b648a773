"""Japanese labels print Japanese kanji, as a shopper gets them: on a 390px phone, a Japanese
shopper's label draws the name, the address and the kana from the embedded Japanese font
(IPAexGothic), and a Chinese shopper's label keeps the Chinese shapes of Micro Hei.

Screenshots go to test-artifacts/shopper-labels/.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_make_run import Stack
from tests.e2e.test_shopper_labels import phone_in, return_first_item, shoot  # noqa: F401 - fixture
from tests.integration.test_labels import fonts_drawing, fonts_of

pytestmark = pytest.mark.stack


def the_4x6_label(page: Any) -> bytes:
    """The status page's 4x6 label, downloaded with the browser's own cookies."""
    link = page.locator(".label-links a[href*='size=4x6']")
    assert link.count() == 1
    response = page.request.get(page.url.split("/returns/")[0] + link.get_attribute("href"))
    assert response.ok, response.status
    pdf: bytes = response.body()
    assert pdf.startswith(b"%PDF-")
    return pdf


def test_a_japanese_shoppers_label_prints_their_name_and_address_with_japanese_kanji(
        stack: Stack, phone_in: Any) -> None:  # noqa: F811
    page = phone_in("ja")
    return_first_item(page, stack, "1001", "aiko.yamada@example.jp")
    shoot(page, "jafont-ja-phone-status")

    pdf = the_4x6_label(page)

    japanese = [font for font in fonts_of(pdf) if "IPAexGothic" in font["name"]]
    assert japanese and all(font["emb"] == "yes" for font in japanese), fonts_of(pdf)
    drawn = fonts_drawing(pdf)
    # 山田 愛子, 神宮前, ハイツ原宿, 渋谷区 and the label's own words: Japanese shapes.
    for ch in "山田愛子神宮前ハイツ原宿渋谷区返送先":
        assert drawn[ch] == {"IPAexGothic"}, (ch, drawn[ch])


def test_a_chinese_shoppers_label_keeps_chinese_shapes(stack: Stack, phone_in: Any) -> None:  # noqa: F811
    page = phone_in("zh-Hans")
    return_first_item(page, stack, "1004", "wang.fang@example.cn")
    shoot(page, "jafont-zh-phone-status")

    pdf = the_4x6_label(page)

    assert not [font for font in fonts_of(pdf) if "IPAexGothic" in font["name"]], fonts_of(pdf)
    drawn = fonts_drawing(pdf)
    for ch in "王芳南京西路静安区":
        assert drawn[ch] == {"WenQuanYiMicroHei-0"}, (ch, drawn[ch])
