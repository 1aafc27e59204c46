"""ESC/POS bytes → what a real printer would put on paper (sans-I/O, pure).

`Decoder.feed()` takes bytes as they arrive and returns events: real-time status queries
(answered by whoever owns the socket) and finished jobs (a page image plus what text and
images made it up). `decode()` is the one-shot form for tests.

Assumptions, as on common 203 dpi printers: one motion unit = one dot; Font A is 12×24 dots,
Font B 9×17; a line advances by the line spacing or the tallest thing on it, if taller.
"""

from __future__ import annotations

from PIL import Image

from printer.escpos_commands import ESC_LIKE, LF, Incomplete, StatusQuery, dispatch
from printer.escpos_paper import DecodedJob, Paper, RasterInfo, TextRun, TextStyle

__all__ = ["Decoder", "DecodedJob", "RasterInfo", "StatusQuery", "TextRun", "decode"]


class Decoder:
    """Incremental decoder; one instance per connection."""

    def __init__(self, width: int = 576) -> None:
        self.width = width
        self.buffer = bytearray()
        self.style = TextStyle()
        self.paper = Paper(width)
        self.events: list[StatusQuery | DecodedJob] = []
        self.graphics: Image.Image | None = None
        self.unknown: list[int] = []
        self.qr: dict[str, object] = {}

    def feed(self, data: bytes) -> list[StatusQuery | DecodedJob]:
        self.buffer += data
        pos = 0
        while pos < len(self.buffer):
            try:
                pos += self._step(pos)
            except Incomplete:
                break
        del self.buffer[:pos]
        events, self.events = self.events, []
        return events

    def close(self) -> list[StatusQuery | DecodedJob]:
        """Connection closed: anything printed but not cut is still a job."""
        self.paper.print_line(self.style)
        if self.paper.has_content():
            self.events.append(self._finish(None))
        events, self.events = self.events, []
        return events

    def _finish(self, cut: str | None) -> DecodedJob:
        job = self.paper.job(cut)
        self.paper = Paper(self.width)
        return job

    def _need(self, pos: int, n: int) -> bytes:
        if pos + n > len(self.buffer):
            raise Incomplete
        return bytes(self.buffer[pos : pos + n])

    def _step(self, pos: int) -> int:
        b = self.buffer[pos]
        if b == LF:
            self.paper.feed(self.paper.print_line(self.style), self.style.line_spacing)
            return 1
        if b in ESC_LIKE:
            return dispatch(self, pos)
        if b >= 0x20:
            self.paper.add_char(chr(b) if b < 0x80 else bytes([b]).decode("cp437"), self.style)
        return 1


def decode(data: bytes, width: int = 576) -> tuple[list[DecodedJob], list[StatusQuery]]:
    """All jobs in `data` (closing the stream at the end) and the status queries seen."""
    decoder = Decoder(width)
    events = decoder.feed(data) + decoder.close()
    jobs = [e for e in events if isinstance(e, DecodedJob)]
    return jobs, [e for e in events if isinstance(e, StatusQuery)]
