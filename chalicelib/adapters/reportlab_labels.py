"""Return labels and packing slips as PDF, drawn with reportlab.

Text is always drawn as plain strings (a text object's textOut), never through Paragraph markup,
so a name such as `<b>Bob</b>` prints exactly as typed; control characters are dropped first.

Every word is drawn from fonts embedded in the PDF, so a label prints the same on any computer,
with or without Asian font packs. WenQuanYi Micro Hei (chalicelib/fonts, Apache-2.0) draws Latin,
kana, Hangul and Han alike; its Han glyphs have mainland Chinese shapes, so on Japanese text the
Han, kana and full-width forms come from IPAexGothic (chalicelib/fonts, IPA Font License v1.0)
instead, where 直, 骨, 角, 写 and 令 have their Japanese strokes. Which text is Japanese is
`_japanese_shapes`'s rule (docs/shopper.md says it in words); a character IPAexGothic lacks
(Hangul, a simplified hanzi) falls back to Micro Hei run by run, so nothing prints as a box.
reportlab's TTFont embeds a subset of only the glyphs a label uses (a label stays well under its
size goal), and each font file is parsed once per container: on the first render, which
SnapStart's priming does at init (web/snapstart.py). One font a script also means one weight:
bold is the glyphs filled and outlined.
"""

from __future__ import annotations

import io
import struct
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from reportlab import rl_config  # type: ignore[import-untyped]
from reportlab.graphics.barcode.code128 import Code128  # type: ignore[import-untyped]
from reportlab.graphics.barcode.qr import QrCode  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont, TTFontMaker  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from ..domain.order import Address
from .babel_formatting import format_date
from ..services.label_document import (
    DEFAULT_LABEL_SIZE,
    LabelDocument,
    LabelSize,
    label_word,
)

# Page sizes in points. A4 is ISO 216's 210 x 297 mm.
PAGE_SIZES: dict[LabelSize, tuple[float, float]] = {
    "4x6": (288.0, 432.0),
    "a4": (210 * 72 / 25.4, 297 * 72 / 25.4),
    "letter": (612.0, 792.0),
}
LABEL_WIDTH, LABEL_HEIGHT = PAGE_SIZES["4x6"]

# One dot of a 203 dpi thermal printer, in points: bars and QR modules are whole dots wide so
# that every bar prints at the same width and scans.
DOT = 72 / 203

# The font of every label, embedded as a subset; face 0 of the collection is the proportional
# Micro Hei (face 1 is its monospaced twin).
FONT = "RetourSans"
FONT_FILE = Path(__file__).resolve().parent.parent / "fonts" / "wqy-microhei.ttc"
# Japanese text's Han, kana and full-width forms, embedded as a subset beside it.
JA_FONT = "RetourSansJP"
JA_FONT_FILE = Path(__file__).resolve().parent.parent / "fonts" / "ipaexg.ttf"

INK = (0, 0, 0)
GREY = (0.35, 0.35, 0.35)

# The QR code's error correction: M restores 15% of a smudged or creased symbol. Its quiet
# zone is the 4 modules ISO/IEC 18004 asks for.
QR_ERROR_CORRECTION = "M"
QR_QUIET_MODULES = 4

# Countries whose addresses read from the largest unit to the smallest (postcode first).
BIG_ENDIAN_ADDRESS = {"JP", "CN", "KR", "TW"}


