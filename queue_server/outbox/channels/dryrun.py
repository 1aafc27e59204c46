"""The dry-run channel: each message becomes one JSON line in a file (the demo's phone).

Nothing leaves the machine; `tail -f` the file to watch what citizens would receive.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from queue_server.outbox import sms
from queue_server.outbox.channels.base import Inbound, Outgoing, SendResult, TemporaryFailure


class DryRunChannel:
    def __init__(
        self, name: str, path: Path, concurrency: int = 1, rate_per_second: float = 100.0
    ) -> None:
        self.name = name
        self.path = path
        self.concurrency = concurrency
        self.rate_per_second = rate_per_second

    async def start(self, on_inbound: Callable[[Inbound], Awaitable[None]] | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    async def send(self, message: Outgoing) -> SendResult:
        count, encoding = sms.segments(message.text)
        line = {
            "at": time.time(),
            "id": message.id,
            "key": message.key,
            "channel": message.channel,
            "to": message.to,
            "kind": message.kind,
            "lang": message.lang,
            "subject": message.subject,
            "text": message.text,
            "params": dict(message.params),
            "segments": count,
            "encoding": encoding,
        }
        data = json.dumps(line, ensure_ascii=False) + "\n"
        try:
            await asyncio.to_thread(self._append, data)
        except OSError as exc:  # disk full, directory gone: the sender tries again later
            raise TemporaryFailure(f"dry-run file: {exc.strerror or exc}") from exc
        return SendResult(provider_id=message.key, segments=count)

    def _append(self, data: str) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(data)

    async def close(self) -> None:
        return None
