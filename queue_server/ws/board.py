"""Pushes the supervisor's board (`core/board.py`) to every connected board.

Any batch of the writer, any device report, marks the board dirty; at most every
`BOARD_SECONDS` one snapshot is built and the same bytes go to every board. Even
when nothing happened it goes out every `BOARD_REFRESH_SECONDS`, because waits grow
and devices fall silent with time alone. A board that lost its connection gets a
whole snapshot in its welcome: nothing can be missed. Under a peak of issuing the
cost is one snapshot per `BOARD_SECONDS`, whatever the number of tickets.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from queue_protocol.codec import dumps
from queue_server.core.board import board_view
from queue_server.core.context import ServerContext
from queue_server.domain import events as e
from queue_server.domain.state import QueueState

BOARD_SECONDS = 0.5
BOARD_REFRESH_SECONDS = 5.0
BOARDS = frozenset({"supervisor"})


class BoardFeed:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.dirty = False
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self.ctx.engine.subscribe(self._changed)
        self._task = asyncio.create_task(self._run(), name="board-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _changed(self, _events: list[e.Event], _state: QueueState) -> Callable[[], None] | None:
        self.dirty = True  # the snapshot is built later, from the durable state
        return None

    def snapshot(self) -> bytes:
        ctx = self.ctx
        return dumps(board_view(ctx.state, ctx.device_book.health(), ctx.clock()))

    async def _run(self) -> None:
        idle = 0.0
        while True:
            await asyncio.sleep(BOARD_SECONDS)
            idle += BOARD_SECONDS
            if not self.ctx.hub.reaches(BOARDS):
                continue
            if self.dirty or idle >= BOARD_REFRESH_SECONDS:
                self.dirty, idle = False, 0.0
                self.ctx.hub.broadcast(self.snapshot(), BOARDS)
