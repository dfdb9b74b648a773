"""photos: what counts as a photo, where a line's photos live, and the 3-per-line rule."""

from __future__ import annotations

import pytest

from chalicelib.domain.policy import DEFAULT_POLICY, Policy, Reason
from chalicelib.domain.return_photos import (
    MAX_PHOTO_BYTES,
    PhotoLimitReachedError,
    PhotoRefusedError,
    check_upload,
    free_slot,
    image_type,
    is_photo_key_of,
    photo_key,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"


@pytest.mark.parametrize(("head", "kind"), [(JPEG, "image/jpeg"), (PNG, "image/png"), (WEBP, "image/webp"),
                                            (HEIC, "image/heic"), (b"\x00\x00\x00\x18ftypmif1", "image/heic")])
def test_the_four_photo_formats_are_known_by_their_first_bytes(head: bytes, kind: str) -> None:
    assert image_type(head) == kind


@pytest.mark.parametrize("head", [b"%PDF-1.7", b"<svg xmlns=", b"GIF89a", b"RIFF\x24\x00\x00\x00WAVEfmt ",
                                  b"\x00\x00\x00\x18ftypisom", b"", b"MZ\x90\x00"])
def test_anything_else_is_not_a_photo_whatever_its_name(head: bytes) -> None:
    with pytest.raises(PhotoRefusedError) as refused:
        check_upload(head, 1000)
    assert refused.value.why == "not_an_image"


def test_a_photo_over_the_limit_is_refused_even_when_the_bucket_let_it_through() -> None:
    assert check_upload(JPEG, MAX_PHOTO_BYTES) == "image/jpeg"
    with pytest.raises(PhotoRefusedError) as refused:
        check_upload(JPEG, MAX_PHOTO_BYTES + 1)
    assert refused.value.why == "too_large"


def test_a_line_has_three_slots_and_the_lowest_free_one_is_taken() -> None:
    assert free_slot(set()) == 1
    assert free_slot({1, 3}) == 2
    with pytest.raises(PhotoLimitReachedError):
        free_slot({1, 2, 3})


def test_an_upload_key_belongs_to_one_line_of_one_return_only() -> None:
    key = photo_key("R-AAAA-BBBB", "L1", "0123abcd")
    assert key == "returns/R-AAAA-BBBB/photos/L1/0123abcd"
    assert is_photo_key_of(key, "R-AAAA-BBBB", "L1")
    assert not is_photo_key_of(key, "R-AAAA-BBBB", "L2")
    assert not is_photo_key_of(key, "R-CCCC-DDDD", "L1")
    assert not is_photo_key_of("returns/R-AAAA-BBBB/photos/L1/../../labels/x", "R-AAAA-BBBB", "L1")
    assert not is_photo_key_of("returns/R-AAAA-BBBB/photos/L1/", "R-AAAA-BBBB", "L1")


def test_damaged_and_not_as_described_take_photos_by_default_and_a_store_may_change_that() -> None:
    welcome = {r.code for r in DEFAULT_POLICY.reasons if r.accepts_photos}
    assert welcome == {"damaged", "not_as_described"}
    custom = Policy(reasons=(Reason("damaged"), Reason("scratched", accepts_photos=True)))
    assert [r.accepts_photos for r in custom.reasons] == [False, True]
