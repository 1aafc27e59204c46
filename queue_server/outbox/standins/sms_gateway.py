"""A brand-name SMS HTTP gateway, as the Vietnamese aggregators run them.

The shape is the common one (modelled, no vendor's exact API): `POST /api/send`
with JSON or a form, or `GET /api/send?…`, fields

    ApiKey, Phone (84… or 0…), Content, IsUnicode ("1"/"0"), Brandname, RequestId

answering HTTP 200 `{"CodeResult": "100", "SMSID": "<id>", "SegmentCount": n}` on
success, `{"CodeResult": "<code>", "ErrorMessage": "…"}` otherwise: 401 for a wrong
ApiKey, 400 for a number that is not a Vietnamese mobile ("118") or accented text sent
as IsUnicode=0 ("119"). `RequestId` or the `Idempotency-Key` header deduplicates: a
request seen before gets its first answer and sends nothing.

Faults on demand: `fail_times` requests answered `fail_status` (500), `hang_times`
requests held for `hang_seconds` (a timeout), `answer_code` a non-100 CodeResult.
`delivered` holds each message sent once, `requests` counts every call.
`post_inbound` plays the gateway calling the server's webhook with a citizen's text.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from queue_server.outbox import sms

_PHONE = re.compile(r"(84|0)[35789]\d{8}")


@dataclass
class Delivered:
    sms_id: str
    phone: str
    text: str
    unicode: bool
    segments: int
    key: str | None


@dataclass
class SmsGateway:
    api_key: str = "test-api-key"
    fail_times: int = 0
    fail_status: int = 500
    hang_times: int = 0
    hang_seconds: float = 30.0
    answer_code: str = "100"
    delivered: list[Delivered] = field(default_factory=list)
    on_delivered: Callable[[Delivered], None] | None = None  # the demo prints each
    requests: int = 0
    url: str = ""
    _answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/send", self._send)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound}/api/send"
        return self.url

    async def close(self) -> None:
        self._closing.set()  # let held requests go, so the server stops at once
        if self._runner is not None:
            await self._runner.cleanup()

    async def _send(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.hang_times > 0:
            self.hang_times -= 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.hang_seconds)
        if self.fail_times > 0:
            self.fail_times -= 1
            return web.Response(status=self.fail_status, text="Service Unavailable")
        fields = await _fields(request)
        if fields.get("ApiKey") != self.api_key:
            return _answer(401, "101", "Authorize failed")
        key = request.headers.get("Idempotency-Key") or fields.get("RequestId") or None
        if key is not None and key in self._answers:
            return web.json_response(self._answers[key])
        phone, text = str(fields.get("Phone", "")), str(fields.get("Content", ""))
        unicode = str(fields.get("IsUnicode", "0")) == "1"
        if not _PHONE.fullmatch(phone):
            return _answer(400, "118", "Phone number is invalid")
        if not text or (not unicode and not sms.is_gsm7(text)):
            return _answer(400, "119", "Content is empty or accented without IsUnicode")
        if self.answer_code != "100":
            return _answer(200, self.answer_code, "Refused by the operator")
        count, _ = sms.segments(text if unicode else sms.unaccent(text))
        sms_id = f"gw-{len(self.delivered) + 1}"
        message = Delivered(sms_id, phone, text, unicode, count, key)
        self.delivered.append(message)
        if self.on_delivered is not None:
            self.on_delivered(message)
        answer = {"CodeResult": "100", "SMSID": sms_id, "SegmentCount": count}
        if key is not None:
            self._answers[key] = answer
        return web.json_response(answer)


async def _fields(request: web.Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return dict(await request.post())


def _answer(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"CodeResult": code, "ErrorMessage": message}, status=status)


async def post_inbound(
    url: str, secret: str, sender: str, text: str, header: str = "X-Webhook-Secret"
) -> tuple[int, Any]:
    """The gateway forwarding a citizen's text to `url`; (HTTP status, JSON answer)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={"from": sender, "text": text}, headers={header: secret}) as r,
    ):
        return r.status, await r.json(content_type=None)


async def _serve(port: int, fail_times: int) -> None:
    def show(message: Delivered) -> None:
        print(json.dumps(message.__dict__, ensure_ascii=False), flush=True)

    gateway = SmsGateway(fail_times=fail_times, on_delivered=show)
    print(json.dumps({"url": await gateway.start(port=port), "api_key": gateway.api_key}))
    await asyncio.Event().wait()  # serve until interrupted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--fail-times", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.fail_times))


if __name__ == "__main__":
    main()
