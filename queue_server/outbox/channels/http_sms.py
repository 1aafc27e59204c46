"""SMS through a brand-name HTTP gateway, configured without code.

Vietnamese agencies send through a telecom's or an aggregator's gateway; each has its
own URL, field names and answer. The site config says all of it:

- `url`, `method` ("POST" or "GET"), `headers` (values may use placeholders);
- `body` = "json" | "form" | "query" and `fields`: field → value, a string with
  placeholders {to} (84…), {to_local} (0…), {text}, {key} (the idempotency key),
  {unicode} (1 when sent as UCS-2, else 0), {segments}, {kind}, or a literal number;
- `success_path` / `success_value`: where in the JSON answer success is read (a dotted
  path, e.g. "CodeResult" = "100"); without it any 2xx is success. `id_path`: the
  provider's message id. `temporary_values`: answers that mean "try later";
- `key_header`: the header carrying the idempotency key, for providers that honour one.

Outcomes: 2xx + success → sent; timeout, connection error, 5xx, 408, 429 or a
temporary value → TemporaryFailure; any other 4xx or a refusal → PermanentFailure.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from queue_server.outbox import sms
from queue_server.outbox.channels.base import (
    Inbound,
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
)
from queue_server.outbox.channels.webhook import WebhookSettings

PLACEHOLDERS = ("to", "to_local", "text", "key", "unicode", "segments", "kind")
_RETRYABLE_4XX = {408, 425, 429}


@dataclass(frozen=True)
class HttpSmsSettings:
    url: str
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = "json"  # json | form | query
    fields: Mapping[str, Any] = field(default_factory=dict)
    success_path: str | None = None
    success_value: str | None = None
    temporary_values: tuple[str, ...] = ()
    id_path: str | None = None
    key_header: str | None = None
    unaccented: bool = False
    timeout: float = 10.0
    webhook: WebhookSettings | None = None  # inbound texts posted to /api/sms/inbound


def fill(template: Any, values: Mapping[str, str]) -> Any:
    """A config value with its placeholders filled (numbers and booleans pass as they are)."""
    return template.format_map(values) if isinstance(template, str) else template


def read_path(document: Any, path: str) -> Any:
    """The value at a dotted path of a JSON document ("data.0.id"), None if absent."""
    for part in path.split("."):
        if isinstance(document, Mapping):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


class HttpSmsChannel:
    def __init__(
        self,
        name: str,
        settings: HttpSmsSettings,
        concurrency: int = 4,
        rate_per_second: float = 10.0,
    ) -> None:
        self.name = name
        self.settings = settings
        self.concurrency = concurrency
        self.rate_per_second = rate_per_second
        self._session: aiohttp.ClientSession | None = None

    async def start(self, on_inbound: Callable[[Inbound], Awaitable[None]] | None) -> None:
        # Inbound arrives on the server's webhook (`webhook.parse_inbound`), not here.
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.settings.timeout)
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def values(self, message: Outgoing) -> tuple[dict[str, str], int]:
        """The placeholder values of `message`, and its segment count."""
        text = sms.sms_text(message.text, self.settings.unaccented)
        count, encoding = sms.segments(text)
        local = "0" + message.to[2:] if message.to.startswith("84") else message.to
        values = {
            "to": message.to,
            "to_local": local,
            "text": text,
            "key": message.key,
            "unicode": "1" if encoding == "ucs2" else "0",
            "segments": str(count),
            "kind": message.kind,
        }
        return values, count

    async def send(self, message: Outgoing) -> SendResult:
        if self._session is None:
            raise TemporaryFailure("channel not started")
        s = self.settings
        values, count = self.values(message)
        headers = {k: str(fill(v, values)) for k, v in s.headers.items()}
        if s.key_header:
            headers[s.key_header] = message.key
        payload = {k: fill(v, values) for k, v in s.fields.items()}
        kwargs: dict[str, Any] = {"headers": headers}
        if s.body == "json":
            kwargs["json"] = payload
        elif s.body == "form":
            kwargs["data"] = {k: str(v) for k, v in payload.items()}
        else:
            kwargs["params"] = {k: str(v) for k, v in payload.items()}
        try:
            async with self._session.request(s.method, s.url, **kwargs) as response:
                status, raw = response.status, await response.text()
        except TimeoutError as exc:
            raise TemporaryFailure(f"timeout after {s.timeout:g} s") from exc
        except aiohttp.ClientError as exc:
            raise TemporaryFailure(f"gateway unreachable: {type(exc).__name__}") from exc
        return SendResult(provider_id=self._judge(status, raw), segments=count)

    def _judge(self, status: int, raw: str) -> str | None:
        """The provider's message id of a successful answer; raise for any other."""
        if status >= 500 or status in _RETRYABLE_4XX:
            raise TemporaryFailure(f"HTTP {status}")
        if status >= 400:
            raise PermanentFailure(f"HTTP {status}: {raw[:120]}")
        if status >= 300:
            raise PermanentFailure(f"HTTP {status}: redirect not followed")
        s = self.settings
        if s.success_path is None and s.id_path is None:
            return None
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise TemporaryFailure(f"answer is not JSON: {raw[:80]!r}") from exc
        if s.success_path is not None:
            got = read_path(document, s.success_path)
            if str(got) in s.temporary_values:
                raise TemporaryFailure(f"{s.success_path} = {got}")
            if s.success_value is not None and str(got) != s.success_value:
                raise PermanentFailure(f"{s.success_path} = {got}: {raw[:120]}")
        found = read_path(document, s.id_path) if s.id_path else None
        return None if found is None else str(found)
