"""Waiting for what must happen, never for a fixed time."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence

from printer.virtual import VirtualPrinter


async def until(
    predicate: Callable[[], object | Awaitable[object]], timeout: float = 15.0, what: str = ""
) -> None:
    """Wait until `predicate()` (a plain or an async function) is true; fail after `timeout`
    seconds saying `what`. Generous: a loaded 2-core machine may be slow."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        await asyncio.sleep(0.02)


async def printer_drained(vp: VirtualPrinter) -> None:
    """Until the virtual printer has read every connection to its end: whatever was sent
    to it by now is decoded, and printed or refused."""
    await until(lambda: not vp._conns, what="the printer to read all it was sent")


def until_up(
    check: Callable[[], bool],
    what: str,
    children: Sequence[subprocess.Popen] = (),
    timeout: float = 30.0,
) -> None:
    """The same for code that runs child processes without a loop: wait until `check()`
    is true, failing at once if one of `children` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while not check():
        for child in children:
            assert child.poll() is None, f"{child.args!r} exited {child.returncode} before {what}"
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def answers(url: str) -> bool:
    """Whether an HTTP GET of `url` succeeds now (a server's /healthz, say)."""
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False