def render_label(document: LabelDocument, size: LabelSize = DEFAULT_LABEL_SIZE) -> bytes:
    """The label and packing slip of `document` as a PDF.

    On a 4x6 thermal roll, the label is page 1 and the slip page 2 on. On an A4 or Letter sheet,
    both share page 1: the label at its real size in a dashed frame to cut along, the slip below
    it (a long slip goes on over further pages).
    """
    # Compressed streams stay binary: ASCII85 makes them 25% larger and, in pure Python, slow.
    rl_config.useA85 = 0
    if size not in PAGE_SIZES:
        raise ValueError(f"unknown label size {size!r}")
    _register_font()
    width, height = PAGE_SIZES[size]
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width, height), pageCompression=1, invariant=1,
                    initialFontName=FONT, initialFontSize=9)
    canvas.setTitle(f"{_clean(document.store_name)} return {_clean(document.rma)}")
    canvas.setAuthor(_clean(document.store_name))
    canvas.setSubject(label_word("return_label", document.locale))
    pen = _Pen(canvas, document.locale, japanese=_japanese_shapes(document))
    if size == "4x6":
        _draw_label(pen, document, 0.0, 0.0)
        canvas.showPage()
        _draw_packing_slip(pen, document, width, height, top=height, thermal=True)
    else:
        slip_top = _draw_label_on_sheet(pen, document, width, height)
        _draw_packing_slip(pen, document, width, height, top=slip_top, thermal=False)
    canvas.save()
    return out.getvalue()


@cache
def _register_font() -> None:
    """Parse the font files (a few hundred ms, once per container) and register them."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0, asciiReadable=False))
    japanese = TTFont(JA_FONT, str(JA_FONT_FILE), asciiReadable=False)
    # Almost half of IPAexGothic's glyph bytes are hinting instructions, which neither a 203 dpi
    # printer nor a PDF viewer needs: its subsets are embedded without them, which keeps a
    # kanji-heavy label under its size goal. (The font file itself stays as vendored.)
    make_subset = japanese.face.makeSubset
    japanese.face.makeSubset = lambda subset: _without_hinting(make_subset(subset))
    pdfmetrics.registerFont(japanese)


def _without_hinting(font: bytes) -> bytes:
    """A TrueType font (a subset) with its simple glyphs' instructions dropped.

    Outlines, metrics and every other table stay as they are; composite glyphs are kept whole.
    """
    count = struct.unpack(">H", font[4:6])[0]
    tables: dict[str, bytes] = {}
    for i in range(count):
        tag, _checksum, offset, length = struct.unpack(">4sLLL", font[12 + 16 * i:28 + 16 * i])
        tables[tag.decode("latin-1")] = font[offset:offset + length]
    head, loca, glyf = tables["head"], tables["loca"], tables["glyf"]
    long_loca = struct.unpack(">h", head[50:52])[0] == 1
    if long_loca:
        offsets = struct.unpack(f">{len(loca) // 4}L", loca)
    else:
        offsets = tuple(2 * o for o in struct.unpack(f">{len(loca) // 2}H", loca))
    glyphs, positions, position = [], [], 0
    for start, end in zip(offsets, offsets[1:]):
        glyph = glyf[start:end]
        if len(glyph) >= 12 and struct.unpack(">h", glyph[:2])[0] > 0:
            contours = struct.unpack(">h", glyph[:2])[0]
            at = 10 + 2 * contours  # after the contours' end points: the instructions' length
            size = struct.unpack(">H", glyph[at:at + 2])[0]
            glyph = glyph[:at] + b"\0\0" + glyph[at + 2 + size:]
        glyph += b"\0" * (-len(glyph) % 4)
        positions.append(position)
        glyphs.append(glyph)
        position += len(glyph)
    positions.append(position)
    maker = TTFontMaker()
    for tag, data in tables.items():
        if tag not in ("glyf", "loca", "head"):
            maker.add(tag, data)
    maker.add("glyf", b"".join(glyphs))
    if position // 2 <= 0xFFFF:
        maker.add("loca", struct.pack(f">{len(positions)}H", *(p // 2 for p in positions)))
        maker.add("head", head[:50] + struct.pack(">h", 0) + head[52:])
    else:
        maker.add("loca", struct.pack(f">{len(positions)}L", *positions))
        maker.add("head", head[:50] + struct.pack(">h", 1) + head[52:])
    return bytes(maker.makeStream())


# Languages whose own words are written with Han: their labels keep Micro Hei's shapes.
HAN_LANGUAGES_NOT_JAPANESE = {"zh", "ko"}


def _japanese_shapes(document: LabelDocument) -> bool:
    """Whether the Han of this label's text is drawn with Japanese shapes.

    Yes on a Japanese label. No on a Chinese or Korean one: their own words are Han too, and a
    Chinese or Korean reader expects those shapes. On a label in any other language, the Han it
    carries is the addresses' and names': Japanese when the shopper or the warehouse is in
    Japan. Text with kana in it is Japanese on every label (`_Pen` sees to that).
    """
    language = document.locale.replace("_", "-").split("-")[0].lower()
    if language == "ja":
        return True
    if language in HAN_LANGUAGES_NOT_JAPANESE:
        return False
    return "JP" in (document.ship_from.country.upper(), document.return_to.country.upper())


def _clean(text: str) -> str:
    """`text` with control and format characters dropped and whitespace runs made one space."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\t\n\r\v\f\u2028\u2029\x85":
            kept.append(" ")
        elif category[0] != "C":
            kept.append(ch)
    return " ".join("".join(kept).split())


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _has_kana(text: str) -> bool:
    """Hiragana, katakana (full or half width) or their marks: the text is Japanese."""
    return any("\u3041" <= ch <= "\u30ff" or "\u31f0" <= ch <= "\u31ff" or "\uff66" <= ch <= "\uff9f"
               for ch in text)


