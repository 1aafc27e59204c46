"""Ticket layout: `TicketSlip` + `SlipLayout` → one 1-bit image, or the strips it is made of."""

from __future__ import annotations

from PIL import Image

from printer.draw import (
    ENGLISH_MIN_PX,
    VIETNAMESE_MIN_PX,
    Block,
    gap,
    logo_block,
    number_block,
    qr_block,
    rule,
    stack,
    text_block,
)
from printer.ticket import SlipLayout, TicketSlip
from vntext import nfc

WIDTHS = (384, 512, 576)  # 58 mm paper; 80 mm on Epson TM-T88 class; 80 mm on most others


class _Writer:
    """Collects blocks at sizes scaled to the paper width."""

    def __init__(self, layout: SlipLayout, width: int) -> None:
        self.layout, self.width = layout, width
        self.scale = max(width / 576, 0.8)
        self.blocks: list[Block] = []

    def text(
        self, name: str, text: str, size: int, bold: bool = False, min_px: int = 0, **fit: int
    ) -> None:
        path = self.layout.font_bold if bold else self.layout.font_regular
        self.blocks.append(
            text_block(
                name,
                text,
                path,
                max(round(size * self.scale), min_px),
                self.width,
                self.layout.margin_dots,
                **fit,
            )
        )

    def pair(self, name: str, vi: str, en: str, size: int, bold: bool = False) -> None:
        """A Vietnamese line with its smaller English line underneath, if enabled."""
        self.text(name, vi, size, bold, min_px=VIETNAMESE_MIN_PX if self.layout.show_english else 0)
        if self.layout.show_english and en:
            self.text(name + "_en", en, round(size * 0.8), min_px=ENGLISH_MIN_PX)

    def space(self, dots: int) -> None:
        self.blocks.append(gap(round(dots * self.scale), self.width))

    def rule(self) -> None:
        self.blocks.append(rule(self.width, self.layout.margin_dots))


def _fields(slip: TicketSlip, layout: SlipLayout) -> dict[str, object]:
    issued = slip.issued_at.astimezone(layout.display_tz) if layout.display_tz else slip.issued_at
    return {
        "n": slip.waiting_ahead,
        "minutes": slip.estimated_wait_minutes,
        "group": nfc(slip.priority_group or ""),
        "date": issued.strftime(layout.date_format),
        "time": issued.strftime(layout.time_format),
        "number": slip.number,
    }


def ticket_blocks(slip: TicketSlip, layout: SlipLayout, width: int) -> list[Block]:
    """The ticket as named strips, top to bottom, each `width` dots wide."""
    f = _fields(slip, layout)
    w = _Writer(layout, width)
    w.space(8)
    if layout.logo_path:
        w.blocks.append(logo_block(layout.logo_path, width, round(120 * w.scale)))
    for line in layout.header_lines:
        w.text("header", line, 22)
    w.text("centre", slip.centre_name, 30, bold=True, max_lines=2, min_size=round(22 * w.scale))
    w.rule()
    w.pair("title", layout.title, layout.title_en, 30, bold=True)
    w.blocks.append(number_block(nfc(slip.number), layout, width))
    w.text("service", slip.service_name, 32, bold=True)
    if slip.priority_group:
        w.pair(
            "priority",
            layout.priority_text.format(**f),
            layout.priority_text_en.format(**f),
            26,
            bold=True,
        )
    w.rule()
    w.pair("waiting", layout.waiting_text.format(**f), layout.waiting_text_en.format(**f), 24)
    if slip.wait_note:
        w.pair("wait", slip.wait_note, slip.wait_note_en or slip.wait_note, 24)
    elif slip.estimated_wait_minutes is not None:
        w.pair("wait", layout.wait_text.format(**f), layout.wait_text_en.format(**f), 24)
    w.pair("issued", layout.issued_text.format(**f), layout.issued_text_en.format(**f), 24)
    if layout.show_qr:
        w.rule()
        w.blocks.append(qr_block(slip.tracking_url, width, round(200 * w.scale)))
        w.pair("qr_caption", layout.qr_caption, layout.qr_caption_en, 20)
    w.rule()
    w.pair("footer", layout.footer, layout.footer_en, 22)
    w.space(16)
    return w.blocks


def render_ticket(slip: TicketSlip, layout: SlipLayout, width: int) -> Image.Image:
    """The whole ticket as one mode "1" image, `width` dots wide."""
    return stack(ticket_blocks(slip, layout, width), width)
