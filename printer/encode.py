"""Ticket → ESC/POS bytes, built with python-escpos' Dummy printer.

Encoding once into bytes and writing them to the real link keeps one code path for every
connection and lets the bench count exactly what goes down the wire.
"""

from __future__ import annotations

from PIL import Image, ImageChops

from printer import _escpos
from printer.config import PrinterConfig
from printer.draw import BAND, QR_BORDER, Block, qr_module_dots, stack
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
        p.image(
            render_ticket(slip, layout, config.width),
            impl=config.image_mode,
            fragment_height=config.fragment_height,
        )
    if config.cut == "none":
        p.print_and_feed(6)
    else:
        p.cut(mode="FULL" if config.cut == "full" else "PART")
    return p.output


def _hybrid(p, blocks: list[Block], config: PrinterConfig) -> None:
    """Number as printer text (GS !), the QR as a native code, the rest as image strips."""
    pending: list[Block] = []
    for block in blocks:
        native = block.name == "number" or (block.name == "qr" and config.hybrid_native_qr)
        if not native:
            pending.append(block)
            continue
        _strip(p, stack(pending, config.width, band=1) if pending else None, config)
        pending = []
        if block.name == "number":
            _big_text(p, block.text or "", config.hybrid_text_size)
        else:
            _native_qr(p, block)
    _strip(p, stack(pending, config.width, band=1) if pending else None, config)


def _big_text(p, text: str, size: int) -> None:
    p.set(align="center", bold=True, custom_size=size > 1, width=size, height=size)
    p.text(text + "\n")
    p.set(align="left", normal_textsize=True, bold=False)


def _native_qr(p, block: Block) -> None:
    """GS ( k: about 100 bytes instead of a few KB; same module size as the image QR."""
    url = block.text or ""
    module = qr_module_dots(url, block.image.height)
    quiet = bytes([0x1B, ord("J"), QR_BORDER * module])
    p._raw(quiet)
    p.set(align="center")
    p.qr(url, ec=_escpos.module("escpos.constants").QR_ECLEVEL_M, size=min(module, 16), native=True)
    p._raw(quiet)


def _ink_runs(img: Image.Image, band: int) -> list[tuple[int, int]]:
    """Row ranges to send as images: runs of ink rows, or for column mode (band 24) whole
    bands laid from the first ink row on, so no band padding falls inside a text line."""
    ink = ImageChops.invert(img.convert("L"))
    has_ink = [ink.crop((0, y, img.width, y + 1)).getbbox() is not None for y in range(img.height)]
    runs: list[tuple[int, int]] = []
    y = 0
    while y < img.height:
        if not has_ink[y]:
            y += 1
        elif band > 1:
            runs.append((y, min(y + band, img.height)))
            y += band
        else:
            end = y
            while end < img.height and has_ink[end]:
                end += 1
            runs.append((y, end))
            y = end
    return runs


def _feed(p, dots: int) -> None:
    for left in range(dots, 0, -_MAX_FEED):
        p._raw(b"\x1bJ" + bytes([min(left, _MAX_FEED)]))


def _strip(p, img: Image.Image | None, config: PrinterConfig) -> None:
    """Send blank rows as paper feed and inked rows as centred, trimmed images."""
    if img is None:
        return
    width, y = img.width, 0
    band = BAND if config.image_mode == "bitImageColumn" else 1
    for start, end in _ink_runs(img, band):
        _feed(p, start - y)
        part = img.crop((0, start, width, end))
        box = ImageChops.invert(part.convert("L")).getbbox()
        if box is None:  # no ink after all: these rows go out as paper feed
            continue
        left, _, right, _ = box
        # a crop symmetric about the centre and 8-dot aligned lands exactly when centred
        margin = min(left, width - right) // 4 * 4
        p.set(align="center")
        p.image(
            part.crop((margin, 0, width - margin, part.height)),
            impl=config.image_mode,
            fragment_height=config.fragment_height,
        )
        y = end
    _feed(p, img.height - y)
