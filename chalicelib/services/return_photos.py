"""Use case: the shopper adds photos of a damaged or not-as-described line, and the merchant sees them.

The browser uploads straight to the private bucket with a presigned POST (no byte passes through
the function): the policy fixes the object's key, insists on image/* and bounds the size. S3
then sends the browser back to our page with a token signed for that very key; only there is the
photo checked (its first bytes must be a JPEG, PNG, WebP or HEIC) and recorded on the return in a
free slot of its line, one conditional write. Whatever is refused is deleted at once.

Coming back records the fact that the object exists, once: a reload of that page finds the key
recorded and changes nothing.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlencode

from ..domain.errors import AuthenticationError, NotFoundError
from ..domain.policy import Policy
from ..domain.return_photos import (
    MAGIC_BYTES,
    MAX_PHOTO_BYTES,
    MAX_PHOTOS_PER_LINE,
    PhotoLimitReachedError,
    PhotoRefusedError,
    PhotosClosedError,
    ReturnPhoto,
    check_upload,
    free_slot,
    is_photo_key_of,
    photo_key,
    photo_lines,
    photos_open,
    return_photo_folder,
)
from ..domain.return_request import ReturnRequest
from .ports.access import TokenSigner
from .ports.photos import PhotoRecords, PhotoStorage, UploadForm
from .ports.system import Clock, RandomBits

log = logging.getLogger("retour.photos")

PHOTO_PURPOSE = "return_photo"
# A form left open over lunch still works; an old one is simply shown again.
FORM_TTL = timedelta(hours=2)
# Links on the merchant's pages: long enough to look, too short to forward.
LINK_TTL = timedelta(minutes=15)
# Where S3 sends the browser after an upload (key and bucket appended by S3).
UPLOADED_PATH = "/returns/{rma}/photos"


class PhotoDeps(Protocol):
    """What the photos of a return need."""

    @property
    def photo_storage(self) -> PhotoStorage: ...

    @property
    def photo_records(self) -> PhotoRecords: ...

    @property
    def tokens(self) -> TokenSigner: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def random(self) -> RandomBits: ...


@dataclass(frozen=True, slots=True)
class LinePhotos:
    """One line's photos as a page shows them: their links, and a form while more may be added."""

    line_id: str
    links: tuple[str, ...]
    form: UploadForm | None
    remaining: int


def photos_of(deps: PhotoDeps, rma: str) -> dict[str, list[ReturnPhoto]]:
    """The photos recorded on return `rma`, by line."""
    by_line: dict[str, list[ReturnPhoto]] = {}
    for photo in deps.photo_records.photos(rma):
        by_line.setdefault(photo.line_id, []).append(photo)
    return by_line


def photo_links(deps: PhotoDeps, rma: str, *, ttl: timedelta = LINK_TTL,
                recorded: dict[str, list[ReturnPhoto]] | None = None) -> dict[str, tuple[str, ...]]:
    """Short-lived links to each line's photos, served as the type read from their bytes
    (`recorded`: the return's photos when the caller has read them already)."""
    if recorded is None:
        recorded = photos_of(deps, rma)
    return {
        line_id: tuple(deps.photo_storage.presigned_url(p.key, expires_in=ttl, content_type=p.content_type)
                       for p in photos)
        for line_id, photos in recorded.items()
    }


def shopper_photos(deps: PhotoDeps, request: ReturnRequest, policy: Policy, *,
                   base_url: str) -> dict[str, LinePhotos]:
    """Each photo line of `request`: its photos, and an upload form while the return is open and
    the line has room. Lines whose reason takes no photos are left out."""
    lines = photo_lines(request, policy)
    if not lines:
        return {}
    recorded = photos_of(deps, request.rma)
    links = photo_links(deps, request.rma, recorded=recorded)
    now = deps.clock.now()
    shown: dict[str, LinePhotos] = {}
    for line_id in lines:
        remaining = MAX_PHOTOS_PER_LINE - len(recorded.get(line_id, []))
        form = None
        if remaining > 0 and photos_open(request):
            key = photo_key(request.rma, line_id, f"{deps.random.bits(128):032x}")
            token = deps.tokens.issue(_subject(request.rma, line_id, key), purpose=PHOTO_PURPOSE,
                                      now=now, ttl=FORM_TTL)
            back = base_url.rstrip("/") + UPLOADED_PATH.format(rma=request.rma) + "?" + urlencode(
                {"line": line_id, "upload": token})
            form = deps.photo_storage.upload_form(key, redirect_to=back, max_bytes=MAX_PHOTO_BYTES,
                                                  expires_in=FORM_TTL)
        shown[line_id] = LinePhotos(line_id, links.get(line_id, ()), form, max(remaining, 0))
    return shown


def accept_photo(deps: PhotoDeps, request: ReturnRequest, policy: Policy, *, line_id: str, token: str,
                 key: str) -> ReturnPhoto:
    """Check the object S3 just stored under `key` and record it on line `line_id` of `request`.

    AuthenticationError when the token is not this key's; PhotoRefusedError (not an image, too
    large), PhotoLimitReachedError (the line is full) or PhotosClosedError (the return moved on):
    the object is deleted first. NotFoundError when nothing was uploaded.
    """
    now = deps.clock.now()
    subject = deps.tokens.verify(token, purpose=PHOTO_PURPOSE, now=now)
    if not (_same(subject, _subject(request.rma, line_id, key))
            and is_photo_key_of(key, request.rma, line_id)):
        raise AuthenticationError("this upload link is not for that photo", code="invalid_token")
    existing = photos_of(deps, request.rma).get(line_id, [])
    for photo in existing:
        if _same(photo.key, key):
            return photo  # a reload of the page S3 sent the browser to
    found = deps.photo_storage.first_bytes(key, MAGIC_BYTES)
    if found is None:
        raise NotFoundError("no photo was uploaded", code="photo_not_found")
    try:
        if not photos_open(request):
            raise PhotosClosedError("this return has moved on: photos can no longer be added")
        if line_id not in photo_lines(request, policy):
            raise PhotoRefusedError("wrong_line", "this line's reason takes no photos")
        head, size = found
        content_type = check_upload(head, size)
        taken = {photo.slot for photo in existing}
        while True:
            slot = free_slot(taken)
            photo = ReturnPhoto(rma=request.rma, line_id=line_id, slot=slot, key=key,
                                content_type=content_type, size=size, uploaded_at=now)
            if deps.photo_records.record(photo):
                log.info("photo added to return %s line %s (slot %s)", request.rma, line_id, slot)
                return photo
            # Another upload took this slot first: read the line again (it may be ours, twice).
            again = photos_of(deps, request.rma).get(line_id, [])
            mine = next((p for p in again if _same(p.key, key)), None)
            if mine is not None:
                return mine
            taken = {p.slot for p in again} | {slot}
    except (PhotoRefusedError, PhotoLimitReachedError, PhotosClosedError) as refused:
        deps.photo_storage.delete(key)
        log.info("photo refused on return %s line %s: %s", request.rma, line_id, refused.code)
        raise


def forget_photos(deps: PhotoDeps, rma: str) -> int:
    """Delete every photo of return `rma`, objects and records; how many objects there were."""
    # The folder, not the records: an upload never recorded (a closed tab) goes too.
    deleted = deps.photo_storage.delete_folder(return_photo_folder(rma))
    deps.photo_records.forget(rma)
    return deleted


def _subject(rma: str, line_id: str, key: str) -> str:
    return f"{rma}|{line_id}|{key}"


def _same(a: str, b: str) -> bool:
    """Constant-time equality of two texts (bytes: a query may carry any character)."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
