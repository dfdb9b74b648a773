"""Posted page forms and the numbers in them, read in one place so no form can make a 5xx.

Every page (shopper, warehouse, merchant) reads its form here: a body past the size or field
limit is refused as such (413, 400) instead of being parsed, bytes that are not UTF-8 become
U+FFFD, a repeated field keeps its last value, and a number is ASCII digits or nothing.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from ..domain.errors import ValidationError
from .errors import RequestTooLargeError

# The largest form a page sends is the items form of a 500-line order: four fields a line and
# a 500-character note each (9 bytes a character once percent-encoded, at worst).
MAX_FORM_BYTES = 2 * 1024 * 1024
MAX_FORM_FIELDS = 4 * 500 + 50


def read_form(raw_body: bytes | str | None) -> dict[str, str]:
    """The posted form, one value per name (the last wins)."""
    raw = raw_body or b""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", errors="surrogatepass"))
    if size > MAX_FORM_BYTES:
        raise RequestTooLargeError("the form is too large", fields=("body",))
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    try:
        parsed = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="replace")
    except ValueError as error:
        # parse_qs's only refusal: more fields than max_num_fields.
        raise ValidationError("the form has too many fields", fields=("body",)) from error
    return {name: values[-1] for name, values in parsed.items()}


def whole_number(text: str, *, max_digits: int = 6) -> int | None:
    """The number written in ASCII digits in `text`, or None.

    Not str.isdigit(): it is True for "²" (int() raises) and for "１" or "٣" (int() reads them),
    and no form of ours sends anything but ASCII digits.
    """
    text = text.strip()
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)
