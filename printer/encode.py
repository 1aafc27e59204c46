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
        p.image(render_ticket(slip, layout, config.width), impl=config.image_mode,
                fragment_height=config.fragment_height)
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
    p.qr(url, ec=_escpos.module("escpos.constants").QR_ECLEVEL_M, size=min(module, 16),
         native=True)
    p._raw(quiet)


def _ink_runs(img: Image.Image, band: int) -> list[tuple[int, int]]:
    """Row ranges to send as images. For column mode (band 24) runs are joined across gaps
    shorter than a band and rounded up to whole bands, since each band is padded to 24
    dots: otherwise a dot below a letter would be pushed away from its line."""
    ink = ImageChops.invert(img.convert("L"))
    rows = [y for y in range(img.height) if ink.crop((0, y, img.width, y + 1)).getbbox()]
    runs: list[tuple[int, int]] = []
    for y in rows:
        if runs and y - runs[-1][1] < band:
            runs[-1] = (runs[-1][0], y + 1)
        else:
            runs.append((y, y + 1))
    return _whole_bands(runs, band, img.height)


def _whole_bands(runs: list[tuple[int, int]], band: int, height: int) -> list[tuple[int, int]]:
    """Grow runs to whole bands, downwards or, at the bottom, upwards; merge overlaps."""
    out: list[tuple[int, int]] = []
    for start, end in runs:
        while True:
            if out and start < out[-1][1]:
                prev_start, prev_end = out.pop()
                start, end = prev_start, max(end, prev_end)
            length = -(-(end - start) // band) * band
            start = max(0, min(start, height - length))
            if not (out and start < out[-1][1]):
                break
        out.append((start, start + length))
    return out


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
        left, _, right, _ = ImageChops.invert(part.convert("L")).getbbox()
        # a crop symmetric about the centre and 8-dot aligned lands exactly when centred
        margin = min(left, width - right) // 4 * 4
        p.set(align="center")
        p.image(part.crop((margin, 0, width - margin, part.height)), impl=config.image_mode,
                fragment_height=config.fragment_height)
        y = end
    _feed(p, img.height - y)
