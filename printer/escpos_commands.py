"""ESC/POS command table for the decoder: each handler consumes one command.

A handler gets the decoder and the command's offset and returns how many bytes it used;
`Incomplete` (via `dec._need`) means the rest has not arrived yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import qrcode
from PIL import Image

from printer.escpos_paper import DecodedJob, Paper, TextStyle


class Decoder(Protocol):
    """What a command handler reads and changes: the decoder's state (`escpos_decode`)."""

    buffer: bytearray
    style: TextStyle
    paper: Paper
    events: list[Any]
    graphics: Image.Image | None
    unknown: list[int]
    qr: dict[str, object]

    def _need(self, pos: int, n: int) -> bytes: ...

    def _finish(self, cut: str | None) -> DecodedJob: ...


ESC, GS, DLE, FS, LF = 0x1B, 0x1D, 0x10, 0x1C, 0x0A
ESC_LIKE = (ESC, GS, DLE, FS)
ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}
# commands that only take parameter bytes we do not act on: prefix → total length
SKIP = {
    b"\x1b\x20": 3,
    b"\x1b\x25": 3,
    b"\x1b\x3d": 3,
    b"\x1b\x47": 3,
    b"\x1b\x52": 3,
    b"\x1b\x54": 3,
    b"\x1b\x55": 3,
    b"\x1b\x56": 3,
    b"\x1b\x72": 3,
    b"\x1b\x74": 3,
    b"\x1b\x7b": 3,
    b"\x1b\x24": 4,
    b"\x1b\x5c": 4,
    b"\x1b\x63": 4,
    b"\x1b\x70": 5,
    b"\x1b\x69": 2,
    b"\x1b\x6d": 2,
    b"\x1d\x42": 3,
    b"\x1d\x62": 3,
    b"\x1d\x48": 3,
    b"\x1d\x66": 3,
    b"\x1d\x68": 3,
    b"\x1d\x77": 3,
    b"\x1d\x61": 3,
    b"\x1d\x49": 3,
    b"\x1d\x4c": 4,
    b"\x1d\x57": 4,
    b"\x1d\x50": 4,
    b"\x1d\x24": 4,
    b"\x1d\x5c": 4,
    b"\x1c\x2e": 2,
    b"\x1c\x26": 2,
    b"\x1c\x43": 3,
    b"\x1c\x70": 4,
    b"\x10\x05": 3,
    b"\x10\x14": 5,
}


class Incomplete(Exception):
    """The command is not all here yet; wait for more bytes."""


@dataclass(frozen=True)
class StatusQuery:
    """A real-time query: `kind` is "DLE EOT" or "GS r"."""

    kind: str
    n: int


def _u16(lo: int, hi: int) -> int:
    return lo | hi << 8


def bits_to_image(data: bytes, width_bytes: int, height: int, width: int) -> Image.Image:
    """Raster bits (1 = dot) → mode "1" image (0 = black)."""
    inverted = bytes(b ^ 0xFF for b in data)
    img = Image.frombytes("1", (width_bytes * 8, height), inverted)
    return img.crop((0, 0, width, height))


def init(dec: Decoder, pos: int) -> int:
    dec.paper.print_line(dec.style)
    dec.style = type(dec.style)()
    return 2


def select_mode(dec: Decoder, pos: int) -> int:  # ESC ! n
    n = dec._need(pos, 3)[2]
    dec.style = dec.style.but(
        font="B" if n & 1 else "A",
        bold=bool(n & 8),
        height_mult=2 if n & 16 else 1,
        width_mult=2 if n & 32 else 1,
        underline=bool(n & 128),
    )
    return 3


def char_size(dec: Decoder, pos: int) -> int:  # GS ! n
    n = dec._need(pos, 3)[2]
    dec.style = dec.style.but(width_mult=(n >> 4 & 7) + 1, height_mult=(n & 7) + 1)
    return 3


