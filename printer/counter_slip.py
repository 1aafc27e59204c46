"""Slips printed at the counter: phiếu hẹn (receipt and appointment for the result) and
phiếu nhận hồ sơ (receipt of the dossier), drawn with the ticket's raster pipeline.

`CounterSlip` is what goes on paper (the console fills it from the dossier it received);
`CounterSlipLayout` is the wording, from the console's `[slips]` table
(`CounterSlipLayout.from_dict`). `render_counter_slip` returns one mode "1" image;
`encode_counter_slip` the ESC/POS job. The dossier code is printed as text, as a
Code 128 barcode (the kiosk's scanner reads it) and as a QR (a phone opens the look-up
page, or the kiosk reads the code from it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from barcode.codex import Code128
from PIL import Image, ImageDraw

from printer import _escpos
from printer.config import PrinterConfig
from printer.draw import (
    ENGLISH_MIN_PX,
    VIETNAMESE_MIN_PX,
    Block,
    font,
    gap,
    qr_block,
    rule,
    stack,
    text_block,
    wrap,
)
from printer.errors import ConfigError
from printer.ticket import FONT_DIR
from vntext import nfc

KINDS = ("phieu_hen", "phieu_nhan")
CODE128_QUIET = 10  # modules of white either side


@dataclass(frozen=True)
class CounterSlip:
    kind: str  # phieu_hen | phieu_nhan
    dossier_code: str
    procedure_name: str
    citizen_name: str
    received_on: dt.date
    officer: str
    centre_name: str
    procedure_code: str = ""
    documents: tuple[str, ...] = ()
    due_on: dt.date | None = None  # phiếu hẹn: the return date
    counter: int | None = None
    reprint: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"CounterSlip.kind must be one of {', '.join(KINDS)}")
        if self.kind == "phieu_hen" and self.due_on is None:
            raise ValueError("a phiếu hẹn needs its return date (due_on)")


@dataclass(frozen=True)
class CounterSlipLayout:
    header_lines: tuple[str, ...] = ("UBND TỈNH BÌNH DƯƠNG",)
    title_phieu_hen: str = "GIẤY TIẾP NHẬN HỒ SƠ\nVÀ HẸN TRẢ KẾT QUẢ"  # \n: where to break
    title_phieu_hen_en: str = "DOSSIER RECEIPT AND RESULT APPOINTMENT"
    title_phieu_nhan: str = "PHIẾU NHẬN HỒ SƠ"
    title_phieu_nhan_en: str = "DOSSIER RECEIPT"
    code_label: str = "Mã hồ sơ"
    procedure_label: str = "Thủ tục"
    citizen_label: str = "Người nộp"
    documents_label: str = "Giấy tờ đã nhận"
    received_label: str = "Ngày nhận hồ sơ"
    due_label: str = "Ngày hẹn trả kết quả"
    due_label_en: str = "Result ready on"
    officer_label: str = "Cán bộ tiếp nhận"
    counter_label: str = "Quầy"
    reprint_text: str = "(In lại / Reprint)"
    footer: str = "Ông/Bà mang phiếu này khi đến nhận kết quả."
    footer_en: str = "Please bring this slip when you collect the result."
    lookup_text: str = "Tra cứu hồ sơ: quét mã QR hoặc nhắn HS {code}"
    lookup_text_en: str = "Track your dossier: scan the QR code"
    # what the QR holds: a link to the look-up page with the code, or the code alone
    qr_url: str = ""  # e.g. "https://hcc.binhduong.gov.vn/tra-cuu/ho-so?ma={code}"
    show_english: bool = True
    date_format: str = "%d/%m/%Y"
    font_regular: Path = field(default=FONT_DIR / "NotoSans-Regular.ttf")
    font_bold: Path = field(default=FONT_DIR / "NotoSans-Bold.ttf")
    margin_dots: int = 16

    @classmethod
    def from_dict(cls, table: dict[str, Any], source: str = "<config>") -> CounterSlipLayout:
        """The `[slips]` table; unknown keys and wrong types name the key."""
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in known or key.startswith("font_"):
                raise ConfigError(f"{source}: [slips] '{key}' is not a known key")
            if key == "header_lines":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"{source}: [slips] 'header_lines' must be a list of text")
                values[key] = tuple(nfc(v) for v in value)
            elif key == "show_english":
                if not isinstance(value, bool):
                    raise ConfigError(f"{source}: [slips] 'show_english' must be true or false")
                values[key] = value
            elif key == "margin_dots":
                if not isinstance(value, int) or not 0 <= value <= 64:
                    raise ConfigError(f"{source}: [slips] 'margin_dots' must be 0–64")
                values[key] = value
            elif not isinstance(value, str):
                raise ConfigError(f"{source}: [slips] '{key}' must be text")
            else:
                values[key] = nfc(value)
        qr = values.get("qr_url", "")
        if qr and (not qr.startswith(("http://", "https://")) or "{code}" not in qr):
            raise ConfigError(f"{source}: [slips] 'qr_url' must be an http(s) link with {{code}}")
        return cls(**values)

    def qr_payload(self, code: str) -> str:
        return self.qr_url.replace("{code}", quote(code, safe="")) if self.qr_url else code


def left_block(
    name: str, text: str, path: Path, size: int, width: int, margin: int, indent: int = 0
) -> Block:
    """Left-aligned wrapped text (labels and lists read better flush left)."""
    fnt = font(path, size)
    lines = wrap(text, fnt, width - 2 * margin - indent)
    ascent, descent = fnt.getmetrics()
    line_h = ascent + descent
    canvas = Image.new("L", (width, max(1, line_h * len(lines))), 255)
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        draw.text((margin + (indent if i else 0), i * line_h), line, font=fnt, fill=0)
    return Block(name, canvas.point(lambda v: 255 if v >= 150 else 0, mode="1"))


def code128_block(code: str, width: int, height: int, module: int = 2) -> Block:
    """Code 128 drawn bar by bar in whole dots. A code too long to lie across the paper
    at `module` dots per module runs down it instead (rotated), never thinner."""
    modules = Code128(code).build()[0]
    total = (len(modules) + 2 * CODE128_QUIET) * module
    horizontal = total <= width
    length = total
    img = Image.new("1", (length, height), 1)
    draw = ImageDraw.Draw(img)
    for i, bit in enumerate(modules):
        if bit == "1":
            x = (CODE128_QUIET + i) * module
            draw.rectangle((x, 0, x + module - 1, height - 1), fill=0)
    if not horizontal:
        img = img.rotate(90, expand=True)
    strip = Image.new("1", (width, img.height), 1)
    strip.paste(img, ((width - img.width) // 2, 0))
    return Block("code128", strip, text=code)


class _Slip:
    """Collects the blocks at sizes scaled to the paper width."""

    def __init__(self, layout: CounterSlipLayout, width: int) -> None:
        self.layout, self.width = layout, width
        self.scale = max(width / 576, 0.75)
        self.blocks: list[Block] = []

    def centred(self, name: str, text: str, size: int, bold: bool = False, min_px: int = 0) -> None:
        path = self.layout.font_bold if bold else self.layout.font_regular
        px = max(round(size * self.scale), min_px)
        self.blocks.append(text_block(name, text, path, px, self.width, 12))

    def left(self, name: str, text: str, size: int, bold: bool = False, indent: int = 0) -> None:
        path = self.layout.font_bold if bold else self.layout.font_regular
        margin = self.layout.margin_dots
        size = max(round(size * self.scale), VIETNAMESE_MIN_PX)
        self.blocks.append(left_block(name, text, path, size, self.width, margin, indent))

    def english(self, name: str, text: str, size: int = 20) -> None:
        if self.layout.show_english and text:
            px = max(round(size * self.scale), ENGLISH_MIN_PX)
            self.blocks.append(text_block(name, text, self.layout.font_regular, px, self.width, 12))

    def space(self, dots: int) -> None:
        self.blocks.append(gap(round(dots * self.scale), self.width))

    def rule(self) -> None:
        self.blocks.append(rule(self.width, self.layout.margin_dots))


def counter_slip_blocks(slip: CounterSlip, layout: CounterSlipLayout, width: int) -> list[Block]:
    lay, w = layout, _Slip(layout, width)
    date = lay.date_format
    w.space(8)
    for line in lay.header_lines:
        w.centred("header", line, 22)
    w.centred("centre", slip.centre_name, 24, bold=True)
    w.rule()
    if slip.kind == "phieu_hen":
        for line in lay.title_phieu_hen.split("\n"):
            w.centred("title", line, 28, bold=True)
        w.english("title_en", lay.title_phieu_hen_en)
    else:
        w.centred("title", lay.title_phieu_nhan, 30, bold=True)
        w.english("title_en", lay.title_phieu_nhan_en)
    if slip.reprint:
        w.centred("reprint", lay.reprint_text, 20)
    w.space(6)
    w.centred("code", f"{lay.code_label}: {slip.dossier_code}", 28, bold=True)
    w.blocks.append(code128_block(slip.dossier_code, width, round(80 * w.scale)))
    w.space(6)
    proc = slip.procedure_name + (f" ({slip.procedure_code})" if slip.procedure_code else "")
    w.left("procedure", f"{lay.procedure_label}: {proc}", 24, indent=24)
    w.left("citizen", f"{lay.citizen_label}: {slip.citizen_name}", 24, indent=24)
    if slip.documents:
        w.left("documents_label", f"{lay.documents_label}:", 24, bold=True)
        for i, doc in enumerate(slip.documents, start=1):
            w.left("document", f"{i}. {doc}", 22, indent=28)
    w.left("received", f"{lay.received_label}: {slip.received_on.strftime(date)}", 24)
    if slip.due_on is not None:
        w.rule()
        w.centred("due_label", lay.due_label, 26, bold=True)
        w.english("due_label_en", lay.due_label_en)
        w.centred("due", slip.due_on.strftime(date), 48, bold=True)
    w.rule()
    counter = f" – {lay.counter_label} {slip.counter}" if slip.counter is not None else ""
    w.left("officer", f"{lay.officer_label}: {slip.officer}{counter}", 22, indent=24)
    w.blocks.append(qr_block(lay.qr_payload(slip.dossier_code), width, round(180 * w.scale)))
    vi_min = VIETNAMESE_MIN_PX if lay.show_english else 0  # never smaller than its English
    w.centred("lookup", lay.lookup_text.format(code=slip.dossier_code), 20, min_px=vi_min)
    w.english("lookup_en", lay.lookup_text_en.format(code=slip.dossier_code), 18)
    w.rule()
    w.centred("footer", lay.footer, 20, min_px=vi_min)
    w.english("footer_en", lay.footer_en, 18)
    w.space(16)
    return w.blocks


def render_counter_slip(slip: CounterSlip, layout: CounterSlipLayout, width: int) -> Image.Image:
    """The whole slip as one mode "1" image, `width` dots wide (also the console's preview)."""
    return stack(counter_slip_blocks(slip, layout, width), width)


def encode_counter_slip(
    slip: CounterSlip, layout: CounterSlipLayout, config: PrinterConfig
) -> bytes:
    """The ESC/POS job: init, the slip as a raster image, feed and cut."""
    p = _escpos.dummy(config.profile, config.width)
    p._raw(b"\x1b@")
    p.image(
        render_counter_slip(slip, layout, config.width),
        impl=config.image_mode,
        fragment_height=config.fragment_height,
    )
    if config.cut == "none":
        p.print_and_feed(6)
    else:
        p.cut(mode="FULL" if config.cut == "full" else "PART")
    return p.output
