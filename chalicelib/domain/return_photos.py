"""Photos of a returned line (a damaged or not-as-described item): how many, how big, what kind,
where they are kept, and who may still add one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from .errors import ConflictError, ValidationError
from .policy import Policy
from .return_request import OPEN_STATUSES, ReturnRequest

MAX_PHOTOS_PER_LINE: Final = 3
# A phone's full-size JPEG or HEIC is 2-6 MB; 10 MB leaves room without inviting videos.
MAX_PHOTO_BYTES: Final = 10 * 1024 * 1024
# Bytes read back from S3 to tell an image from anything else that claims to be one.
MAGIC_BYTES: Final = 32
# The folder of every photo in the private bucket; a return's photos sit under returns/{rma}/.
PHOTO_PREFIX: Final = "returns/"

# HEIC/HEIF brands an iPhone writes in the `ftyp` box (offset 8).
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})


class PhotoRefusedError(ValidationError):
    """An upload that is no photo we keep: not an image, too large, or for the wrong line.

    `why` says which (`not_an_image`, `too_large`, `wrong_line`) so a page can say it in the
    shopper's language; the message says it in English for logs and the API.
    """

    code = "photo_refused"

    def __init__(self, why: str, message: str) -> None:
        super().__init__(message, fields=("photo",))
        self.why = why


class PhotoLimitReachedError(ConflictError):
    """The line already has its MAX_PHOTOS_PER_LINE photos (a third tab may have just added one)."""

    code = "photo_limit_reached"


class PhotosClosedError(ConflictError):
    """The return has moved on (decided, received, cancelled): its photos can no longer change."""

    code = "photos_closed"


@dataclass(frozen=True, slots=True)
class ReturnPhoto:
    """One photo of one line of a return, as recorded beside the return; `slot` is 1..3."""

    rma: str
    line_id: str
    slot: int
    key: str
    content_type: str
    size: int
    uploaded_at: datetime


def image_type(head: bytes) -> str | None:
    """The image's media type from its first bytes (JPEG, PNG, WebP, HEIC), or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return None


def return_photo_folder(rma: str) -> str:
    """Where a return's photos are uploaded, every line's (what deleting its photos empties)."""
    return f"{PHOTO_PREFIX}{rma}/photos/"


def photo_folder(rma: str, line_id: str) -> str:
    """Where a line's photos are uploaded: one folder per line, under the return's own."""
    return f"{return_photo_folder(rma)}{line_id}/"


def photo_key(rma: str, line_id: str, photo_id: str) -> str:
    """The object key of one upload; `photo_id` is random, so no upload replaces another."""
    return f"{photo_folder(rma, line_id)}{photo_id}"


def is_photo_key_of(key: str, rma: str, line_id: str) -> bool:
    """True when `key` is an upload key of this return's line (no other folder, no path tricks)."""
    folder = photo_folder(rma, line_id)
    rest = key[len(folder):] if key.startswith(folder) else ""
    return bool(rest) and rest.isalnum() and len(rest) <= 64


def photo_lines(request: ReturnRequest, policy: Policy) -> tuple[str, ...]:
    """The lines of `request` whose reason asks for photos, in the return's order."""
    return tuple(line.line_id for line in request.lines
                 if (reason := policy.reason(line.reason)) is not None and reason.accepts_photos)


def photos_open(request: ReturnRequest) -> bool:
    """Whether photos may still be added: until the parcel arrives or the return closes."""
    return request.status in OPEN_STATUSES


def check_upload(head: bytes, size: int) -> str:
    """The media type of an uploaded object from its first bytes and size; PhotoRefusedError if
    it is no image we keep (the POST policy already bounds the size; this holds without it)."""
    if size > MAX_PHOTO_BYTES:
        raise PhotoRefusedError("too_large", f"a photo may be at most {MAX_PHOTO_BYTES} bytes")
    kind = image_type(head)
    if kind is None or size == 0:
        raise PhotoRefusedError("not_an_image", "the file is not a JPEG, PNG, WebP or HEIC image")
    return kind


def free_slot(taken: set[int]) -> int:
    """The lowest free slot of a line, 1..MAX_PHOTOS_PER_LINE; PhotoLimitReachedError when full."""
    for slot in range(1, MAX_PHOTOS_PER_LINE + 1):
        if slot not in taken:
            return slot
    raise PhotoLimitReachedError(f"a line may have at most {MAX_PHOTOS_PER_LINE} photos")
