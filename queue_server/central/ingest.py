"""Accepting sites' batches, and folding them into the rollups.

A batch is stored in one transaction: the site's row locked, the batch checked to
follow what was stored (`after` = `sites.acked`, else `out_of_order` with the true
position), its events COPYed into `events`, `acked` moved. So a retry after a lost
answer, a restarted shipper or a restarted database never stores an event twice nor
skips one: the site learns the true position and goes on from there.

Folding is a second transaction per slice (`apply_events` in the database), moving
`applied`: the rollups lag the log by a moment, never by an event counted twice. One
worker folds for every site in turn, and lets batches being stored go first.
Back-pressure: at most `MAX_CONCURRENT` batches are stored at once; the others wait
their turn, and one that waited `QUEUE_SECONDS` is told `unavailable` with
`Retry-After` and sends again later (its events wait, safe, in its own database).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from queue_protocol.codec import dumps_text
from queue_protocol.errors import QueueError
from queue_server.domain.replication import Batch

log = logging.getLogger(__name__)
MAX_CONCURRENT = 8
QUEUE_SECONDS = 5.0  # how long a batch may wait for its turn before "busy"
APPLY_SLICE = 2000
YIELD_SECONDS = 5.0
EVENT_COLUMNS = ("site_id", "id", "day", "at", "type", "data")


class Ingest:
    def __init__(self, pool: asyncpg.Pool, clock: Callable[[], float]) -> None:
        self.pool = pool
        self.clock = clock
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)
        self._active = 0  # batches being stored now
        self._waiting: dict[str, None] = {}  # sites with events to fold, in turn
        self._work = asyncio.Event()
        self._folder: asyncio.Task | None = None

    async def accept(self, batch: Batch) -> int:
        """Store `batch` (its token already checked); the site's acknowledged position."""
        try:
            await asyncio.wait_for(self._slots.acquire(), QUEUE_SECONDS)
        except TimeoutError:
            raise QueueError("unavailable", "busy: send again later") from None
        self._active += 1
        try:
            acked = await self._store(batch)
        finally:
            self._active -= 1
            self._slots.release()
        if batch.events:
            self.fold_soon(batch.site)
        return acked

    async def _store(self, batch: Batch) -> int:
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            acked = await conn.fetchval(
                "SELECT acked FROM sites WHERE id = $1 FOR UPDATE", batch.site
            )
            if acked != batch.after:
                raise QueueError("out_of_order", f"acked={acked}")
            if batch.events:
                await conn.copy_records_to_table(
                    "events",
                    records=[(batch.site, *event) for event in batch.events],
                    columns=EVENT_COLUMNS,
                )
                last = batch.events[-1]
                acked = last[0]
                await conn.execute(
                    "UPDATE sites SET acked = $2, acked_at = $3 WHERE id = $1",
                    batch.site,
                    acked,
                    last[2],
                )
            meta = batch.meta
            await conn.execute(
                "UPDATE sites SET head = greatest($2, acked), head_at = $3, last_seen = $4, "
                "skew_seconds = $5, meta = coalesce($6::jsonb, meta), "
                "satisfied = coalesce($7::text[], satisfied), "
                "timezone = coalesce($8, timezone) WHERE id = $1",
                batch.site,
                batch.head,
                batch.head_at,
                now,
                batch.sent_at - now,
                None if meta is None else dumps_text(meta),
                None if meta is None else list(meta.get("satisfied", [])),
                None if meta is None else meta.get("timezone"),
            )
            await conn.execute("SELECT pg_notify('xephang_floor', $1)", batch.site)
        return acked

    # -- folding into the rollups -------------------------------------------------

    def fold_soon(self, site: str) -> None:
        """Fold the site's stored events into the rollups, in the background: one worker
        for every site, a slice at a time in turn, so folding never takes more than one
        of the pool's connections from the sites' batches."""
        self._waiting[site] = None
        self._work.set()
        if self._folder is None or self._folder.done():
            self._folder = asyncio.create_task(self._fold(), name="fold")

    async def _fold(self) -> None:
        while True:
            await self._work.wait()
            self._work.clear()
            while self._waiting:
                await self._yield_to_batches()
                site = next(iter(self._waiting))
                del self._waiting[site]
                try:
                    if await self.fold_once(site) == APPLY_SLICE:
                        self._waiting[site] = None  # more to fold: after the others
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                    log.warning("rollups of %s not updated (%s); will retry", site, err)
                    self._waiting[site] = None
                    await asyncio.sleep(1.0)

    async def _yield_to_batches(self) -> None:
        """Sites' batches first (their backlogs are what a link outage leaves), for at
        most `YIELD_SECONDS`: the rollups then fold a slice even under steady traffic."""
        deadline = asyncio.get_running_loop().time() + YIELD_SECONDS
        while self._active and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)

    async def fold_once(self, site: str) -> int:
        """Fold one slice of the site's events; how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            return int(await conn.fetchval("SELECT apply_events($1, $2)", site, APPLY_SLICE))

    async def fold_all(self) -> None:
        """At start: every site whose rollups are behind its log."""
        for row in await self.pool.fetch("SELECT id FROM sites WHERE applied < acked"):
            self.fold_soon(row["id"])

    async def close(self) -> None:
        if self._folder is not None:
            self._folder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._folder
