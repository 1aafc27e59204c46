"""Real-time status (DLE EOT n) as pure parsing: reply bytes in, `PrinterStatus` out.

No reply means *unknown*. python-escpos' `paper_status()` reports "paper OK" on an empty
reply, which would let a kiosk promise a ticket it cannot print; so we never use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 4)  # printer, offline cause, roll paper sensor

# Every DLE EOT reply has bits 1 and 4 set and bits 0 and 7 clear.
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12
_OFFLINE = 0x08  # n=1
_COVER_OPEN, _PAPER_STOP, _ERROR = 0x04, 0x20, 0x40  # n=2
_NEAR_END, _PAPER_END = 0x0C, 0x60  # n=4


class Paper(Enum):
    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said. `None` fields and `Paper.UNKNOWN` mean it did not say."""

    online: bool | None = None
    paper: Paper = Paper.UNKNOWN
    cover_open: bool | None = None
    error: bool | None = None
    detail: str = ""

    @property
    def known(self) -> bool:
        return self.online is not None and self.paper is not Paper.UNKNOWN

    @property
    def ready(self) -> bool:
        """True only when the printer positively said it can print."""
        return (
            self.online is True
            and self.cover_open is False
            and self.error is False
            and self.paper in (Paper.OK, Paper.NEAR_END)
        )


def valid_reply(byte: int | None) -> bool:
    return byte is not None and byte & _FIXED_MASK == _FIXED_BITS


def parse_status(replies: dict[int, int | None], detail: str = "") -> PrinterStatus:
    """Combine the replies to DLE EOT 1, 2 and 4 (missing or malformed → unknown)."""
    printer, cause, paper = (replies.get(n) for n in QUERIES)
    if not all(valid_reply(b) for b in (printer, cause, paper)):
        return PrinterStatus(detail=detail or "no valid answer to the status query")
    assert printer is not None and cause is not None and paper is not None
    if paper & _PAPER_END or cause & _PAPER_STOP:
        paper_state = Paper.OUT
    elif paper & _NEAR_END:
        paper_state = Paper.NEAR_END
    else:
        paper_state = Paper.OK
    return PrinterStatus(
        online=not printer & _OFFLINE,
        paper=paper_state,
        cover_open=bool(cause & _COVER_OPEN),
        error=bool(cause & _ERROR),
        detail=detail,
    )


def encode_replies(
    *, offline: bool, cover_open: bool, paper: Paper, error: bool = False
) -> dict[int, int]:
    """The bytes a printer in this state answers to DLE EOT 1..4 (used by the emulator)."""
    out = paper is Paper.OUT
    printer = _FIXED_BITS | (_OFFLINE if offline or cover_open or out else 0)
    cause = (
        _FIXED_BITS
        | (_COVER_OPEN if cover_open else 0)
        | (_PAPER_STOP if out else 0)
        | (_ERROR if error else 0)
    )
    sensor = (
        _FIXED_BITS
        | (_PAPER_END if out else 0)
        | (_NEAR_END if paper in (Paper.NEAR_END, Paper.OUT) else 0)
    )
    return {1: printer, 2: cause, 3: _FIXED_BITS | (0x40 if error else 0), 4: sensor}
