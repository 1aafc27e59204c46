"""The sender: drains the outbox through the channels, off the writer's path.

Rows were written with the events that caused them (`compose`), as a template key
and its parameters. The sender reads the due ones on the look-up connection, hands
each to its channel's lane (so many sends at once, so many per second: the
provider's limits), which renders its text as it sends it (`render`; a row stored
with its text is sent as stored), and writes what became of them in a few batched
transactions on the store's writer thread. A lane is one task: it takes its waiting
messages in batches of what its token bucket allows (`BATCH_SECONDS` worth of its
rate), handed whole to a channel that takes batches (`send_batch`, the dry-run file)
or one task per message to the others. Issuing comes first: while the writer has
commands waiting or a batch committing (`busy`), the lanes and the flusher wait their
turn (`YIELD_SECONDS`, at most `MAX_YIELD_SECONDS` in a row).
What became of each message:

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
import functools
import logging
import random
import sqlite3
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import cast

from queue_server.core.metrics import Metrics
from queue_server.core.store import Store
from queue_server.domain.config import MessagingConfig
from queue_server.outbox import render
from queue_server.outbox.channels.base import (
    BatchChannel,
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
# A lane sends what its rate allows in this long at once (its token bucket's size):
# one turn of the event loop for a batch, not one task and one timer per message.
BATCH_SECONDS = 0.05
# Issuing comes first: while the writer has commands waiting or a batch committing, the
# lanes (and the flusher) look again this soon rather than take the event loop from it,
# but not for longer than MAX_YIELD_SECONDS in a row, so messages still go out in a
# long rush (a batch a second at least).
YIELD_SECONDS = 0.005
MAX_YIELD_SECONDS = 1.0
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


@dataclass(eq=False)
class _Lane:
    """One channel with its limits: `concurrency` sends (or batches) at once, and a
    token bucket refilled at `rate_per_second`; a batch is `BATCH_SECONDS` worth."""

    channel: Channel
    concurrency: int
    rate: float
    waiting: deque[tuple[tuple, int]] = field(default_factory=deque)  # (outbox row, attempts)
    busy: int = 0  # sends (or batches) in flight
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    tokens: float = 0.0
    filled_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.size  # a quiet lane sends its first batch at once

    @property
    def size(self) -> int:
        return max(1, int(self.rate * BATCH_SECONDS))

    @property
    def batched(self) -> bool:
        return callable(getattr(self.channel, "send_batch", None))

    def refill(self, now: float) -> None:
        # Room for two batches: a lane that waited for a batch's tokens and woke a little
        # late keeps what it was owed (it would drain below its rate), yet never sends
        # more than two batches' worth at once after a quiet spell.
        self.tokens = min(2 * self.size, self.tokens + (now - self.filled_at) * self.rate)
        self.filled_at = now

    def wanted(self) -> int:
        """How many to send in the next batch (0: wait for a send to finish)."""
        if self.busy >= self.concurrency:
            return 0
        room = len(self.waiting) if self.batched else self.concurrency - self.busy
        return min(self.size, len(self.waiting), room)


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
        busy: Callable[[], bool] | None = None,
    ) -> None:
        self.store, self.policy, self.metrics = store, policy, metrics
        self.channels = dict(channels)
        self.clock, self.rand = clock, rand
        # True while issuing needs the event loop (the writer has commands waiting).
        self.busy = busy or (lambda: False)
        self.yields = 0  # turns given to the writer (benchmarks, tests)
        self.in_flight: set[int] = set()
        self._lanes = {
            name: _Lane(ch, max(1, ch.concurrency), ch.rate_per_second)
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
        for name, lane in self._lanes.items():
            self._spawn(self._run_lane(lane), f"outbox-lane-{name}")

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
        row_id, _key, channel, recipient, _kind, _lang, _text, _subject, _params, attempts = row
        self.in_flight.add(row_id)
        lane = self._lanes.get(channel)
        if lane is None or recipient is None:
            reason = "unknown channel " + channel if lane is None else "no recipient (purged)"
            self._settle(_Settle(row_id, "failed", attempts, reason=reason), channel, "failed")
            return
        lane.waiting.append((row, attempts))  # rendered when its lane takes it
        lane.ready.set()

    def _message(self, row: tuple) -> Outgoing | None:
        """The message of a row as it goes out: a row stored with its text is sent as
        stored, others rendered now (in the lane's batch, not the whole refill at once)."""
        row_id, key, channel, recipient, kind, lang, text, subject, params, attempts = row
        try:
            text, subject, values = render.message(
                self.policy, channel, kind, recipient, lang, text, subject, params
            )
        except Exception as exc:  # a template the catalogue no longer has, bad parameters
            log.warning("message %d (%s) cannot be rendered: %r", row_id, kind, exc)
            reason = f"cannot render: {exc!r}"[:200]
            self._settle(_Settle(row_id, "failed", attempts, reason=reason), channel, "failed")
            return None
        return Outgoing(
            id=row_id,
            key=key,
            channel=channel,
            to=recipient,
            kind=kind,
            lang=lang,
            text=text,
            subject=subject,
            params=values,
        )

    def _spawn(self, work: Awaitable[None], name: str | None = None) -> None:
        task = asyncio.ensure_future(work)
        if name:
            task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _yield_to_issuing(self) -> None:
        """Wait while issuing is busy (`Engine.busy`: commands waiting, a batch being
        committed), but not longer than `MAX_YIELD_SECONDS`."""
        if not self.busy():
            return
        self.yields += 1
        until = time.monotonic() + MAX_YIELD_SECONDS
        while self.busy() and time.monotonic() < until:
            await asyncio.sleep(YIELD_SECONDS)

    # ----- sending -----------------------------------------------------------

    async def _run_lane(self, lane: _Lane) -> None:
        """Take the lane's waiting messages in batches, as its rate and slots allow."""
        while True:
            lane.ready.clear()
            want = lane.wanted()
            if want == 0:
                await lane.ready.wait()
                continue
            await self._yield_to_issuing()
            lane.refill(time.monotonic())
            want = lane.wanted()  # more may have come meanwhile
            if lane.tokens < want:
                await asyncio.sleep((want - lane.tokens) / lane.rate)
                continue
            lane.tokens -= want
            taken = []
            for _ in range(want):
                row, attempts = lane.waiting.popleft()
                if (message := self._message(row)) is not None:
                    taken.append((message, attempts))
            if not taken:
                continue
            if lane.batched:
                lane.busy += 1
                self._spawn(self._send_batch(lane, taken))
            else:
                for message, attempts in taken:
                    lane.busy += 1
                    self._spawn(self._send_one(lane, message, attempts))

    async def _send_one(self, lane: _Lane, message: Outgoing, attempts: int) -> None:
        self._hand_to_provider()
        try:
            try:
                result: SendResult | Exception = await lane.channel.send(message)
            except Exception as exc:
                result = exc
            self._outcome(message, attempts + 1, result)
        finally:
            lane.busy -= 1
            lane.ready.set()

    async def _send_batch(self, lane: _Lane, taken: list[tuple[Outgoing, int]]) -> None:
        channel = cast(BatchChannel, lane.channel)
        self._hand_to_provider()
        try:
            results: list[SendResult | Exception]
            try:
                answered = await channel.send_batch([message for message, _ in taken])
                if len(answered) != len(taken):
                    raise RuntimeError(f"{len(answered)} answers for {len(taken)} messages")
                results = list(answered)
            except Exception as exc:  # the whole batch went wrong: each retried
                results = [exc] * len(taken)
            for (message, attempts), result in zip(taken, results, strict=True):
                self._outcome(message, attempts + 1, result)
        finally:
            lane.busy -= 1
            lane.ready.set()

    def _hand_to_provider(self) -> None:
        """The running task is in a provider's hands from now on: a `retire` lets it
        finish on these channels rather than cancelling it."""
        current = asyncio.current_task()
        if current is not None:
            self._with_provider.add(current)
            current.add_done_callback(self._with_provider.discard)

    def _outcome(self, message: Outgoing, tried: int, result: SendResult | Exception) -> None:
        if isinstance(result, SendResult):
            self._settle(
                _Settle(message.id, "sent", tried, result=result, at=self.clock()),
                message.channel,
                "sent",
            )
        elif isinstance(result, PermanentFailure):
            log.warning(
                "message %d (%s) failed for good: %s", message.id, message.kind, result.reason
            )
            self._settle(
                _Settle(message.id, "failed", tried, reason=result.reason),
                message.channel,
                "failed",
            )
        elif isinstance(result, TemporaryFailure):
            self._retry(message, tried, result.reason)
        else:
            log.error("channel %s failed unexpectedly", message.channel, exc_info=result)
            self._retry(message, tried, f"error: {result!r}")

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
                await self._yield_to_issuing()
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


# One statement for many rows: each SQLite step gives the GIL up and takes it back,
# and on the writer's thread, behind a busy event loop, taking it back costs up to a
# switch interval (5 ms). An `executemany` of single-row updates did that twice a row;
# the tickets' commits waited behind it. Chunks of fixed sizes: few distinct statements.
_CHUNKS = (256, 64, 16, 4, 1)
# id, state, attempts, next_at, reason, provider_id, segments, sent_at. The first row
# names their types: PostgreSQL (issue 19) reads untyped VALUES parameters as text.
_FIRST_ROW = (
    "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS DOUBLE PRECISION), "
    "CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS DOUBLE PRECISION))"
)
_ROW = "(?, ?, ?, ?, ?, ?, ?, ?)"


@functools.cache
def _update_sql(rows: int) -> str:
    values = ", ".join([_FIRST_ROW] + [_ROW] * (rows - 1))
    return (
        "UPDATE outbox SET state = v.column2, attempts = v.column3, "
        "next_at = COALESCE(v.column4, outbox.next_at), reason = v.column5, "
        "provider_id = COALESCE(v.column6, outbox.provider_id), "
        "segments = COALESCE(v.column7, outbox.segments), "
        "sent_at = CASE WHEN v.column2 = 'sent' THEN v.column8 ELSE outbox.sent_at END "
        f"FROM (VALUES {values}) AS v WHERE outbox.id = v.column1 AND outbox.state = 'queued'"
    )


def _update_states(conn: sqlite3.Connection, batch: list[_Settle]) -> None:
    rows = [
        (
            s.id,
            s.state,
            s.attempts,
            s.next_at,
            s.reason,
            s.result.provider_id,
            s.result.segments,
            s.at,
        )
        for s in batch
    ]
    conn.execute("BEGIN IMMEDIATE")
    try:
        i = 0
        for size in _CHUNKS:
            while len(rows) - i >= size:
                conn.execute(_update_sql(size), [v for row in rows[i : i + size] for v in row])
                i += size
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
