"""Quiet logs under a flood: the first of identical lines, then a count now and then.

A full disk fails every batch, every login's audit line and every projection of the
tickets table; a log written line by line (and traceback by traceback) would fill the
same disk. `summarised(logger)` lets through the first record of each kind — same
logger, level, message template and exception type — and then one record of that kind
per `SUMMARY_SECONDS`, saying how many were held back since; the traceback only with
the first. Only warnings and errors are summarised. The HTTP parser's complaints about
a malformed request (the client's fault) become one WARNING line without a traceback
(`quiet_http_errors`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from aiohttp.http_exceptions import HttpProcessingError

SUMMARY_SECONDS = 60.0
_KINDS_KEPT = 1000  # kinds remembered at once; past it, the oldest is forgotten


class RepeatFilter(logging.Filter):
    """Holds back records like one let through less than `every` seconds ago."""

    def __init__(self, every: float = SUMMARY_SECONDS, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.every, self.clock = every, clock
        self._kinds: dict[tuple, list] = {}  # kind → [last let through at, held back since]
        self._lock = threading.Lock()  # the store's writer thread logs too

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:  # what happens, not what goes wrong: all of it
            return True
        exc = record.exc_info[1] if record.exc_info else None
        kind = (record.name, record.levelno, str(record.msg), type(exc).__name__)
        now = self.clock()
        with self._lock:
            seen = self._kinds.get(kind)
            if seen is not None and now - seen[0] < self.every:
                seen[1] += 1
                return False
            held = seen[1] if seen is not None else 0
            self._kinds.pop(kind, None)
            self._kinds[kind] = [now, 0]
            if len(self._kinds) > _KINDS_KEPT:
                del self._kinds[next(iter(self._kinds))]
        if seen is not None:  # a repeat: its count, and no second copy of the traceback
            record.exc_info, record.exc_text = None, None
            if held:
                since = now - seen[0]
                record.msg = f"{record.msg} [{held} more like this in the last {since:.0f} s]"
        return True


class _ClientFault(logging.Filter):
    """A request the HTTP parser refused (duplicate Host header, bad method…) is the
    client's fault: one WARNING line naming what was wrong, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError) and record.levelno > logging.WARNING:
            reason = " ".join(str(exc.message).split())[:200]
            record.msg = f"{record.msg}: bad request ({exc.code}): {reason}"
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


def summarised(logger: logging.Logger) -> logging.Logger:
    """`logger`, with repeats summarised (once, however often it is called)."""
    if not any(isinstance(f, RepeatFilter) for f in logger.filters):
        logger.addFilter(RepeatFilter())
    return logger


def quiet_http_errors() -> None:
    """aiohttp's server logger: client faults as warnings, repeats summarised."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _ClientFault) for f in logger.filters):
        logger.addFilter(_ClientFault())  # first: its rewritten record is what repeats
    summarised(logger)
