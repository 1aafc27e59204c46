"""Zalo Notification Service (ZNS): approved template messages to a phone number.

Zalo's developer documentation is not reachable from here; the shapes below are
modelled on its published request/response examples (as the SDKs quote them) and are
what `standins/zalo_zns.py` speaks. Check them against the live API before going live.

Send — `POST {api_url}` (https://business.openapi.zalo.me/message/template)
    headers: `access_token: <OA access token>`, `Content-Type: application/json`
    body:    {"phone": "84912345678", "template_id": "...",
              "template_data": {"name": "value", ...}, "tracking_id": "<our key>"}
    answer:  {"error": 0, "message": "Success",
              "data": {"msg_id": "...", "sent_time": "...", "quota": {...}}}
    refusal: {"error": <negative code>, "message": "..."}; -124 means the access token is
             invalid or expired.

Refresh — `POST {oauth_url}` (https://oauth.zaloapp.com/v4/oa/access_token)
    headers: `secret_key: <app secret>`, form body
             `app_id=...&grant_type=refresh_token&refresh_token=...`
    answer:  {"access_token": "...", "refresh_token": "...", "expires_in": "90000"}
    refusal: {"error": -14014, "error_name": "...", "error_description": "..."}

A refresh token is good for one use: the new pair is written to `token_file` at once
(atomically) so a restart does not present a spent one. The template of each message
kind comes from the config (`templates.<kind>`), its fields from `Outgoing.params`.

Outcomes: `error` 0 → sent (msg_id kept); -124 → refresh once and send again; a code in
`temporary_errors` (default -32 rate limit, -144 daily quota), a timeout, a 5xx or
a failed refresh → TemporaryFailure; any other code or 4xx → PermanentFailure.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from queue_server.outbox.channels.base import (
    Inbound,
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
)

SEND_URL = "https://business.openapi.zalo.me/message/template"
OAUTH_URL = "https://oauth.zaloapp.com/v4/oa/access_token"
TOKEN_EXPIRED = -124


@dataclass(frozen=True)
class ZaloSettings:
    app_id: str
    secret_key: str
    token_file: Path
    templates: Mapping[str, str]  # message kind → approved template id
    refresh_token: str = ""  # the first one, until token_file holds a newer pair
    access_token: str = ""
    api_url: str = SEND_URL
    oauth_url: str = OAUTH_URL
    temporary_errors: tuple[int, ...] = (-32, -144)
    ca_file: str | None = None  # a private CA (the stand-in's)
    timeout: float = 15.0


@dataclass
class _Tokens:
    access: str
    refresh: str
    extra: dict[str, Any] = field(default_factory=dict)


class ZaloChannel:
    def __init__(
        self, name: str, settings: ZaloSettings, concurrency: int = 4, rate_per_second: float = 10.0
    ) -> None:
        self.name = name
        self.settings = settings
        self.concurrency = concurrency
        self.rate_per_second = rate_per_second
        self._session: aiohttp.ClientSession | None = None
        self._tokens = _Tokens(settings.access_token, settings.refresh_token)
        self._refreshing = asyncio.Lock()  # a refresh token is spent by one refresh only

    async def start(self, on_inbound: Callable[[Inbound], Awaitable[None]] | None) -> None:
        stored = await asyncio.to_thread(self._load)
        if stored is not None:
            self._tokens = stored
        tls = ssl.create_default_context(cafile=self.settings.ca_file)
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
            connector=aiohttp.TCPConnector(ssl=tls),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, message: Outgoing) -> SendResult:
        template = self.settings.templates.get(message.kind)
        if template is None:
            raise PermanentFailure(f"no Zalo template for {message.kind}")
        body = {
            "phone": message.to,
            "template_id": template,
            "template_data": dict(message.params),
            "tracking_id": message.key,
        }
        if not self._tokens.access:
            await self._refresh(self._tokens.access)
        used = self._tokens.access
        answer = await self._post_send(body, used)
        if answer.get("error") == TOKEN_EXPIRED:
            await self._refresh(used)
            answer = await self._post_send(body, self._tokens.access)
        return self._judge(answer)

    async def _post_send(self, body: dict[str, Any], token: str) -> dict[str, Any]:
        return await self._call(self.settings.api_url, headers={"access_token": token}, json=body)

    def _judge(self, answer: dict[str, Any]) -> SendResult:
        code = answer.get("error")
        if code == 0:
            data = answer.get("data") or {}
            msg_id = data.get("msg_id") if isinstance(data, dict) else None
            return SendResult(provider_id=None if msg_id is None else str(msg_id))
        reason = f"Zalo {code}: {str(answer.get('message', ''))[:120]}"
        if code == TOKEN_EXPIRED or code in self.settings.temporary_errors:
            raise TemporaryFailure(reason)
        raise PermanentFailure(reason)

    async def _refresh(self, spent: str) -> None:
        """A new token pair, unless another send already refreshed past `spent`."""
        async with self._refreshing:
            if self._tokens.access != spent:
                return
            if not self._tokens.refresh:
                raise TemporaryFailure("Zalo: no refresh token configured")
            answer = await self._call(
                self.settings.oauth_url,
                headers={"secret_key": self.settings.secret_key},
                data={
                    "app_id": self.settings.app_id,
                    "grant_type": "refresh_token",
                    "refresh_token": self._tokens.refresh,
                },
            )
            access, refresh = answer.get("access_token"), answer.get("refresh_token")
            if not isinstance(access, str) or not isinstance(refresh, str):
                detail = answer.get("error_description") or answer.get("error_name") or answer
                raise TemporaryFailure(f"Zalo token refresh failed: {str(detail)[:120]}")
            self._tokens = _Tokens(access, refresh, {"expires_in": answer.get("expires_in")})
            await asyncio.to_thread(self._save, self._tokens)

    async def _call(self, url: str, **kwargs: Any) -> dict[str, Any]:
        if self._session is None:
            raise TemporaryFailure("channel not started")
        try:
            async with self._session.post(url, **kwargs) as response:
                status, raw = response.status, await response.text()
        except TimeoutError as exc:
            raise TemporaryFailure(f"Zalo timeout after {self.settings.timeout:g} s") from exc
        except aiohttp.ClientError as exc:
            raise TemporaryFailure(f"Zalo unreachable: {type(exc).__name__}") from exc
        if status >= 500 or status == 429:
            raise TemporaryFailure(f"Zalo HTTP {status}")
        if status >= 400:
            raise PermanentFailure(f"Zalo HTTP {status}: {raw[:120]}")
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise TemporaryFailure(f"Zalo answer is not JSON: {raw[:80]!r}") from exc
        if not isinstance(answer, dict):
            raise TemporaryFailure("Zalo answer is not a JSON object")
        return answer

    def _load(self) -> _Tokens | None:
        try:
            stored = json.loads(self.settings.token_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return _Tokens(stored["access_token"], stored["refresh_token"])

    def _save(self, tokens: _Tokens) -> None:
        path = self.settings.token_file
        path.parent.mkdir(parents=True, exist_ok=True)
        spare = path.with_suffix(path.suffix + ".tmp")
        data = {"access_token": tokens.access, "refresh_token": tokens.refresh, **tokens.extra}
        # The tokens are the site's credentials: readable by the server's user only.
        fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(spare, path)
