"""The Zalo ZNS API over HTTPS, as `channels/zalo.py` documents its shapes.

- `POST /message/template` with the `access_token` header: a current token sends
  (`{"error": 0, "data": {"msg_id": …}}`); an expired or unknown one answers
  `{"error": -124, "message": "Access token is invalid"}` (HTTP 200, as Zalo does);
  a phone that is not 84 + 9 digits -108; an unknown template -1124 (modelled codes).
- `POST /v4/oa/access_token` (form, `secret_key` header): the current refresh token
  buys a new pair and is spent; anything else answers error -14014.
- `expire_access()` makes the current access token stale, as after its 25 hours.
- `fail_times` sends answered HTTP 500 first; `hang_times` sends never answered.

The certificate is issued at start by a private CA (trustme, of the `dev` extra);
`ca_file` is what a client trusts. `sent` holds what went out; `refreshes` counts token refreshes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiohttp import web

_PHONE = re.compile(r"84[35789]\d{8}")


@dataclass
class ZnsSent:
    msg_id: str
    phone: str
    template_id: str
    template_data: dict[str, Any]
    tracking_id: str | None


@dataclass
class ZaloZns:
    app_id: str = "1234567890"
    secret_key: str = "zalo-app-secret"
    templates: set[str] = field(default_factory=lambda: {"301001", "301002", "301003"})
    access_token: str = "access-1"
    refresh_token: str = "refresh-1"
    fail_times: int = 0
    hang_times: int = 0  # sends held until the client gives up (or the stand-in closes)
    sent: list[ZnsSent] = field(default_factory=list)
    refreshes: int = 0
    url: str = ""
    ca_file: Path | None = None
    _expired: set[str] = field(default_factory=set)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(2))
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, workdir: Path, host: str = "127.0.0.1", port: int = 0) -> str:
        ca = trustme.CA()
        self.ca_file = workdir / "zalo-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(host, "localhost").configure_cert(tls)
        app = web.Application()
        app.router.add_post("/message/template", self._send)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port, ssl_context=tls).start()
        self.url = f"https://{host}:{self._runner.addresses[0][1]}"
        return self.url

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def expire_access(self) -> None:
        self._expired.add(self.access_token)

    async def _send(self, request: web.Request) -> web.Response:
        if self.hang_times > 0:
            self.hang_times -= 1
            await self._closing.wait()
        if self.fail_times > 0:
            self.fail_times -= 1
            return web.Response(status=500, text="Internal Server Error")
        token = request.headers.get("access_token", "")
        if token != self.access_token or token in self._expired:
            return web.json_response({"error": -124, "message": "Access token is invalid"})
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": -201, "message": "Body is not JSON"})
        phone, template = str(body.get("phone", "")), str(body.get("template_id", ""))
        if not _PHONE.fullmatch(phone):
            return web.json_response({"error": -108, "message": "Phone number is invalid"})
        if template not in self.templates:
            return web.json_response({"error": -1124, "message": "Template is not approved"})
        msg_id = f"zns-{len(self.sent) + 1}"
        data = body.get("template_data") or {}
        self.sent.append(ZnsSent(msg_id, phone, template, data, body.get("tracking_id")))
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {"msg_id": msg_id, "sent_time": "0", "quota": {"remainingQuota": "500"}},
            }
        )

    async def _refresh(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (
            request.headers.get("secret_key") != self.secret_key
            or form.get("app_id") != self.app_id
            or form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
        ):
            return web.json_response(
                {
                    "error": -14014,
                    "error_name": "Invalid refresh token",
                    "error_reason": "refresh_token is invalid or spent",
                    "error_description": "Refresh token is invalid",
                }
            )
        serial = next(self._serial)
        self.access_token, self.refresh_token = f"access-{serial}", f"refresh-{serial}"
        self.refreshes += 1
        return web.json_response(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_in": "90000",
            }
        )


async def _serve(port: int) -> None:
    zns = ZaloZns()
    url = await zns.start(Path(tempfile.mkdtemp(prefix="zalo-")), port=port)
    print(json.dumps({"url": url, "ca_file": str(zns.ca_file), "refresh_token": "refresh-1"}))
    await asyncio.Event().wait()  # serve until interrupted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8443)
    asyncio.run(_serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