@cache
def _ja_glyphs() -> frozenset[int]:
    """The code points IPAexGothic draws."""
    _register_font()
    return frozenset(pdfmetrics.getFont(JA_FONT).face.charToGlyph)


def _runs(text: str, japanese: bool) -> list[tuple[str, str]]:
    """`text` cut into (font, run) pieces.

    Japanese text takes its wide characters (Han, kana, CJK punctuation, full-width and
    half-width forms) from the Japanese font when it has them; everything else, and all of
    any other text, comes from Micro Hei. Latin and digits are thus the same on every label.
    """
    if not japanese:
        return [(FONT, text)] if text else []
    ja = _ja_glyphs()
    runs: list[tuple[str, str]] = []
    for ch in text:
        font = JA_FONT if unicodedata.east_asian_width(ch) in ("W", "F", "H") and ord(ch) in ja else FONT
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


class _Pen:
    """Draws plain text and codes on a canvas, choosing fonts and fitting widths."""

    def __init__(self, canvas: Any, locale: str, *, japanese: bool = False) -> None:
        self.canvas = canvas
        self.locale = locale
        # Whether Han-only text is Japanese on this label (`_japanese_shapes`).
        self.japanese = japanese

    def is_japanese(self, text: str) -> bool:
        """Whether `text` is drawn with Japanese shapes: on a Japanese label, or with kana in it."""
        return self.japanese or _has_kana(text)

    def width(self, text: str, size: float, *, japanese: bool | None = None) -> float:
        """The width of `text` at `size`, each run in its own font."""
        if japanese is None:
            japanese = self.is_japanese(text)
        return float(sum(pdfmetrics.stringWidth(run, font, size) for font, run in _runs(text, japanese)))

    def text(self, x: float, y: float, text: str, size: float, *, bold: bool = False,
             max_width: float | None = None, align: str = "left", min_size: float = 5.0,
             color: tuple[float, float, float] = INK, japanese: bool | None = None) -> float:
        """Draw one line of `text` (cleaned); shrink, then cut with an ellipsis, to fit.

        `japanese` is for a line cut from a longer text by `wrap`: whether the whole text was
        Japanese (a line of kanji alone keeps the shapes of the kana beside it). Returns the
        font size used.
        """
        text = _clean(text)
        if not text:
            return size
        if japanese is None:
            japanese = self.is_japanese(text)
        if max_width is not None:
            while size > min_size and self.width(text, size, japanese=japanese) > max_width:
                size = max(min_size, size - 0.5)
            if self.width(text, size, japanese=japanese) > max_width:
                while text and self.width(text + "…", size, japanese=japanese) > max_width:
                    text = text[:-1]
                text += "…"
        if align == "right":
            x -= self.width(text, size, japanese=japanese)
        elif align == "center":
            x -= self.width(text, size, japanese=japanese) / 2
        canvas = self.canvas
        canvas.saveState()
        canvas.setFillColorRGB(*color)
        # One text object for the whole line, its runs in their fonts one after the other: the
        # line copies and searches as one string.
        line = canvas.beginText(x, y)
        if bold:
            # The fonts come in one weight: bold is the glyphs filled and outlined (mode 2).
            canvas.setStrokeColorRGB(*color)
            canvas.setLineWidth(size * 0.035)
            line.setTextRenderMode(2)
        for font, run in _runs(text, japanese):
            line.setFont(font, size)
            line.textOut(run)
        if bold:
            line.setTextRenderMode(0)
        canvas.drawText(line)
        canvas.restoreState()
        return size

    def wrap(self, text: str, size: float, max_width: float) -> list[str]:
        """`text` (cleaned) broken into lines no wider than `max_width`.

        Western words break at spaces; Chinese, Japanese and Korean wide characters may break
        between any two characters. Draw the lines with `japanese=pen.is_japanese(text)`.
        """
        text = _clean(text)
        japanese = self.is_japanese(text)
        lines: list[str] = []
        line = ""
        for token in _tokens(text):
            candidate = line + token
            if line and self.width(candidate.rstrip(), size, japanese=japanese) > max_width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        if line.strip():
            lines.append(line.rstrip())
        return lines

    def code128(self, x: float, y: float, value: str, max_width: float, height: float,
                *, align: str = "center") -> float:
        """Draw a Code128 barcode of `value` with its quiet zones; return its width."""
        # Bars of whole printer dots: 3 dots a module when it fits, else 2, else 1.
        for dots in (3, 2, 1):
            module = dots * DOT
            barcode = Code128(value, barWidth=module, barHeight=height, humanReadable=0,
                              quiet=1, lquiet=10 * module, rquiet=10 * module)
            width = float(barcode.width)
            if width <= max_width or dots == 1:
                break
        left = x + (max_width - width) / 2 if align == "center" else x
        barcode.drawOn(self.canvas, round(left / DOT) * DOT, y)
        return width

    def qr(self, x: float, y: float, value: str, max_size: float) -> float:
        """Draw a QR code of `value` (error correction M) with its 4-module quiet zone,
        its lower-left corner at (x, y); return its side."""
        code = QrCode(value, qrLevel=QR_ERROR_CORRECTION, qrBorder=QR_QUIET_MODULES)
        # A symbol of version v is 4v + 17 modules a side (ISO/IEC 18004); modules of whole dots.
        modules = 4 * code.qr.calculate_version() + 17 + 2 * QR_QUIET_MODULES
        side = max(1, int(max_size / (modules * DOT))) * DOT * modules
        code.width = code.height = side
        code.drawOn(self.canvas, round(x / DOT) * DOT, y)
        return float(side)


