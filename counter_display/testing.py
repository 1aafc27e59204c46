"""Helpers for the tests of these apps: a scenario on the qasync loop, waiting for a
condition without sleeping as an assertion, and a network link that can be cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtWidgets import QApplication

from counter_display.ui import load_fonts
from qtcommon.garbage import GuiThreadGarbage

T = TypeVar("T")


def run_scenario(scenario: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    """Run `scenario` on a fresh qasync loop (Qt timers and painting keep working).

    The widgets it made are freed here, in the GUI thread, also when it fails (the
    failure's frames are cleared), so no later test collects them from another thread.
    """
    app = QApplication.instance()
    assert isinstance(app, QApplication), "create the QApplication first (the qtbot fixture)"
    load_fonts()
    garbage = GuiThreadGarbage()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(asyncio.wait_for(scenario, timeout))
    except BaseException as exc:
        traceback.clear_frames(exc.__traceback__)
        raise
    finally:
        loop.close()
        asyncio.set_event_loop(None)
        garbage.close()


async def until(condition: Callable[[], Any], timeout: float = 10, what: str = "") -> None:
    """Wait until `condition()` is true; fail after `timeout` seconds saying `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await asyncio.sleep(0.02)


class CuttableLink:
    """A TCP relay to `target_port`: `cut()` drops every connection and refuses new ones
    until `restore()` — a network blip between an app and the server."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.up = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        self.up = False
        for writer in list(self._writers):
            writer.transport.abort()

    def restore(self) -> None:
        self.up = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(sink)
            with contextlib.suppress(Exception):
                sink.transport.abort()
