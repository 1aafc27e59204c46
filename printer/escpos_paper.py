"""The emulated paper: text lines in the printer's own font, bit images, feeds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from printer.ticket import FONT_DIR

FONTS = {"A": (12, 24), "B": (9, 17)}
DEFAULT_LINE_SPACING = 30
_GLYPH_FONT = FONT_DIR / "DejaVuSansMono-Bold.ttf"


@dataclass(frozen=True)
class TextStyle:
    font: str = "A"
    width_mult: int = 1
    height_mult: int = 1
    bold: bool = False
    underline: bool = False
    align: str = "left"
    line_spacing: int = DEFAULT_LINE_SPACING

    def but(self, **changes: Any) -> TextStyle:
        return replace(self, **changes)


@dataclass
class TextRun:
    text: str
    width_mult: int
    height_mult: int
    bold: bool
    font: str
    align: str
    y: int


@dataclass
class RasterInfo:
    command: str
    width: int
    height: int
    y: int


@dataclass
class DecodedJob:
    page: Image.Image
    texts: list[TextRun] = field(default_factory=list)
    images: list[RasterInfo] = field(default_factory=list)
    cut: str | None = None


@lru_cache(maxsize=512)
def glyph(ch: str, font: str, bold: bool) -> Image.Image:
    """One character cell at 1×, as a bitmap font would have it (mode "1", black ink)."""
    cw, chh = FONTS[font]
    fnt = ImageFont.truetype(str(_GLYPH_FONT), round(chh * 0.8))
    cell = Image.new("L", (cw, chh), 255)
    draw = ImageDraw.Draw(cell)
    x = (cw - fnt.getlength(ch)) / 2
    draw.text((x, chh * 0.82), ch, font=fnt, fill=0, anchor="ls")
    if bold:
        draw.text((x + 1, chh * 0.82), ch, font=fnt, fill=0, anchor="ls")
    return cell.point(lambda v: 255 if v >= 128 else 0, mode="1")


class Paper:
    """Paper as it comes out: a pending line (text and ESC * bands) over printed strips."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.strips: list[Image.Image] = []
        self.y = 0
        self.line: list[tuple[Image.Image, TextStyle, str | None]] = []
        self.texts: list[TextRun] = []
        self.images: list[RasterInfo] = []

    def has_content(self) -> bool:
        return bool(self.texts or self.images)

    def add_char(self, ch: str, style: TextStyle) -> None:
        cell = glyph(ch, style.font, style.bold)
        cw, chh = cell.size
        scaled = cell.resize(
            (cw * style.width_mult, chh * style.height_mult), Image.Resampling.NEAREST
        )
        self.line.append((scaled, style, ch))

    def add_band(self, band: Image.Image, style: TextStyle) -> None:
        """An ESC * column band: printed inline, like a (tall) character."""
        self.line.append((band, style, None))
        self.images.append(RasterInfo("ESC *", band.width, band.height, self.y))

    def print_line(self, style: TextStyle) -> int:
        """Print the pending line, if any; returns its height."""
        if not self.line:
            return 0
        height = max(img.height for img, _, _ in self.line)
        total = sum(img.width for img, _, _ in self.line)
        strip = Image.new("1", (self.width, height), 1)
        x = self._x_for(total, self.line[0][1].align)
        for img, _, _ in self.line:
            strip.paste(img, (x, height - img.height))
            x += img.width
        self._record_text()
        self.line = []
        self._put(strip)
        return height

    def _record_text(self) -> None:
        for _img, st, ch in self.line:
            if ch is None:
                continue
            last = self.texts[-1] if self.texts else None
            key = (st.width_mult, st.height_mult, st.bold, st.font, st.align, self.y)
            if (
                last
                and (last.width_mult, last.height_mult, last.bold, last.font, last.align, last.y)
                == key
            ):
                last.text += ch
            else:
                self.texts.append(TextRun(ch, *key))

    def feed(self, printed: int, dots: int) -> None:
        """Advance by `dots`, less what the just-printed line already took."""
        if dots > printed:
            self._put(Image.new("1", (self.width, dots - printed), 1))

    def raster(self, img: Image.Image, command: str, style: TextStyle) -> None:
        """GS v 0 / GS ( L: printed at once, then the paper moves by the image height."""
        self.print_line(style)
        self.images.append(RasterInfo(command, img.width, img.height, self.y))
        strip = Image.new("1", (self.width, img.height), 1)
        strip.paste(img, (self._x_for(img.width, style.align), 0))
        self._put(strip)

    def _x_for(self, content: int, align: str) -> int:
        free = max(0, self.width - content)
        return {"left": 0, "center": free // 2, "right": free}[align]

    def _put(self, strip: Image.Image) -> None:
        self.strips.append(strip)
        self.y += strip.height

    def job(self, cut: str | None) -> DecodedJob:
        page = Image.new("1", (self.width, max(1, self.y)), 1)
        y = 0
        for strip in self.strips:
            page.paste(strip, (0, y))
            y += strip.height
        return DecodedJob(page, self.texts, self.images, cut)