def _tokens(text: str) -> Iterator[str]:
    """Breakable pieces of `text`: a wide character alone, else a word with its trailing space."""
    word = ""
    for ch in text:
        if _is_wide(ch):
            if word:
                yield word
                word = ""
            yield ch
        elif ch == " ":
            yield word + " "
            word = ""
        else:
            word += ch
    if word:
        yield word


def _address_lines(address: Address) -> list[str]:
    """An address as printed, name first; CJK countries put the postcode before the region."""
    lines = [address.line1, address.line2]
    if address.country.upper() in BIG_ENDIAN_ADDRESS:
        postal = f"〒{address.postal_code}" if address.country.upper() == "JP" else address.postal_code
        lines.append(" ".join(p for p in (postal, address.region, address.city) if p))
    else:
        place = ", ".join(p for p in (address.city, address.region) if p)
        lines.append(" ".join(p for p in (place, address.postal_code) if p))
    lines.append(address.country.upper())
    return [line for line in (_clean(line) for line in lines) if line]


def _draw_label(pen: _Pen, doc: LabelDocument, ox: float, oy: float) -> None:
    """The 4x6 in label with its lower-left corner at (ox, oy)."""
    c = pen.canvas
    # Drawn in the label's own coordinates; (ox, oy) stays on the dot grid, and so do the codes.
    c.saveState()
    c.translate(ox, oy)
    w, h, m = LABEL_WIDTH, LABEL_HEIGHT, 12.0
    inner = w - 2 * m
    locale = doc.locale

    # Header band: the store, and what this is.
    band = 28.0
    c.setFillColorRGB(*INK)
    c.rect(0, h - band, w, band, stroke=0, fill=1)
    white = (1.0, 1.0, 1.0)
    pen.text(m, h - band + 10, doc.store_name, 12, bold=True, max_width=inner * 0.6,
             color=white)
    pen.text(w - m, h - band + 10, label_word("return_label", locale), 10, bold=True,
             align="right", max_width=inner * 0.38, color=white)

    # From: the shopper, small.
    y = h - band - 14
    pen.text(m, y, label_word("from", locale).upper(), 6.5, bold=True, color=GREY)
    y -= 10
    pen.text(m, y, doc.ship_from.name or doc.customer_name, 8.5, bold=True, max_width=inner)
    for line in _address_lines(doc.ship_from):
        y -= 9.5
        pen.text(m, y, line, 8, max_width=inner)

    # Return to: the merchant's warehouse, large, boxed.
    box_top = y - 9
    box_height = 96.0
    c.setLineWidth(2)
    c.rect(m, box_top - box_height, inner, box_height, stroke=1, fill=0)
    ty = box_top - 14
    pen.text(m + 8, ty, label_word("return_to", locale).upper(), 7, bold=True, color=GREY)
    ty -= 16
    pen.text(m + 8, ty, doc.return_to.name, 13, bold=True, max_width=inner - 16)
    for line in _address_lines(doc.return_to)[:4]:
        ty -= 14
        pen.text(m + 8, ty, line, 11, max_width=inner - 16)

    # The RMA in large type, then its Code128.
    y = box_top - box_height - 16
    pen.text(m, y, label_word("rma", locale).upper(), 7, bold=True, color=GREY)
    pen.text(w - m, y, f"{label_word('order', locale)} {doc.order_number}", 7.5,
             align="right", max_width=inner * 0.6, color=GREY)
    y -= 24
    pen.text(w / 2, y, doc.rma, 24, bold=True, align="center", max_width=inner)
    bar_height = 58.0
    y -= 8 + bar_height
    pen.code128(0.0, y, doc.rma, w, bar_height)

    # Foot: the status page's QR code, and what it is for.
    c.setLineWidth(0.75)
    foot_top = y - 8
    c.line(m, foot_top, w - m, foot_top)
    qr_max = min(foot_top - m + 8, 96.0)
    side = pen.qr(w - m - qr_max + 4, m - 4, doc.status_url, qr_max)
    text_width = inner - side
    ty = foot_top - 18
    scan = label_word("scan_to_track", locale)
    for part in pen.wrap(scan, 9, text_width)[:2]:
        pen.text(m, ty, part, 9, bold=True, max_width=text_width, japanese=pen.is_japanese(scan))
        ty -= 12
    ty -= 4
    pen.text(m, ty, doc.customer_name, 8, max_width=text_width)
    ty -= 11
    pen.text(m, ty, f"{label_word('created', locale)} {format_date(doc.generated_on, locale)}", 7.5,
             max_width=text_width, color=GREY)
    if doc.send_by is not None:
        ty -= 11
        pen.text(m, ty, f"{label_word('send_by', locale)} {format_date(doc.send_by, locale)}", 8,
                 bold=True, max_width=text_width)
    pen.text(m, m, doc.store_name, 7.5, max_width=text_width, color=GREY)
    c.restoreState()


