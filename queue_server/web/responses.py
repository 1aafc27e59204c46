"""The one way an HTTP handler answers a refusal: `error_response(QueueError(...))`.

The status comes from the error table (`queue_protocol.errors.ERRORS`), so a code gets
the same status on every path; the body is `{"error": {"code", "message",
"message_en"[, "detail"]}}`, as on the websocket.
"""

from __future__ import annotations

from typing import Any

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


def json_answer(data: Any, status: int = 200) -> web.Response:
    """A JSON answer for a citizen's page or a form; never cached (it is the state now)."""
    return web.json_response(
        data, status=status, dumps=encode, headers={"Cache-Control": "no-store"}
    )


async def json_body(request: web.Request) -> dict[str, Any]:
    """The JSON object a request carries, or `bad_request`."""
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise QueueError("bad_request", "send a JSON object") from None
    if not isinstance(body, dict):
        raise QueueError("bad_request", "send a JSON object")
    return body
