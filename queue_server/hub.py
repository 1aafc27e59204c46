"""Fan-out of messages to connections: each has a bounded queue and its own sender.

A slow or dead client fills its own queue and is then closed; nobody waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from aiohttp import web

log = logging.getLogger(__name__)

SEND_QUEUE_LIMIT = 1000
CLOSE_TOO_SLOW = 1013  # "try again later"
CLOSE_TIMEOUT = 2.0


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    role: str
    actor: str
    counter: int | None = None
    transport: asyncio.Transport | None = field(default=None, repr=False)
    queue: asyncio.Queue[str | None] = field(
        default_factory=lambda: asyncio.Queue(SEND_QUEUE_LIMIT))
    sender: asyncio.Task | None = None
    _sending: bool = False  # a frame is being written (by the sender or a direct reply)

    def send(self, text: str) -> bool:
        """Queue a frame; False (and the connection is closing) when it is too far behind."""
        try:
            self.queue.put_nowait(text)
            return True
        except asyncio.QueueFull:
            return False

    async def reply(self, text: str) -> None:
        """Send an answer: straight away when nothing waits before it, else in order."""
        if self.queue.empty() and not self._sending:
            self._sending = True
            try:
                await self.ws.send_str(text)
            finally:
                self._sending = False
        elif not self.send(text):
            raise ConnectionError("too far behind")

    async def _send_loop(self) -> None:
        while (text := await self.queue.get()) is not None:
            self._sending = True
            try:
                await self.ws.send_str(text)
            finally:
                self._sending = False

    def start(self) -> None:
        self.sender = asyncio.create_task(self._send_loop(), name=f"send-{self.actor}")

    async def close(self, code: int, message: bytes) -> None:
        """Close politely, or cut the line if the client does not even take the close frame."""
        try:
            await asyncio.wait_for(self.ws.close(code=code, message=message), CLOSE_TIMEOUT)
        except (TimeoutError, ConnectionError, RuntimeError):
            if self.transport is not None:
                self.transport.abort()

    async def stop(self) -> None:
        if self.sender is not None:
            self.sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, RuntimeError):
                await self.sender


class Hub:
    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self._by_role: defaultdict[str, set[Connection]] = defaultdict(set)
        self._closing: set[asyncio.Task] = set()

    def add(self, conn: Connection) -> None:
        self.connections.add(conn)
        self._by_role[conn.role].add(conn)

    def remove(self, conn: Connection) -> None:
        self.connections.discard(conn)
        self._by_role[conn.role].discard(conn)

    def counters(self) -> list[Connection]:
        return list(self._by_role.get("counter", ()))

    def reaches(self, roles: frozenset[str]) -> bool:
        """Whether anyone of these roles is connected (no need to encode otherwise)."""
        return any(self._by_role.get(role) for role in roles)

    def broadcast(self, text: str, roles: frozenset[str]) -> None:
        too_slow = [conn for role in roles for conn in self._by_role.get(role, ())
                    if not conn.send(text)]
        for conn in too_slow:
            self.drop(conn)

    def drop(self, conn: Connection) -> None:
        log.warning("dropping %s %s: %d frames behind", conn.role, conn.actor,
                    conn.queue.qsize())
        self.remove(conn)
        task = asyncio.create_task(conn.close(CLOSE_TOO_SLOW, b"too slow"))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
