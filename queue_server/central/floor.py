"""The province floor now: each site online or not, its lag, how many wait, the longest
wait, open counters and open alerts — pushed to leaders' browsers as it changes.

Every stored batch and every folded slice ends with `NOTIFY xephang_floor, '<site>'`
(after commit, so a reader sees it). One connection LISTENs; a notification marks the
site changed, and at most every `PUSH_SECONDS` the changed sites' rows are read again
and sent to each open event stream (Server-Sent Events) whose leader may see them.
A site is offline when nothing came from it for `OFFLINE_SECONDS` (its shipper sends a
heartbeat every few seconds when there is nothing new).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiohttp import web

from queue_protocol.codec import dumps_text
from queue_server.central.accounts import Leader

log = logging.getLogger(__name__)
OFFLINE_SECONDS = 60.0
PUSH_SECONDS = 0.25
KEEPALIVE_SECONDS = 5.0
CHANNEL = "xephang_floor"

FLOOR_SQL = """
SELECT s.id, s.name, s.province, s.district, s.day, s.acked, s.head, s.head_at, s.acked_at,
    s.applied, s.last_seen, s.skew_seconds,
    (SELECT count(*) FROM ticket_state t WHERE t.site_id = s.id AND t.day = s.day
        AND t.queued_at IS NOT NULL) AS waiting,
    (SELECT min(t.queued_at) FROM ticket_state t WHERE t.site_id = s.id AND t.day = s.day
        AND t.queued_at IS NOT NULL) AS oldest,
    (SELECT count(*) FROM counter_state c WHERE c.site_id = s.id) AS open_counters,
    (SELECT count(*) FROM alert_state a WHERE a.site_id = s.id AND a.day = s.day)
        AS open_alerts
FROM sites s WHERE {where} ORDER BY s.id
"""


def site_now(row: Any, now: float) -> dict[str, Any]:
    """One site's line of the floor, `now` on the province server's clock."""
    skew = row["skew_seconds"] or 0.0
    oldest = row["oldest"]
    lag_seconds = None
    if row["head_at"] is not None:
        lag_seconds = round(max(0.0, row["head_at"] - (row["acked_at"] or row["head_at"])), 1)
    return {
        "id": row["id"],
        "name": row["name"],
        "district": row["district"],
        "online": row["last_seen"] is not None and now - row["last_seen"] < OFFLINE_SECONDS,
        "last_seen": row["last_seen"],
        "lag_events": row["head"] - row["acked"],
        "lag_seconds": lag_seconds,
        "unfolded_events": row["acked"] - row["applied"],
        "clock_skew_seconds": None if row["skew_seconds"] is None else round(skew, 1),
        "day": None if row["day"] is None else row["day"].isoformat(),
        "waiting": row["waiting"],
        # the site's "now" is ours plus its skew: its tickets' times are on its clock
        "longest_wait": None if oldest is None else round(max(0.0, now + skew - oldest), 1),
        "open_counters": row["open_counters"],
        "open_alerts": row["open_alerts"],
    }


async def floor_now(
    pool: asyncpg.Pool | asyncpg.Connection, leader: Leader, now: float
) -> list[dict[str, Any]]:
    where, args = leader.where(1)
    rows = await pool.fetch(FLOOR_SQL.format(where=where), *args)
    return [site_now(r, now) for r in rows]


@dataclass(eq=False)
class _Stream:
    leader: Leader
    queue: asyncio.Queue[list[dict[str, Any]] | None] = field(default_factory=asyncio.Queue)


class FloorFeed:
    """LISTEN on one connection; push what changed to the open streams."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, clock: Callable[[], float]) -> None:
        self.pool, self.dsn, self.clock = pool, dsn, clock
        self._streams: set[_Stream] = set()
        self._changed = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="floor feed")

    def end_streams(self) -> None:
        """Every open stream ends (the server stops): browsers reconnect elsewhere."""
        for stream in self._streams:
            stream.queue.put_nowait(None)

    async def stop(self) -> None:
        self.end_streams()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _notified(self, *_args: Any) -> None:
        self._changed.set()

    async def _run(self) -> None:
        while True:  # a lost connection (the database restarted) is made again
            try:
                conn = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as err:
                log.warning("floor feed: cannot listen (%s); retrying", err)
                await asyncio.sleep(1.0)
                continue
            try:
                await conn.add_listener(CHANNEL, self._notified)
                self._changed.set()  # what changed while we were not listening
                while not conn.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), timeout=OFFLINE_SECONDS / 2)
                    self._changed.clear()
                    await self._push()  # also when nothing came: sites go offline
                    await asyncio.sleep(PUSH_SECONDS)
            except (OSError, asyncpg.PostgresError) as err:
                log.warning("floor feed interrupted (%s); listening again", err)
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()
            await asyncio.sleep(0.5)

    async def _push(self) -> None:
        if not self._streams:
            return
        now = self.clock()
        for stream in list(self._streams):
            stream.queue.put_nowait(await floor_now(self.pool, stream.leader, now))

    async def stream(self, request: web.Request, leader: Leader) -> web.StreamResponse:
        """Server-Sent Events: the leader's floor now, then again at every change."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        me = _Stream(leader)
        me.queue.put_nowait(await floor_now(self.pool, leader, self.clock()))
        self._streams.add(me)
        try:
            while True:
                try:
                    sites = await asyncio.wait_for(me.queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:  # a comment line: finds a browser that went away
                    await response.write(b": keepalive\n\n")
                    continue
                if sites is None:  # the server stops
                    break
                await response.write(f"data: {dumps_text({'sites': sites})}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._streams.discard(me)
        return response
