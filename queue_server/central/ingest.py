"""Accepting sites' batches, and folding them into the rollups.

A batch is stored in one transaction: the site's row locked, the batch checked to
follow what was stored (`after` = `sites.acked`, else `out_of_order` with the true
position), its events COPYed into `events`, `acked` moved. So a retry after a lost
answer, a restarted shipper or a restarted database never stores an event twice nor
skips one: the site learns the true position and goes on from there.

Folding is a second transaction per slice (`apply_events` in the database), moving
`applied`: the rollups lag the log by a moment, never by an event counted twice.
Back-pressure: at most `MAX_CONCURRENT` batches are stored at once; a site beyond that
is told `unavailable` with `Retry-After` and sends again later (its events wait, safe,
in its own database).
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
APPLY_SLICE = 5000
EVENT_COLUMNS = ("site_id", "id", "day", "at", "type", "data")


class Ingest:
    def __init__(self, pool: asyncpg.Pool, clock: Callable[[], float]) -> None:
        self.pool = pool
        self.clock = clock
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)
        self._folding: dict[str, asyncio.Task] = {}
        self._again: set[str] = set()

    async def accept(self, batch: Batch) -> int:
        """Store `batch` (its token already checked); the site's acknowledged position."""
        if self._slots.locked():
            raise QueueError("unavailable", "the province server is busy: send again later")
        async with self._slots:
            acked = await self._store(batch)
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
        """Fold the site's stored events into the rollups, in the background."""
        task = self._folding.get(site)
        if task is not None and not task.done():
            self._again.add(site)
            return
        self._folding[site] = asyncio.create_task(self._fold(site), name=f"fold {site}")

    async def _fold(self, site: str) -> None:
        while True:
            self._again.discard(site)
            try:
                while await self.fold_once(site):
                    pass
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                log.warning("rollups of %s not updated (%s); will retry", site, err)
                await asyncio.sleep(1.0)
                self._again.add(site)
            if site not in self._again:
                return

    async def fold_once(self, site: str) -> int:
        """Fold one slice of the site's events; how many."""
        async with self.pool.acquire() as conn, conn.transaction():
            return int(await conn.fetchval("SELECT apply_events($1, $2)", site, APPLY_SLICE))

    async def fold_all(self) -> None:
        """At start: every site whose rollups are behind its log."""
        for row in await self.pool.fetch("SELECT id FROM sites WHERE applied < acked"):
            self.fold_soon(row["id"])

    async def close(self) -> None:
        for task in self._folding.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
