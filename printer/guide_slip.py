"""A procedure's guide printed at the kiosk (issue 16, "In hướng dẫn"): the documents to
bring as a checklist, the processing time and fees, and a QR to the guide online.

Drawn with the ticket's raster pipeline (`printer.draw`: the same fonts, wrapping, QR
module by module) into one mode "1" image; `encode_guide` makes the ESC/POS job that
`TicketPrinter.print_job` sends. The kiosk fills `GuideSlip` with words already in the
citizen's language pair (Vietnamese first, English under it); this module only lays out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from printer import _escpos
from printer.config import PrinterConfig
from printer.draw import Block, font, gap, qr_block, rule, stack, text_block, wrap
from printer.ticket import FONT_DIR

REGULAR = FONT_DIR / "NotoSans-Regular.ttf"
BOLD = FONT_DIR / "NotoSans-Bold.ttf"
BOX = 0.62  # the tick box's side, as a share of the line height


@dataclass(frozen=True)
class GuideItem:
    """One paper to bring: its name and how many ("1 bản chính, 1 bản sao")."""

    name: str
    amount: str = ""
    note: str = ""


@dataclass(frozen=True)
class GuideSlip:
    centre_name: str
    title: str  # "HƯỚNG DẪN THỦ TỤC"
    procedure_name: str
    procedure_code: str  # "Mã thủ tục: 1.001193"
    facts: tuple[str, ...]  # "Nộp tại: …", "Thời hạn giải quyết: …", "Lệ phí: …"
    documents_title: str  # "GIẤY TỜ CẦN MANG"
    documents: tuple[GuideItem, ...]
    guide_url: str
    qr_caption: str
    footer: str = ""  # "In lúc 09:12 ngày 03/12/2026"
    subtitle: str = ""  # the title in the other language ("PROCEDURE GUIDE")
    procedure_other: str = ""  # the procedure's name in the other language


def _left_block(
    name: str, text: str, path: Path, size: int, width: int, margin: int, indent: int = 0
) -> Block:
    """Left-aligned wrapped text (a checklist reads down the left edge)."""
    fnt = font(path, size)
    lines = wrap(text, fnt, width - 2 * margin - indent)
    ascent, descent = fnt.getmetrics()
    line_h = ascent + descent
    canvas = Image.new("L", (width, max(1, line_h * len(lines))), 255)
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        draw.text((margin + indent, i * line_h), line, font=fnt, fill=0)
    return Block(name, canvas.point(lambda v: 0 if v < 128 else 255, "1"), text=text)


def _item_block(number: int, item: GuideItem, width: int, margin: int, scale: float) -> Block:
    """☐ and the paper's name, its amount and note indented under it."""
    size = round(24 * scale)
    indent = round(size * 1.6)
    parts = [_left_block("document", f"{number}. {item.name}", BOLD, size, width, margin, indent)]
    for extra in (item.amount, item.note):
        if extra:
            parts.append(
                _left_block(
                    "document_amount", extra, REGULAR, round(21 * scale), width, margin, indent
                )
            )
    height = sum(p.image.height for p in parts) + round(8 * scale)
    img = Image.new("1", (width, height), 1)
    y = 0
    for p in parts:
        img.paste(p.image, (0, y))
        y += p.image.height
    ascent, descent = font(BOLD, size).getmetrics()
    side = round((ascent + descent) * BOX)
    top = round((ascent + descent - side) / 2)
    ImageDraw.Draw(img).rectangle((margin, top, margin + side, top + side), outline=0, width=2)
    return Block("document", img, text=item.name)


def guide_blocks(slip: GuideSlip, width: int, margin: int = 16) -> list[Block]:
    scale = max(width / 576, 0.8)

    def centred(name: str, text: str, size: int, bold: bool = False) -> Block:
        return text_block(name, text, BOLD if bold else REGULAR, round(size * scale), width, margin)

    blocks = [gap(round(8 * scale), width), centred("centre", slip.centre_name, 24, True)]
    blocks += [rule(width, margin), centred("title", slip.title, 30, True)]
    if slip.subtitle:
        blocks.append(centred("subtitle", slip.subtitle, 20))
    blocks += [gap(round(6 * scale), width), centred("procedure", slip.procedure_name, 28, True)]
    if slip.procedure_other:
        blocks.append(centred("procedure_other", slip.procedure_other, 20))
    blocks += [centred("code", slip.procedure_code, 22), rule(width, margin)]
    blocks += [
        _left_block("fact", fact, REGULAR, round(23 * scale), width, margin) for fact in slip.facts
    ]
    blocks += [rule(width, margin), centred("documents_title", slip.documents_title, 26, True)]
    blocks.append(gap(round(6 * scale), width))
    blocks += [
        _item_block(i, item, width, margin, scale) for i, item in enumerate(slip.documents, 1)
    ]
    if slip.guide_url:
        blocks += [rule(width, margin), qr_block(slip.guide_url, width, round(220 * scale))]
        blocks.append(centred("qr_caption", slip.qr_caption, 20))
    if slip.footer:
        blocks += [rule(width, margin), centred("footer", slip.footer, 20)]
    blocks.append(gap(round(16 * scale), width))
    return blocks


def render_guide(slip: GuideSlip, width: int) -> Image.Image:
    """The whole guide as one mode "1" image, `width` dots wide."""
    return stack(guide_blocks(slip, width), width)


def encode_guide(slip: GuideSlip, config: PrinterConfig) -> bytes:
    """The ESC/POS job: init, the guide as a raster image, feed and cut."""
    p = _escpos.dummy(config.profile, config.width)
    p._raw(b"\x1b@")
    p.image(
        render_guide(slip, config.width),
        impl=config.image_mode,
        fragment_height=config.fragment_height,
    )
    if config.cut == "none":
        p.print_and_feed(6)
    else:
        p.cut(mode="FULL" if config.cut == "full" else "PART")
    return p.output
