"""Return labels: drawn as PDFs and kept privately."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: a cold lookup need not import them
    from ..label_document import LabelDocument, LabelSize


class LabelStore(Protocol):
    """Private storage of rendered label PDFs, handed out as short-lived download links."""

    def exists(self, key: str) -> bool:
        """True when a PDF is stored under `key`."""
        ...

    def put_pdf(self, key: str, pdf: bytes) -> None:
        """Store `pdf` under `key` (encrypted at rest), replacing any earlier one."""
        ...

    def presigned_url(self, key: str, *, expires_in: timedelta) -> str:
        """A GET link to the PDF under `key` that stops working after `expires_in`."""
        ...


class LabelRenderer(Protocol):
    """Draws a label document as a PDF of one of the label sizes."""

    def __call__(self, document: LabelDocument, size: LabelSize) -> bytes: ...
