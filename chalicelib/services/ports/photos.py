"""Photos of returned lines: the private bucket they are uploaded to, and their records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...domain.return_photos import ReturnPhoto


@dataclass(frozen=True, slots=True)
class UploadForm:
    """What a plain HTML form posts straight to storage: its action URL and hidden fields."""

    url: str
    fields: tuple[tuple[str, str], ...]


class PhotoStorage(Protocol):
    """Private storage the shopper's browser uploads photos to, through a signed POST policy."""

    def upload_form(self, key: str, *, redirect_to: str, max_bytes: int, expires_in: timedelta) -> UploadForm:
        """A form that may store one image (Content-Type image/*) of at most `max_bytes` under
        exactly `key`, and sends the browser to `redirect_to` after (key and bucket appended)."""
        ...

    def first_bytes(self, key: str, count: int) -> tuple[bytes, int] | None:
        """The first `count` bytes of the object under `key` and its whole size; None if absent."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object under `key` (absent is fine)."""
        ...

    def delete_folder(self, prefix: str) -> int:
        """Remove every object under `prefix`; how many there were."""
        ...

    def presigned_url(self, key: str, *, expires_in: timedelta, content_type: str = "") -> str:
        """A GET link to the object under `key` that stops working after `expires_in`, served
        as `content_type` when given."""
        ...

    def origin(self) -> str:
        """The scheme and host the upload forms post to and the links point at (for the CSP)."""
        ...


class PhotoRecords(Protocol):
    """The photos recorded on a return, at most MAX_PHOTOS_PER_LINE per line."""

    def photos(self, rma: str) -> list[ReturnPhoto]:
        """Every photo recorded on return `rma`, by line then slot."""
        ...

    def record(self, photo: ReturnPhoto) -> bool:
        """Record `photo` in its slot, only if the slot is free (one conditional write); False
        when another upload took the slot first."""
        ...

    def forget(self, rma: str) -> None:
        """Remove every photo record of return `rma`."""
        ...
