"""The alert evaluator: brings the open alerts in line with the floor, through the writer.

Every `EVALUATE_SECONDS`, and at once when poked (a device reported), it asks the
rules (`domain/alert_rules.py`) which alerts to raise or clear and submits those
commands; the writer makes them events in the log, so every board, the report and
a restart see the same alerts. One evaluation at a time, in one task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from queue_protocol.errors import QueueError
from queue_server.core.devices import DeviceBook
from queue_server.core.engine import Engine
from queue_server.domain.alert_rules import Debouncer, alert_commands

log = logging.getLogger(__name__)

EVALUATE_SECONDS = 2.0


class AlertWatch:
    def __init__(
        self,
        engine: Engine,
        devices: DeviceBook,
        clock: Callable[[], float],
        *,
        every: float = EVALUATE_SECONDS,
    ) -> None:
        self.engine = engine
        self.devices = devices
        self.clock = clock
        self.every = every
        self.debouncer = Debouncer(engine.config.alerts.clear_after_seconds)
        self._poked = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alert-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def poke(self) -> None:
        """Evaluate as soon as possible (something relevant was reported)."""
        self._poked.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.every):  # no task per round (wait_for makes one)
                    await self._poked.wait()
            self._poked.clear()
            try:
                await self.evaluate()
            except Exception:  # the watch must outlive a bug in one evaluation
                log.exception("alert evaluation failed")

    async def evaluate(self) -> None:
        state = self.engine.state
        for command in alert_commands(state, self.devices.health(), self.clock(), self.debouncer):
            try:
                await self.engine.submit(command)
            except QueueError as err:  # the writer is reloading: the next round retries
                log.info("alert command %s refused: %s", type(command).__name__, err.code)
