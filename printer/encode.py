"""Ticket → ESC/POS bytes, built with python-escpos' Dummy printer.

Encoding once into bytes and writing them to the real link keeps one code path for every
connection and lets the bench count exactly what goes down the wire.
"""

from __future__ import annotations

from PIL import Image, ImageChops

from printer import _escpos
from printer.config import PrinterConfig
from printer.draw import Block, stack
from printer.render import render_ticket, ticket_blocks
from printer.ticket import SlipLayout, TicketSlip

ESC_INIT = b"\x1b@"
_MAX_FEED = 255  # ESC J n feeds n dots, n <= 255


def encode_ticket(slip: TicketSlip, layout: SlipLayout, config: PrinterConfig) -> bytes:
    """The complete job for one ticket: init, the ticket, feed and cut."""
    p = _escpos.dummy(config.profile, config.width)
    p._raw(ESC_INIT)
    if config.hybrid:
        _hybrid(p, ticket_blocks(slip, layout, config.width), config)
    else:
        p.image(render_ticket(slip, layout, config.width), impl=config.image_mode,
                fragment_height=config.fragment_height)
    if config.cut == "none":
        p.print_and_feed(6)
    else:
        p.cut(mode="FULL" if config.cut == "full" else "PART")
    return p.output


def _hybrid(p, blocks: list[Block], config: PrinterConfig) -> None:
    """Number as printer text (GS !), everything else as trimmed image strips."""
    pending: list[Block] = []
    for block in blocks:
        if block.text is None:
            pending.append(block)
            continue
        _strip(p, stack(pending, config.width) if pending else None, config)
        pending = []
        n = config.hybrid_text_size
        p.set(align="center", bold=True, custom_size=n > 1, width=n, height=n)
        p.text(block.text + "\n")
        p.set(align="left", normal_textsize=True, bold=False)
    _strip(p, stack(pending, config.width) if pending else None, config)


def _ink_rows(img: Image.Image) -> list[tuple[int, int, bool]]:
    """Runs of rows (start, end, has_ink) of a mode "1" image."""
    ink = ImageChops.invert(img.convert("L"))
    width = img.width
    runs: list[tuple[int, int, bool]] = []
    for y in range(img.height):
        has = ink.crop((0, y, width, y + 1)).getbbox() is not None
        if runs and runs[-1][2] == has:
            runs[-1] = (runs[-1][0], y + 1, has)
        else:
            runs.append((y, y + 1, has))
    return runs


def _strip(p, img: Image.Image | None, config: PrinterConfig) -> None:
    """Send blank rows as paper feed and inked rows as centred, trimmed images."""
    if img is None:
        return
    width = img.width
    for start, end, has_ink in _ink_rows(img):
        if not has_ink:
            for left in range(end - start, 0, -_MAX_FEED):
                p._raw(b"\x1bJ" + bytes([min(left, _MAX_FEED)]))
            continue
        band = img.crop((0, start, width, end))
        left, _, right, _ = ImageChops.invert(band.convert("L")).getbbox()
        # a crop symmetric about the centre and 8-dot aligned lands exactly when centred
        margin = min(left, width - right) // 4 * 4
        p.set(align="center")
        p.image(band.crop((margin, 0, width - margin, band.height)), impl=config.image_mode,
                fragment_height=config.fragment_height)
