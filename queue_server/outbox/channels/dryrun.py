"""The dry-run channel: each message becomes one JSON line in a file (the demo's phone).

Nothing leaves the machine; `tail -f` the file to watch what citizens would receive.
Lines that come together are written together: the sender hands it a lane's batch
(`send_batch`: one append, in a thread), and single sends that come within
`BATCH_SECONDS` share one append too, so a backlog drained at hundreds of messages a
second does not cost the event loop a thread hop each. A message counts as sent once
its line is in the file.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from queue_protocol.codec import dumps_text
from queue_server.outbox import sms
from queue_server.outbox.channels.base import (
    ChannelError,
    Inbound,
    Outgoing,
    SendResult,
    TemporaryFailure,
)

BATCH_SECONDS = 0.02


class DryRunChannel:
    def __init__(
        self, name: str, path: Path, concurrency: int = 1, rate_per_second: float = 100.0
    ) -> None:
        self.name = name
        self.path = path
        self.concurrency = concurrency
        self.rate_per_second = rate_per_second
        self._lines: list[str] = []  # waiting for the next append
        self._written: asyncio.Future[None] | None = None  # when they are in the file

    async def start(self, on_inbound: Callable[[Inbound], Awaitable[None]] | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    async def send(self, message: Outgoing) -> SendResult:
        line, count = self._line(message)
        self._lines.append(line)
        if self._written is None:
            self._written = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_later(BATCH_SECONDS, self._write_batch)
        try:
            await asyncio.shield(self._written)
        except OSError as exc:  # disk full, directory gone: the sender tries again later
            raise TemporaryFailure(f"dry-run file: {exc.strerror or exc}") from exc
        return SendResult(provider_id=message.key, segments=count)

    async def send_batch(self, messages: Sequence[Outgoing]) -> list[SendResult | ChannelError]:
        """A lane's batch (the sender's way): its lines in one append, no future each."""
        lines: list[str] = []
        results: list[SendResult | ChannelError] = []
        for message in messages:
            line, count = self._line(message)
            lines.append(line)
            results.append(SendResult(provider_id=message.key, segments=count))
        try:
            await asyncio.to_thread(self._append, "".join(lines))
        except OSError as exc:
            failure = TemporaryFailure(f"dry-run file: {exc.strerror or exc}")
            return [failure] * len(messages)
        return results

    @staticmethod
    def _line(message: Outgoing) -> tuple[str, int]:
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
        return dumps_text(line) + "\n", count  # orjson: a fifth of json.dumps' time

    def _write_batch(self) -> None:
        lines, self._lines = self._lines, []
        written, self._written = self._written, None
        assert written is not None
        task = asyncio.ensure_future(asyncio.to_thread(self._append, "".join(lines)))

        def settle(done: asyncio.Future[None]) -> None:
            if done.cancelled():
                written.cancel()
            elif (exc := done.exception()) is not None:
                written.set_exception(exc)
            else:
                written.set_result(None)

        task.add_done_callback(settle)

    def _append(self, data: str) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(data)

    async def close(self) -> None:
        return None
