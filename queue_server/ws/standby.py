"""`/ws` on a standby instance (issue 19): the hello is answered with the protocol's
`unavailable` error and the connection closed (1013, try again later), so that a client
given several addresses moves on to the next one at once (`QueueClient`)."""

from __future__ import annotations

import contextlib

from aiohttp import web

from queue_protocol.errors import QueueError
from queue_protocol.messages import CLOSE_STANDBY, encode

# Not a hello's full wait: a client that says nothing is told all the same.
HELLO_WAIT = 2.0


async def refuse(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=None, compress=False)
    await ws.prepare(request)
    with contextlib.suppress(TimeoutError):
        await ws.receive(timeout=HELLO_WAIT)  # the hello: read, not needed
    refusal = QueueError("unavailable", "this instance stands by; try the other address")
    with contextlib.suppress(ConnectionError):
        await ws.send_str(encode({"type": "error", "error": refusal.to_dict()}))
    await ws.close(code=CLOSE_STANDBY, message=b"standby")
    return ws
