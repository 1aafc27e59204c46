"""The sender: drains the outbox through the channels, off the writer's path.

Rows were written with the events that caused them (`compose`). The sender reads
the due ones on the look-up connection, hands each to its channel's lane (so many
sends at once, so many per second: the provider's limits), and writes what became
of them in a few batched transactions on the store's writer thread:

- sent: the provider took it (its id and the SMS parts are kept);
- `TemporaryFailure` (timeout, 5xx, modem unplugged): queued again after an
  exponential back-off with jitter, given up after `max_attempts`;
- `PermanentFailure` (4xx, a bad number): failed with the reason, never retried.

A message that was in flight when the process died is still `queued` on disk and
is sent again with the same idempotency key: a provider that honours the key sends
it once. "sending" is the in-memory state of what is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from queue_protocol.codec import loads
from queue_server.core.metrics import Metrics
from queue_server.core.store import Store
from queue_server.domain.config import MessagingConfig
from queue_server.outbox.channels.base import (
    Channel,
    Inbound,
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
)

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 256  # rows taken from the outbox and not yet settled
FLUSH_SECONDS = 0.05  # delivery states are written at most this late, many per transaction
IDLE_SECONDS = 1.0  # with nothing due, look again this often (reminders fall due)
# Ids first (from the partial index alone), then the rows not already in flight: under
# a backlog most due ids are in flight, and reading their texts again would be waste.
_DUE_IDS = (
    "SELECT id FROM outbox WHERE state = 'queued' AND next_at <= ? ORDER BY next_at, id LIMIT ?"
)
_ROWS = (
    "SELECT id, key, channel, recipient, kind, lang, text, subject, params, attempts "
    "FROM outbox WHERE id IN ({}) AND state = 'queued'"
)


def backoff(attempt: int, first: float, most: float, rand: Callable[[], float]) -> float:
    """Seconds before try `attempt + 1`: doubling from `first`, capped at `most`, and half
    of it random ("equal jitter"), so retries after an outage do not all come at once."""
    delay = min(most, first * 2 ** (attempt - 1))
    return delay / 2 + rand() * delay / 2


@dataclass
class _Lane:
    """One channel with its limits: `concurrency` sends at once, `rate_per_second`."""

    channel: Channel
    slots: asyncio.Semaphore
    interval: float
    next_start: float = 0.0  # monotonic time the next send may start

    async def turn(self) -> None:
        now = time.monotonic()
        start = max(now, self.next_start)
        self.next_start = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


@dataclass
class _Settle:
    id: int
    state: str
    attempts: int
    next_at: float | None = None
    reason: str | None = None
    result: SendResult = field(default_factory=SendResult)
    at: float = 0.0


class Sender:
    """Drains the outbox; `wake()` when rows were added; `start`/`stop` in cleanup_ctx."""

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        policy: MessagingConfig,
        metrics: Metrics,
        *,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.store, self.policy, self.metrics = store, policy, metrics
        self.channels = dict(channels)
        self.clock, self.rand = clock, rand
        self.in_flight: set[int] = set()
        self._lanes = {
            name: _Lane(ch, asyncio.Semaphore(max(1, ch.concurrency)), 1 / ch.rate_per_second)
            for name, ch in channels.items()
        }
        self._wake = asyncio.Event()
        self._settled: list[_Settle] = []
        # Written to disk, still in `in_flight` until the next look at the outbox: a
        # look that began before the write could still see them queued.
        self._written: list[int] = []
        self._flushed = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._with_provider: set[asyncio.Task] = set()  # deliveries inside `channel.send`
        self._loop_task: asyncio.Task | None = None
        self._flush_task: asyncio.Task | None = None

    async def start(self, on_inbound: Callable[[Inbound], Awaitable[None]] | None) -> None:
        started: list[Channel] = []
        try:
            for channel in self.channels.values():
                await channel.start(on_inbound)
                started.append(channel)
        except BaseException:
            for channel in started:
                await channel.close()
            raise
        self._loop_task = asyncio.create_task(self._drain(), name="outbox-sender")
        self._flush_task = asyncio.create_task(self._flusher(), name="outbox-flush")

    async def stop(self) -> None:
        """Stop sending; what is in flight is cancelled and stays queued on disk."""
        for task in [self._loop_task, *self._tasks]:
            if task is not None:
                task.cancel()
        await asyncio.gather(
            *[t for t in [self._loop_task, *self._tasks] if t], return_exceptions=True
        )
        if self._flush_task is not None:
            self._flush_task.cancel()
            await asyncio.gather(self._flush_task, return_exceptions=True)
        await self._flush()
        for channel in self.channels.values():
            try:
                await channel.close()
            except Exception:
                log.exception("closing channel %s failed", channel.name)

    async def retire(self) -> None:
        """Hand over to a new sender (the channels changed): take no more rows; what is
        in a provider's hands finishes on these channels and is written down; what was
        only taken (waiting for its lane) stays queued on disk for the next sender; then
        the channels close. Nothing is lost, nothing is sent twice."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        for task in self._tasks - self._with_provider:
            task.cancel()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.stop()  # flushes what became of them, closes the channels

    @property
    def sending(self) -> set[int]:
        """The messages in flight now (taken from the outbox, what became of them unknown)."""
        return self.in_flight.difference(self._written, (s.id for s in self._settled))

    def wake(self) -> None:
        """New rows are durable (or something was resent): look at the outbox now."""
        self._wake.set()

    # ----- taking due rows ----------------------------------------------------

    async def _drain(self) -> None:
        while True:
            self._wake.clear()
            self.in_flight.difference_update(self._written)
            self._written.clear()
            room = MAX_IN_FLIGHT - len(self.in_flight)
            rows = []
            # Under a backlog, refill in big steps rather than a few rows every time.
            if room >= MAX_IN_FLIGHT // 4 or len(self.in_flight) < MAX_IN_FLIGHT // 4:
                try:
                    rows = await self._due(room)
                except Exception:
                    log.exception("reading the outbox failed; trying again")
            for row in rows:
                self._begin(row)
            # Wakes that come meanwhile are taken together: one look per FLUSH_SECONDS
            # at most, however many batches the writer commits during a burst.
            await asyncio.sleep(FLUSH_SECONDS)
            if room > 0 and len(rows) < room and not self._wake.is_set():
                with contextlib.suppress(TimeoutError):  # no task of its own
                    async with asyncio.timeout(IDLE_SECONDS):
                        await self._wake.wait()

    async def _due(self, room: int) -> list[tuple]:
        reader = self.store.reader
        async with reader.execute(_DUE_IDS, (self.clock(), room + len(self.in_flight))) as cur:
            ids = [i for (i,) in await cur.fetchall() if i not in self.in_flight][:room]
        if not ids:
            return []
        async with reader.execute(_ROWS.format(",".join("?" * len(ids))), ids) as cur:
            rows = [tuple(r) for r in await cur.fetchall()]
        order = {row_id: n for n, row_id in enumerate(ids)}
        return sorted(rows, key=lambda r: order[r[0]])

    def _begin(self, row: tuple) -> None:
        row_id, key, channel, recipient, kind, lang, text, subject, params, attempts = row
        self.in_flight.add(row_id)
        lane = self._lanes.get(channel)
        if lane is None or recipient is None or text is None:
            reason = "unknown channel " + channel if lane is None else "no recipient (purged)"
            self._settle(_Settle(row_id, "failed", attempts, reason=reason), channel, "failed")
            return
        message = Outgoing(
            id=row_id,
            key=key,
            channel=channel,
            to=recipient,
            kind=kind,
            lang=lang,
            text=text,
            subject=subject,
            params=loads(params) if params else {},
        )
        task = asyncio.create_task(self._deliver(lane, message, attempts))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ----- sending -----------------------------------------------------------

    async def _deliver(self, lane: _Lane, message: Outgoing, attempts: int) -> None:
        async with lane.slots:
            await lane.turn()
            tried = attempts + 1
            current = asyncio.current_task()
            if current is not None:
                self._with_provider.add(current)
            try:
                result = await lane.channel.send(message)
            except PermanentFailure as exc:
                log.warning(
                    "message %d (%s) failed for good: %s", message.id, message.kind, exc.reason
                )
                self._settle(
                    _Settle(message.id, "failed", tried, reason=exc.reason),
                    message.channel,
                    "failed",
                )
                return
            except (TemporaryFailure, Exception) as exc:
                reason = exc.reason if isinstance(exc, TemporaryFailure) else f"error: {exc!r}"
                if not isinstance(exc, TemporaryFailure):
                    log.exception("channel %s failed unexpectedly", message.channel)
                self._retry(message, tried, reason)
                return
            finally:
                if current is not None:
                    self._with_provider.discard(current)
        self._settle(
            _Settle(message.id, "sent", tried, result=result, at=self.clock()),
            message.channel,
            "sent",
        )

    def _retry(self, message: Outgoing, tried: int, reason: str) -> None:
        policy = self.policy
        if tried >= policy.max_attempts:
            log.warning("message %d given up after %d attempts: %s", message.id, tried, reason)
            reason = f"gave up after {tried} attempts: {reason}"
            self._settle(
                _Settle(message.id, "failed", tried, reason=reason), message.channel, "failed"
            )
            return
        delay = backoff(tried, policy.retry_seconds, policy.retry_max_seconds, self.rand)
        log.info("message %d: %s; retry in %.1f s", message.id, reason, delay)
        self._settle(
            _Settle(message.id, "queued", tried, next_at=self.clock() + delay, reason=reason),
            message.channel,
            "retry",
        )

    def _settle(self, settle: _Settle, channel: str, outcome: str) -> None:
        self.metrics.messages.labels(channel, outcome).inc()
        self._settled.append(settle)

    # ----- writing what became of them ----------------------------------------

    async def _flusher(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            if self._settled:
                try:
                    await self._flush()
                except Exception:
                    log.exception("writing delivery states failed; trying again")

    async def _flush(self) -> None:
        batch, self._settled = self._settled, []
        if not batch:
            return
        try:
            await self.store.write(lambda conn: _write_states(conn, batch))
        except BaseException:
            self._settled[:0] = batch
            raise
        self._written.extend(settle.id for settle in batch)
        self.wake()  # room for more


def _write_states(conn: sqlite3.Connection, batch: list[_Settle]) -> None:
    # No fsync of its own (the queue's next durable commit carries these pages): lost
    # in a power cut, a message is sent again with the same idempotency key.
    conn.execute("PRAGMA synchronous=NORMAL")
    try:
        _update_states(conn, batch)
    finally:
        conn.execute("PRAGMA synchronous=FULL")


def _update_states(conn: sqlite3.Connection, batch: list[_Settle]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "UPDATE outbox SET state = ?, attempts = ?, next_at = COALESCE(?, next_at), "
            "reason = ?, provider_id = COALESCE(?, provider_id), "
            "segments = COALESCE(?, segments), sent_at = CASE WHEN ? = 'sent' THEN ? "
            "ELSE sent_at END WHERE id = ? AND state = 'queued'",
            [
                (
                    s.state,
                    s.attempts,
                    s.next_at,
                    s.reason,
                    s.result.provider_id,
                    s.result.segments,
                    s.state,
                    s.at,
                    s.id,
                )
                for s in batch
            ],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