def style_flag(name: str) -> Callable[[Decoder, int], int]:
    def handler(dec: Decoder, pos: int) -> int:
        n = dec._need(pos, 3)[2]
        value = {
            "bold": bool(n & 1),
            "underline": bool(n & 3),
            "font": "B" if n in (1, 49) else "A",
            "align": ALIGN.get(n, "left"),
        }[name]
        dec.style = dec.style.but(**{name: value})
        return 3

    return handler


def line_spacing(dec: Decoder, pos: int) -> int:
    if dec._need(pos, 2)[1] == ord("2"):
        dec.style = dec.style.but(line_spacing=30)
        return 2
    dec.style = dec.style.but(line_spacing=dec._need(pos, 3)[2])
    return 3


def feed_lines(dec: Decoder, pos: int) -> int:  # ESC d n
    n = dec._need(pos, 3)[2]
    dec.paper.feed(dec.paper.print_line(dec.style), dec.style.line_spacing * n)
    return 3


def feed_dots(dec: Decoder, pos: int) -> int:  # ESC J n
    n = dec._need(pos, 3)[2]
    dec.paper.print_line(dec.style)
    dec.paper.feed(0, n)
    return 3


def cut(dec: Decoder, pos: int) -> int:  # GS V m [n]
    m = dec._need(pos, 3)[2]
    size = 4 if m in (65, 66, 97, 98, 103, 104) else 3
    extra = dec._need(pos, size)[3] if size == 4 else 0
    dec.paper.feed(dec.paper.print_line(dec.style), extra)
    dec.events.append(dec._finish("partial" if m in (1, 49, 66, 98, 104) else "full"))
    return size


def status_query(kind: str) -> Callable[[Decoder, int], int]:
    def handler(dec: Decoder, pos: int) -> int:
        dec.events.append(StatusQuery(kind, dec._need(pos, 3)[2]))
        return 3

    return handler


def raster(dec: Decoder, pos: int) -> int:  # GS v 0 m xL xH yL yH d…
    head = dec._need(pos, 8)
    m, width_bytes, height = head[3], _u16(head[4], head[5]), _u16(head[6], head[7])
    data = dec._need(pos + 8, width_bytes * height)
    img = bits_to_image(data, width_bytes, height, width_bytes * 8)
    if m & 1 or m & 2:
        img = img.resize((img.width * (2 if m & 1 else 1), height * (2 if m & 2 else 1)))
    dec.paper.raster(img, "GS v 0", dec.style)
    return 8 + width_bytes * height


def column(dec: Decoder, pos: int) -> int:  # ESC * m nL nH d…
    head = dec._need(pos, 5)
    m, n = head[2], _u16(head[3], head[4])
    rows = 3 if m in (32, 33) else 1
    data = dec._need(pos + 5, n * rows)
    # column bytes: top bit first; transpose into rows
    band = Image.frombytes("1", (rows * 8, n), bytes(b ^ 0xFF for b in data))
    band = band.transpose(Image.Transpose.TRANSPOSE)
    if rows == 1:
        # 8-dot modes: each dot 3 dots tall
        band = band.resize((n, 24), Image.Resampling.NEAREST)
    if m in (0, 32):
        band = band.resize((n * 2, band.height), Image.Resampling.NEAREST)
    dec.paper.add_band(band, dec.style)
    return 5 + n * rows


def graphics(dec: Decoder, pos: int) -> int:  # GS ( L / GS 8 L pL pH [p3 p4] m fn …
    big = dec._need(pos, 2)[1] == ord("8")
    head = dec._need(pos, 7 if big else 5)
    size = int.from_bytes(head[3:7] if big else head[3:5], "little")
    start = pos + (7 if big else 5)
    body = dec._need(start, size)
    fn = body[1]
    if fn in (112, 113) and len(body) >= 10:
        _store_graphics(dec, body)
    elif fn in (2, 50) and dec.graphics is not None:
        dec.paper.raster(dec.graphics, "GS ( L", dec.style)
    return start - pos + size


