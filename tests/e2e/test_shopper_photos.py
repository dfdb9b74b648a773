"""photos: on a phone, a shopper returns a damaged item of the demo store's order 1077 or 1078
(past the window, so the store must approve), adds a photo from the status page (a plain form posting
straight to the local S3), and the merchant's approval page shows it. In Korean and in English;
axe-core on each page, no sideways scroll, and no CSP violation (the form posts to the bucket).
Screenshots in test-artifacts/shopper-photos/."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.processes import REPO_ROOT
from tests.e2e.test_make_run import Stack
from tests.e2e.test_shopper_journey import PHONE, RMA, assert_accessible

pytestmark = pytest.mark.stack

ARTIFACTS = REPO_ROOT / "test-artifacts" / "shopper-photos"
KO_ORDER = ("1077", "seoyeon.park@example.kr")
EN_ORDER = ("1078", "oliver.bennett@example.com")


def a_png(side: int = 48) -> bytes:
    """A small opaque PNG (a brown square with a darker "crack"), as a camera roll would hand over."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"".join(b"\x40\x20\x10" if x == y else b"\xb0\x80\x50" for x in range(side))
                    for y in range(side))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG = a_png()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "damaged.png"
    path.write_bytes(PNG)
    return path


def phone_in(chromium: Any, lang: str) -> Any:
    return chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                locale=lang, extra_http_headers={"Accept-Language": lang})


@pytest.fixture
def csp_violations() -> Iterator[list[str]]:
    yield []


def watch_csp(page: Any, violations: list[str]) -> None:
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_no_sideways_scroll(page: Any, where: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{where} scrolls sideways by {overflow}px on a 390px phone"


def return_damaged_line(page: Any, app_url: str, order: tuple[str, str], note: str) -> str:
    """Look `order` (number, email) up, return its first line as damaged with `note`, confirm; the RMA."""
    page.goto(app_url + "/")
    page.fill("#order_number", order[0])
    page.fill("#email", order[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/return/items")
    page.check("#return-0")
    page.check("#reason-0-damaged")
    page.fill("#note-0", note)
    page.click("button[type=submit]")
    page.wait_for_url("**/return/resolution")
    page.click("button[type=submit]")
    page.wait_for_url("**/return/review")
    page.click("form[action='/return/confirm'] button")
    page.wait_for_url("**/confirmation")
    rma = str(page.locator(".rma").inner_text())
    assert RMA.fullmatch(rma)
    page.goto(f"{app_url}/returns/{rma}")
    return rma


def approval_page_of(chromium: Any, app_url: str, rma: str) -> Any:
    """The merchant's approval page of `rma`, from the approval email in the local outbox."""
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    merchant = context.new_page()
    merchant.goto(app_url + "/_dev/outbox")
    links = merchant.eval_on_selector_all(
        "article", f"""els => els.filter(e => e.querySelector('h2').textContent.includes('{rma}'))
                        .flatMap(e => Array.from(e.querySelectorAll('a')).map(a => a.href))""")
    approvals = [link for link in links if "/merchant/approvals/" in link]
    assert approvals, f"no approval email about {rma} in the outbox"
    merchant.goto(approvals[0])
    return merchant


def test_a_korean_shopper_adds_a_photo_of_a_damaged_mug_and_the_store_sees_it(
        stack: Stack, chromium: Any, photo: Path, csp_violations: list[str]) -> None:
    context = phone_in(chromium, "ko-KR")
    page = context.new_page()
    watch_csp(page, csp_violations)
    rma = return_damaged_line(page, stack.app_url, KO_ORDER, "손잡이에 금이 가 있어요.")

    form = page.locator("form.photo-form")
    assert form.count() == 1
    assert form.get_attribute("action").startswith(f"http://127.0.0.1:{stack.ports['RETOUR_AWS_PORT']}/")
    label = page.locator("label[for='photo-L1']").inner_text()
    assert "세라믹 머그컵" in label
    shoot(page, "ko-phone-01-status-photo-form")
    assert_accessible(page, "the status page with its photo form")
    assert_no_sideways_scroll(page, "the status page")

    page.set_input_files("#photo-L1", str(photo))
    page.click("form.photo-form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/returns/{rma}\?photo=added&line=L1#photos-L1$"))
    assert page.locator("#photos-L1 .notice").count() == 1
    added_notice = page.locator("#photos-L1 .notice").inner_text()
    thumbs = page.locator("#photos-L1 img")
    assert thumbs.count() == 1
    assert page.evaluate("img => img.complete && img.naturalWidth", thumbs.first.element_handle()) == 48
    shoot(page, "ko-phone-02-photo-added")
    assert_accessible(page, "the status page after the upload")
    assert_no_sideways_scroll(page, "the status page after the upload")
    assert not csp_violations, csp_violations
    context.close()

    merchant = approval_page_of(chromium, stack.app_url, rma)
    image = merchant.locator("ul.photo-thumbs img")
    assert image.count() == 1
    assert "세라믹 머그컵" in (image.first.get_attribute("alt") or "")
    assert merchant.evaluate("img => img.complete && img.naturalWidth", image.first.element_handle()) == 48
    shoot(merchant, "ko-phone-03-approval-page")
    # The photos stay inside a 390px screen (the rest of the approval page is item 5's).
    right = merchant.evaluate("el => el.getBoundingClientRect().right", merchant.locator("ul.photo-thumbs").element_handle())
    assert right <= PHONE["width"]
    merchant.context.close()

    # Last, the Korean words (the message catalog's): the rest of
    # the walk above holds in any language.
    assert "사진 추가" in label, label
    assert "사진이 추가되었습니다" in added_notice, added_notice


def test_an_english_shopper_is_told_beside_the_item_when_a_file_is_no_photo_then_adds_one(
        stack: Stack, chromium: Any, photo: Path, tmp_path: Path, csp_violations: list[str]) -> None:
    context = phone_in(chromium, "en-US")
    page = context.new_page()
    watch_csp(page, csp_violations)
    rma = return_damaged_line(page, stack.app_url, EN_ORDER, "It arrived in three pieces.")
    assert "Add a photo of" in page.locator("label[for='photo-L1']").inner_text()

    fake = tmp_path / "receipt.png"
    fake.write_bytes(b"%PDF-1.7 this is a receipt, not a photo")
    page.set_input_files("#photo-L1", str(fake))
    page.click("form.photo-form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/returns/{rma}\?photo=not_an_image&line=L1#photos-L1$"))
    error = page.locator("#photo-error-L1")
    assert "is not a photo we can use" in error.inner_text()
    assert "photo-error-L1" in (page.locator("#photo-L1").get_attribute("aria-describedby") or "")
    shoot(page, "en-phone-01-not-a-photo")
    assert_accessible(page, "the status page with a refused file")

    page.set_input_files("#photo-L1", str(photo))
    page.click("form.photo-form button[type=submit]")
    page.wait_for_url(re.compile(rf".*/returns/{rma}\?photo=added&line=L1#photos-L1$"))
    assert "was added" in page.locator("#photos-L1 .notice").inner_text()
    assert page.locator("#photos-L1 img").count() == 1
    shoot(page, "en-phone-02-photo-added")
    assert_no_sideways_scroll(page, "the status page")
    assert not csp_violations, csp_violations
    context.close()

    merchant = approval_page_of(chromium, stack.app_url, rma)
    assert merchant.locator("ul.photo-thumbs img").count() == 1
    merchant.context.close()
