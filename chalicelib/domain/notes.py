"""The one length limit of every note a person writes on a return.

The shopper's note on a line (pages and API), the store's decision note (console, approval
page, admin API) and the staff's internal note all hold at most MAX_NOTE characters, and every
form says so beside its field before the limit is reached. 500: the shopper's draft travels in
the page session's cookie, and a 500-character note in Japanese still fits there.
"""

from __future__ import annotations

from typing import Final

MAX_NOTE: Final = 500


def note_too_long(note: str) -> bool:
    """Whether `note` is past the limit (counted in characters, as every form counts them)."""
    return len(note) > MAX_NOTE
