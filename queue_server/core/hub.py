"""Fan-out of messages to connections, written straight to each socket.

A message is encoded and framed once (RFC 6455: a server's frames are not masked)
and the same bytes go to every connection that should have them, with one write
each and no task per connection: a broadcast to a thousand displays costs a
thousand `transport.write` calls and nothing more. Writing outside aiohttp's
`send_str` is safe because uncompressed frames are written whole and at once there
too, so frames never interleave.

A slow or dead client is one whose unsent bytes pile up past `SEND_BUFFER_LIMIT`
in our process: it is closed (1013); nobody waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web

from queue_protocol.messages import CLOSE_TOO_SLOW

log = logging.getLogger(__name__)

SEND_BUFFER_LIMIT = 1 << 20  # bytes not yet taken by the client's socket
CLOSE_TIMEOUT = 2.0


def text_frame(payload: bytes) -> bytes:
    """One final, unmasked text frame carrying `payload` (UTF-8 JSON)."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    role: str
    actor: str
    counter: int | None = None
    transport: asyncio.Transport | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)  # an officer's session token
    in_flight: int = 0  # requests queued for the writer, not yet answered

    def write(self, frame: bytes) -> bool:
        """Write framed bytes now; False when the client is too far behind to take more."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return True  # going away: its handler removes it
        if transport.get_write_buffer_size() > SEND_BUFFER_LIMIT:
            return False
        transport.write(frame)
        return True

    def send(self, payload: str | bytes) -> bool:
        """Send one message (encoded JSON); False when too far behind, as `write`."""
        return self.write(text_frame(payload.encode() if isinstance(payload, str) else payload))

    def backlog(self) -> int:
        return 0 if self.transport is None else self.transport.get_write_buffer_size()

    async def close(self, code: int, message: bytes) -> None:
        """Close politely, or cut the line if the client does not even take the close frame."""
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.ws.close(code=code, message=message)
        except (TimeoutError, ConnectionError, RuntimeError):
            if self.transport is not None:
                self.transport.abort()


class Hub:
    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self._by_role: defaultdict[str, set[Connection]] = defaultdict(set)
        self._closing: set[asyncio.Task] = set()
        # Told of each connection that leaves, so nothing keeps a closed one alive.
        self.departures: list[Callable[[Connection], None]] = []

    def add(self, conn: Connection) -> None:
        self.connections.add(conn)
        self._by_role[conn.role].add(conn)

    def remove(self, conn: Connection) -> None:
        self.connections.discard(conn)
        self._by_role[conn.role].discard(conn)
        for departed in self.departures:
            departed(conn)

    def counters(self) -> list[Connection]:
        return list(self._by_role.get("counter", ()))

    def reaches(self, roles: frozenset[str]) -> bool:
        """Whether anyone of these roles is connected (no need to encode otherwise)."""
        return any(self._by_role.get(role) for role in roles)

    def send(self, conn: Connection, payload: str | bytes) -> None:
        """One message to one connection, which is dropped if it is too far behind."""
        if not conn.send(payload):
            self.drop(conn)

    def broadcast(self, payload: str | bytes, roles: frozenset[str]) -> None:
        """One message to every connection of these roles."""
        self.broadcast_frames(
            text_frame(payload.encode() if isinstance(payload, str) else payload), roles
        )

    def broadcast_frames(self, frames: bytes, roles: Iterable[str]) -> None:
        """Framed bytes (one frame or several in a row) to every connection of these roles."""
        too_slow = [
            conn for role in roles for conn in self._by_role.get(role, ()) if not conn.write(frames)
        ]
        for conn in too_slow:
            self.drop(conn)

    def drop(self, conn: Connection) -> None:
        if conn not in self.connections:
            return
        log.warning("dropping %s %s: %d bytes behind", conn.role, conn.actor, conn.backlog())
        self.remove(conn)
        task = asyncio.create_task(conn.close(CLOSE_TOO_SLOW, b"too slow"))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
