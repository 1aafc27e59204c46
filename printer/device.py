"""`TicketPrinter`: the async facade the kiosk uses.

All printer I/O runs on one dedicated worker thread with socket/device timeouts, and the
event loop additionally bounds every call, so a hung printer cannot freeze a screen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from printer.config import PrinterConfig
from printer.encode import encode_ticket
from printer.errors import (
    CoverOpen,
    PaperOut,
    PrinterOffline,
    PrintError,
    PrinterTimeout,
    StatusUnknown,
)
from printer.link import Link, open_link
from printer.status import DLE_EOT, QUERIES, Paper, PrinterStatus, parse_status
from printer.ticket import SlipLayout, TicketSlip

__all__ = [
    "TicketPrinter",
    "PrintError",
    "PaperOut",
    "CoverOpen",
    "PrinterOffline",
    "PrinterTimeout",
    "StatusUnknown",
    "PrinterStatus",
    "Paper",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


def query_status(link: Link, timeout: float) -> PrinterStatus:
    """Ask DLE EOT 1, 2, 4; stop at the first silence (it will not get chattier)."""
    replies: dict[int, int | None] = {}
    link.discard_pending()
    for n in QUERIES:
        link.write(DLE_EOT + bytes([n]))
        replies[n] = link.read_byte(timeout)
        if replies[n] is None:
            return PrinterStatus(detail=f"no answer to DLE EOT {n} within {timeout:g} s")
    return parse_status(replies)


def refuse_unless_ready(status: PrinterStatus, require_answer: bool) -> None:
    """Raise the specific `PrintError` for a status we must not print on."""
    if status.paper is Paper.OUT:
        raise PaperOut("printer is out of paper", status)
    if status.cover_open:
        raise CoverOpen("printer cover is open", status)
    if status.online is False or status.error:
        raise PrinterOffline(f"printer is offline {status.detail}".strip(), status)
    if not status.known and require_answer:
        raise StatusUnknown(f"printer status unknown: {status.detail}", status)


class TicketPrinter:
    """One configured printer. Calls are serialised; each is bounded in time."""

    def __init__(self, config: PrinterConfig) -> None:
        self.config = config
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="printer-io")
        self._lock = asyncio.Lock()
        self._running: Future | None = None

    async def status(self) -> PrinterStatus:
        """Current status; unreachable → offline, silence → unknown. Never raises for state."""
        try:
            return await self._call(self.status_sync)
        except PrinterTimeout as exc:
            return PrinterStatus(detail=str(exc))

    async def print_ticket(self, slip: TicketSlip, layout: SlipLayout) -> None:
        """Print one ticket or raise a `PrintError` subclass saying why not."""
        data = await asyncio.to_thread(encode_ticket, slip, layout, self.config)
        await self._call(lambda: self.send_sync(data), self.config.transfer_seconds(len(data)))

    async def print_job(self, data: bytes) -> None:
        """Print an already encoded job (a counter slip) or raise a `PrintError` subclass."""
        await self._call(lambda: self.send_sync(data), self.config.transfer_seconds(len(data)))

    def status_sync(self) -> PrinterStatus:
        try:
            link = open_link(self.config)
        except PrinterOffline as exc:
            return PrinterStatus(online=False, detail=str(exc))
        try:
            return query_status(link, self.config.status_timeout)
        finally:
            link.close()

    def send_sync(self, data: bytes) -> None:
        """Check status, then send an encoded job (blocking; for the worker thread)."""
        link = open_link(self.config)
        try:
            status = query_status(link, self.config.status_timeout)
            refuse_unless_ready(status, self.config.status_required)
            link.write(data)
        finally:
            link.close()
        log.info("printed %d bytes (%s)", len(data), status.detail or status.paper.value)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _deadline(self, transfer: float) -> float:
        c = self.config
        return 2 * c.timeout + len(QUERIES) * c.status_timeout + 1.5 * transfer + 1.0

    async def _call(self, fn: Callable[[], T], transfer: float = 0.0) -> T:
        async with self._lock:
            if self._running is not None and not self._running.done():
                raise PrinterTimeout("printer is still stuck in an earlier job")
            self._running = self._executor.submit(fn)
            deadline = self._deadline(transfer)
            try:
                # Not `wait_for`: on Python 3.11 it swallows a cancel that meets the answer.
                async with asyncio.timeout(deadline):
                    return await asyncio.wrap_future(self._running)
            except TimeoutError:
                raise PrinterTimeout(f"printer did not finish within {deadline:g} s") from None
