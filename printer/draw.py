"""Drawing primitives for 1-bit ticket strips (black = 0, white = 1).

Text is drawn with the committed TTF using Pillow's basic layout engine (no raqm), so the
same input gives the same pixels on every machine; the golden tests rely on that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from printer.ticket import SlipLayout
from vntext import nfc

BAND = 24  # column-mode images travel in 24-dot bands; keep heights a multiple of it
_INK_THRESHOLD = 150
DOTS_PER_MM = 8  # 203 dpi, every printer we support
# English lines stay readable on any paper: ≥ 2 mm cap height (16 dots), which Noto Sans
# (cap height 0.714 em) reaches at 23 px.
ENGLISH_MIN_PX = 23
VIETNAMESE_MIN_PX = 25  # Vietnamese first: never smaller than the English under it
# The number stays ≥ 12 mm tall even on 58 mm paper, where five characters at that
# height are wider than the paper: there it is drawn narrower (stretched upwards).
NUMBER_MIN_CAP_DOTS = 12 * DOTS_PER_MM


@dataclass(frozen=True)
class Block:
    """A horizontal strip of the ticket; `text` holds the number or the QR link it shows."""

    name: str
    image: Image.Image
    text: str | None = None


@lru_cache(maxsize=64)
def font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def _to_1bit(grey: Image.Image) -> Image.Image:
    return grey.point(lambda v: 255 if v >= _INK_THRESHOLD else 0, mode="1")


def _break_word(word: str, fnt: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Split a word wider than the paper at character boundaries (it must not clip)."""
    pieces, current = [], ""
    for ch in word:
        if current and fnt.getlength(current + ch) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    return pieces + [current]


def wrap(text: str, fnt: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to `width` dots; over-long words are broken, never clipped."""
    lines: list[str] = []
    current = ""
    for word in nfc(text).split():
        for piece in _break_word(word, fnt, width) if fnt.getlength(word) > width else [word]:
            candidate = f"{current} {piece}" if current else piece
            if current and fnt.getlength(candidate) > width:
                lines.append(current)
                current = piece
            else:
                current = candidate
    return lines + [current] if current else lines


def text_block(
    name: str,
    text: str,
    path: Path,
    size: int,
    width: int,
    margin: int,
    max_lines: int | None = None,
    min_size: int | None = None,
) -> Block:
    """Centred, wrapped text; shrinks towards `min_size` to stay within `max_lines`."""
    fnt = font(path, size)
    lines = wrap(text, fnt, width - 2 * margin)
    while max_lines and len(lines) > max_lines and min_size and size > min_size:
        size -= 1
        fnt = font(path, size)
        lines = wrap(text, fnt, width - 2 * margin)
    ascent, descent = fnt.getmetrics()
    line_h = ascent + descent
    canvas = Image.new("L", (width, max(1, line_h * len(lines))), 255)
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        x = (width - fnt.getlength(line)) / 2
        draw.text((round(x), i * line_h), line, font=fnt, fill=0)
    return Block(name, _to_1bit(canvas))


def gap(height: int, width: int) -> Block:
    return Block("gap", Image.new("1", (width, height), 1))


def rule(width: int, margin: int, thickness: int = 2, pad: int = 8) -> Block:
    img = Image.new("1", (width, thickness + 2 * pad), 1)
    ImageDraw.Draw(img).rectangle((margin, pad, width - margin - 1, pad + thickness - 1), fill=0)
    return Block("rule", img)


def number_font_size(number: str, layout: SlipLayout, width: int) -> int:
    """Largest size with the wanted cap height that still fits across the paper."""
    probe = font(layout.font_bold, 100)
    left, top, right, bottom = probe.getbbox("H", anchor="ls")
    size = round(100 * layout.number_cap_dots / (bottom - top))
    available = width - 2 * layout.margin_dots
    while size > 10 and font(layout.font_bold, size).getlength(number) > available:
        size -= 2
    return size


def number_block(number: str, layout: SlipLayout, width: int, pad: int = 10) -> Block:
    fnt = font(layout.font_bold, number_font_size(number, layout, width))
    left, top, right, bottom = fnt.getbbox(number, anchor="ls")
    height = math.ceil(bottom - top)
    canvas = Image.new("L", (width, height + 2 * pad), 255)
    x = (width - (right - left)) // 2 - left
    ImageDraw.Draw(canvas).text((x, pad - top), number, font=fnt, fill=0, anchor="ls")
    _, cap_top, _, cap_bottom = fnt.getbbox("H", anchor="ls")
    wanted = min(NUMBER_MIN_CAP_DOTS, layout.number_cap_dots)
    if cap_bottom - cap_top < wanted:  # too wide for the paper at 12 mm: draw it narrower
        tall = math.ceil(height * wanted / (cap_bottom - cap_top))
        glyphs = canvas.crop((0, pad, width, pad + height)).resize((width, tall))
        canvas = Image.new("L", (width, tall + 2 * pad), 255)
        canvas.paste(glyphs, (0, pad))
    return Block("number", _to_1bit(canvas), text=number)


QR_BORDER = 4  # modules of quiet zone around the code


def qr_matrix(url: str) -> list[list[bool]]:
    """QR modules for `url` (error correction M), without the quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def qr_module_dots(url: str, target: int) -> int:
    return max(3, target // (len(qr_matrix(url)) + 2 * QR_BORDER))


def qr_block(url: str, width: int, target: int) -> Block:
    """QR drawn module by module (whole dots per module) so scanners and tests read it."""
    matrix = qr_matrix(url)
    box = qr_module_dots(url, target)
    side = box * (len(matrix) + 2 * QR_BORDER)
    img = Image.new("1", (width, side), 1)
    draw = ImageDraw.Draw(img)
    x0 = (width - side) // 2 + QR_BORDER * box
    y0 = QR_BORDER * box
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle(
                    (x0 + x * box, y0 + y * box, x0 + x * box + box - 1, y0 + y * box + box - 1),
                    fill=0,
                )
    return Block("qr", img, text=url)


def logo_block(path: str, width: int, max_height: int) -> Block:
    with Image.open(path) as src:
        logo = src.convert("L")
    logo.thumbnail((width // 2, max_height))
    img = Image.new("1", (width, logo.height), 1)
    img.paste(logo.convert("1"), ((width - logo.width) // 2, 0))
    return Block("logo", img)


def stack(blocks: list[Block], width: int, band: int = BAND) -> Image.Image:
    """Stack strips top to bottom; pad the height to a whole number of bands."""
    height = sum(b.image.height for b in blocks)
    height += -height % band
    page = Image.new("1", (width, height), 1)
    y = 0
    for block in blocks:
        page.paste(block.image, (0, y))
        y += block.image.height
    return page