# On an office sheet: the label's top edge below the page's, and the gap between the label's cut
# frame and the packing slip under it.
SHEET_TOP = 36.0
CUT_MARGIN = 6.0
SLIP_GAP = 10.0


def _draw_label_on_sheet(pen: _Pen, doc: LabelDocument, width: float, height: float) -> float:
    """The 4x6 label at its real size at the top of an office sheet, framed by a dashed line to
    cut along with a scissors mark on it; returns the y below which the packing slip goes."""
    c = pen.canvas
    # On the dot grid from the left edge, so the barcode's bars stay whole dots wide.
    ox = round((width - LABEL_WIDTH) / 2 / DOT) * DOT
    oy = height - SHEET_TOP - LABEL_HEIGHT
    pen.text(width / 2, height - SHEET_TOP + CUT_MARGIN + 8, label_word("cut_out", doc.locale), 9,
             align="center", max_width=width - 72)
    _draw_label(pen, doc, ox, oy)
    left, bottom = ox - CUT_MARGIN, oy - CUT_MARGIN
    c.saveState()
    c.setDash(6, 4)
    c.setLineWidth(0.75)
    c.setStrokeColorRGB(*GREY)
    c.rect(left, bottom, LABEL_WIDTH + 2 * CUT_MARGIN, LABEL_HEIGHT + 2 * CUT_MARGIN, stroke=1, fill=0)
    c.restoreState()
    _draw_scissors(c, left + 36, bottom)
    return bottom - SLIP_GAP


