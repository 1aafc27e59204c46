"""The one way an HTTP handler answers a refusal: `error_response(QueueError(...))`.

The status comes from the error table (`queue_protocol.errors.ERRORS`), so a code gets
the same status on every path; the body is `{"error": {"code", "message",
"message_en"[, "detail"]}}`, as on the websocket.
"""

from __future__ import annotations

from aiohttp import web

from queue_protocol.errors import QueueError
from queue_protocol.messages import encode


def error_response(err: QueueError) -> web.Response:
    """`err` as a JSON answer with its status; never cached (a refusal may not last)."""
    return web.json_response(
        {"error": err.to_dict()},
        status=err.http_status,
        dumps=encode,
        headers={"Cache-Control": "no-store"},
    )