def _store_graphics(dec: Decoder, body: bytes) -> None:
    bx, by, color = body[3], body[4], body[5]
    width, height = _u16(body[6], body[7]), _u16(body[8], body[9])
    width_bytes = (width + 7) // 8
    data = body[10 : 10 + width_bytes * height]
    if color not in (49, 1) or len(data) < width_bytes * height:
        return  # only the first colour is printed on a one-colour printer
    img = bits_to_image(data, width_bytes, height, width)
    dec.graphics = (
        img.resize((width * bx, height * by), Image.Resampling.NEAREST) if bx * by > 1 else img
    )


_QR_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}


def code_2d(dec: Decoder, pos: int) -> int:  # GS ( k pL pH cn fn …: QR code (cn = 49)
    head = dec._need(pos, 7)
    size = _u16(head[3], head[4])
    body = dec._need(pos + 5, size)
    if body[0] == 49:
        fn = body[1]
        if fn == 67:
            dec.qr["module"] = body[2]
        elif fn == 69:
            dec.qr["ec"] = _QR_EC.get(body[2], "L")
        elif fn == 80:
            dec.qr["data"] = body[3:]
        elif fn == 81 and dec.qr.get("data"):
            dec.paper.raster(qr_image(dec.qr), "GS ( k", dec.style)
    return 5 + size


def qr_image(qr: dict) -> Image.Image:
    """The QR code the printer would print from its stored data (no quiet zone)."""
    ec = getattr(qrcode.constants, f"ERROR_CORRECT_{qr.get('ec', 'L')}")
    code = qrcode.QRCode(error_correction=ec, box_size=qr.get("module", 3), border=0)
    code.add_data(bytes(qr["data"]))
    code.make(fit=True)
    modules = code.get_matrix()
    box = qr.get("module", 3)
    img = Image.new("1", (len(modules), len(modules)), 1)
    img.putdata([0 if dark else 1 for row in modules for dark in row])
    return img.resize((img.width * box, img.height * box), Image.Resampling.NEAREST)


def sized_block(dec: Decoder, pos: int) -> int:  # GS ( X pL pH …: skipped by its length
    head = dec._need(pos, 5)
    return 5 + _u16(head[3], head[4])


def barcode(dec: Decoder, pos: int) -> int:  # GS k m …
    m = dec._need(pos, 3)[2]
    if m <= 6:
        end = dec.buffer.find(0, pos + 3)
        if end < 0:
            raise Incomplete
        return end - pos + 1
    return 4 + dec._need(pos, 4)[3]


HANDLERS: dict[bytes, Callable[[Decoder, int], int]] = {
    b"\x1b@": init,
    b"\x1b!": select_mode,
    b"\x1bE": style_flag("bold"),
    b"\x1b-": style_flag("underline"),
    b"\x1bM": style_flag("font"),
    b"\x1ba": style_flag("align"),
    b"\x1b2": line_spacing,
    b"\x1b3": line_spacing,
    b"\x1bd": feed_lines,
    b"\x1bJ": feed_dots,
    b"\x1b*": column,
    b"\x1d!": char_size,
    b"\x1dV": cut,
    b"\x1dv": raster,
    b"\x1d(": sized_block,
    b"\x1d8": graphics,
    b"\x1dk": barcode,
    b"\x1dr": status_query("GS r"),
    b"\x10\x04": status_query("DLE EOT"),
}


def dispatch(dec: Decoder, pos: int) -> int:
    """Run the handler for the command at `pos`; unknown bytes are skipped one by one."""
    prefix = dec._need(pos, 2)
    if prefix == b"\x1d(" and dec._need(pos, 3)[2] in (ord("L"), ord("k")):
        return (graphics if dec.buffer[pos + 2] == ord("L") else code_2d)(dec, pos)
    if prefix == b"\x1dv" and dec._need(pos, 3)[2] != ord("0"):
        return 1
    handler = HANDLERS.get(prefix)
    if handler:
        return handler(dec, pos)
    if prefix in SKIP:
        dec._need(pos, SKIP[prefix])
        return SKIP[prefix]
    dec.unknown.append(pos)
    return 1