def _draw_scissors(c: Any, x: float, y: float) -> None:
    """A scissors mark centred at (x, y), its blades along a horizontal cut line, on a white
    patch that interrupts the dashes."""
    c.saveState()
    c.setFillColorRGB(1, 1, 1)
    c.rect(x - 11, y - 7, 22, 14, stroke=0, fill=1)
    c.setStrokeColorRGB(*INK)
    c.setLineWidth(1)
    # Two finger rings on the left, two blades crossing at the pivot and closing to the right.
    c.circle(x - 7, y + 3.5, 2.6, stroke=1, fill=0)
    c.circle(x - 7, y - 3.5, 2.6, stroke=1, fill=0)
    c.line(x - 4.8, y + 2.2, x + 9, y - 1.2)
    c.line(x - 4.8, y - 2.2, x + 9, y + 1.2)
    c.restoreState()


def _draw_packing_slip(pen: _Pen, doc: LabelDocument, width: float, height: float,
                       *, top: float, thermal: bool) -> None:
    """The packing slip: what is in the parcel and why, with the instructions to enclose it.

    It starts below `top` on the current page; lines that do not fit go on over new pages.
    On a sheet, the facts and the RMA's barcode stand side by side, to leave room for lines.
    """
    c = pen.canvas
    locale = doc.locale
    m = 14.0 if thermal else 40.0
    # The lowest baseline: an office printer's unprintable edge is under 0.4 in (29 pt).
    floor = m if thermal else 30.0
    inner = width - 2 * m
    scale = 1.0

    def header(top: float = height - m) -> float:
        y = top - 14 * scale
        pen.text(m, y, doc.store_name, 11 * scale, bold=True, max_width=inner * 0.5)
        pen.text(width - m, y, label_word("packing_slip", locale), 11 * scale, bold=True,
                 align="right", max_width=inner * 0.48)
        y -= 8 * scale
        c.setLineWidth(1.5)
        c.line(m, y, width - m, y)
        return y

    y = header(top)
    # The instruction, boxed so that it is read first.
    heading_size = 12 * scale
    detail_size = 8 * scale
    detail_text = label_word("put_in_box_detail", locale)
    detail = pen.wrap(detail_text, detail_size, inner - 16)
    box_height = 14 + heading_size + 6 + len(detail) * detail_size * 1.3 + 4
    y -= 10
    c.setLineWidth(1.5)
    c.rect(m, y - box_height, inner, box_height, stroke=1, fill=0)
    ty = y - 8 - heading_size
    pen.text(m + 8, ty, label_word("put_in_box", locale), heading_size, bold=True,
             max_width=inner - 16)
    ty -= 6
    for part in detail:
        ty -= detail_size * 1.3
        pen.text(m + 8, ty, part, detail_size, max_width=inner - 16,
                 japanese=pen.is_japanese(detail_text))
    y -= box_height + 16 * scale

    # Who and which return.
    facts = (
        (label_word("rma", locale), doc.rma),
        (label_word("order", locale), doc.order_number),
        (label_word("customer", locale), doc.customer_name),
        (label_word("created", locale), format_date(doc.generated_on, locale)),
        *(((label_word("send_by", locale), format_date(doc.send_by, locale)),) if doc.send_by is not None else ()),
    )
    facts_width = inner if thermal else inner * 0.55
    key_width = facts_width * 0.32 if thermal else facts_width * 0.4
    facts_top = y
    for key, value in facts:
        pen.text(m, y, key, 8 * scale, color=GREY, max_width=key_width - 4)
        pen.text(m + key_width, y, value, 9 * scale, bold=key == facts[0][0],
                 max_width=facts_width - key_width)
        y -= 12 * scale
    bar_height = 26.0 * scale
    if thermal:
        y -= bar_height - 4
        pen.code128(m, y, doc.rma, inner, bar_height, align="left")
    else:
        # Beside the facts, level with their first line's top.
        bar_x = m + facts_width + 8
        pen.code128(bar_x, facts_top + 9 * scale - bar_height, doc.rma, width - m - bar_x,
                    bar_height)
        y = min(y + 12 * scale, facts_top + 9 * scale - bar_height)
    y -= 16 * scale

    # The lines: item (title, SKU), quantity, reason.
    qty_x = m + inner * 0.58
    reason_x = m + inner * 0.68
    title_width = qty_x - m - 8
    reason_width = width - m - reason_x

    def table_head(y: float) -> float:
        pen.text(m, y, label_word("item", locale), 8 * scale, bold=True, max_width=title_width)
        pen.text(qty_x, y, label_word("quantity", locale), 8 * scale, bold=True,
                 max_width=reason_x - qty_x - 4)
        pen.text(reason_x, y, label_word("reason", locale), 8 * scale, bold=True,
                 max_width=reason_width)
        y -= 5
        c.setLineWidth(0.75)
        c.line(m, y, width - m, y)
        return y - 11 * scale

    y = table_head(y)
    size = 8.5 * scale
    for line in doc.lines:
        title = pen.wrap(line.title, size, title_width)[:3] or [""]
        reason = pen.wrap(line.reason, size, reason_width)[:3] or [""]
        rows = max(len(title), len(reason)) + 1
        needed = rows * size * 1.25 + 6
        if y - needed < floor:
            c.showPage()
            y = table_head(header() - 18)
        pen.text(qty_x, y, str(line.quantity), size + 1, bold=True)
        ty = y
        for part in title:
            pen.text(m, ty, part, size, max_width=title_width, japanese=pen.is_japanese(line.title))
            ty -= size * 1.25
        pen.text(m, ty, line.sku, size - 1.5, color=GREY, max_width=title_width)
        ry = y
        for part in reason:
            pen.text(reason_x, ry, part, size, max_width=reason_width,
                     japanese=pen.is_japanese(line.reason))
            ry -= size * 1.25
        y -= needed
        c.setLineWidth(0.25)
        c.setStrokeColorRGB(*GREY)
        c.line(m, y + size, width - m, y + size)
        c.setStrokeColorRGB(*INK)
    total = sum(line.quantity for line in doc.lines)
    if y - 14 < floor:
        c.showPage()
        y = header() - 18
    y -= 4
    pen.text(m, y, label_word("total_items", locale), 9 * scale, bold=True,
             max_width=title_width)
    pen.text(qty_x, y, str(total), 9.5 * scale, bold=True)
