"""The site's shipper: its event log, read from the site's SQLite file, sent in order to
the province server in batches, until the province server has all of it.

Store and forward. The site server never waits for the shipper nor knows of it: the
shipper is a process of its own reading the database (WAL: a reader never blocks the
writer). It keeps no cursor of its own: it asks the province server where its log
stands (`acked`), sends the events after that, and goes on from the `acked` of each
answer. A lost answer, a killed shipper, a restarted database: the next batch is
refused as `out_of_order` with the true position, and shipping goes on from there —
no event skipped, none stored twice.

Link down or province server busy: it waits (`Retry-After`, or backing off up to
`MAX_BACKOFF`) and tries again; the events wait in the site's database. A refusal it
cannot cure by waiting (a forged or revoked token, a schema the province server does
not know yet) is logged as an error once and retried slowly (`REFUSED_RETRY`), the
backlog kept. `status` says where it stands: the lag in events and in seconds; it is
also written next to the database (`core/shipper_status.py`) for the site's /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import aiosqlite

from queue_protocol.codec import dumps, loads
from queue_server.core import shipper_status
from queue_server.core.store import connect
from queue_server.domain.replication import MAX_EVENTS, SCHEMA_VERSION

log = logging.getLogger(__name__)
BATCH = 2000  # events per batch: big enough for catch-up, small enough to retry
IDLE_SECONDS = 0.5  # how often to look for new events when there is nothing to send
HEARTBEAT_SECONDS = 10.0  # an empty batch when idle: "online", and where the log stands
MAX_BACKOFF = 30.0
REFUSED_RETRY = 60.0
TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5)


@dataclass
class Status:
    acked: int | None = None  # what the province server has, as last told
    head: int = 0  # the newest event here
    head_at: float | None = None
    acked_at: float | None = None  # the time of the newest event the province has
    first_at: float | None = None  # the time of the first event not yet shipped
    refused: str = ""  # why the province server refuses us ("" when it does not)
    failures: int = 0  # consecutive failed attempts
    acked_wall: float | None = None  # when (wall clock) the province last acknowledged
    last_error: str = ""  # the last failure, kept after recovery
    last_error_at: float | None = None

    @property
    def lag_events(self) -> int:
        return self.head - (self.acked or 0)

    @property
    def lag_seconds(self) -> float:
        """From the newest event the province has to the newest here (the site's clock)."""
        if self.head_at is None or self.lag_events <= 0:
            return 0.0
        if self.acked_at is None:  # the province has nothing yet: since the first event
            return 0.0 if self.first_at is None else max(0.0, self.head_at - self.first_at)
        return max(0.0, self.head_at - self.acked_at)


class Refused(Exception):
    """The province server refuses us for a reason waiting does not cure."""


class Shipper:
    def __init__(
        self,
        db: str | Path,
        central: str,
        site: str,
        token: str,
        meta: dict[str, Any] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        schema: int = SCHEMA_VERSION,
        batch: int = BATCH,
    ) -> None:
        self.db, self.central, self.site, self.token = str(db), central.rstrip("/"), site, token
        self.meta, self.clock, self.schema = meta, clock, schema
        self.batch = min(batch, MAX_EVENTS)
        self.status = Status()
        known = shipper_status.read_status(self.db) or {}  # a restarted shipper's last word
        self._known_acked, self.status.acked_wall = known.get("acked"), known.get("acked_at")
        self.status.last_error = str(known.get("last_error") or "")
        self.status.last_error_at = known.get("last_error_at")
        self._written_at = -1e9
        self._meta_sent = False
        self._reader: aiosqlite.Connection | None = None
        self._http: aiohttp.ClientSession | None = None
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Ship until cancelled."""
        self._http = aiohttp.ClientSession(
            timeout=TIMEOUT, headers={"Authorization": f"Bearer {self.token}"}
        )
        try:
            while True:
                try:
                    await self._ship()
                except Refused as why:
                    if self.status.refused != str(why):
                        log.error("the province server refuses this site: %s", why)
                    self.status.refused = str(why)
                    self._failed(f"refused: {why}")
                    await self._pause(REFUSED_RETRY)
                except (aiohttp.ClientError, OSError, TimeoutError, sqlite3.Error) as err:
                    # the link, the province server, or a site database not made yet
                    self.status.failures += 1
                    self._failed(f"{type(err).__name__}: {err}")
                    delay = min(MAX_BACKOFF, 0.5 * 2 ** min(self.status.failures, 6))
                    log.warning("cannot ship now (%s); again in %.1f s", err, delay)
                    await self._pause(delay)
        finally:
            await self._http.close()
            if self._reader is not None:
                await self._reader.close()

    def _failed(self, why: str) -> None:
        self.status.last_error, self.status.last_error_at = why, time.time()
        self._write_status(force=True)

    def _write_status(self, force: bool = False) -> None:
        """Where shipping stands, for the site's /metrics (at most once a second)."""
        now = time.time()
        if not force and now - self._written_at < shipper_status.WRITE_SECONDS:
            return
        self._written_at = now
        s = self.status
        shipper_status.write_status(
            self.db,
            {
                "acked": s.acked if s.acked is not None else self._known_acked,
                "acked_at": s.acked_wall,
                "failing": bool(s.failures or s.refused),
                "last_error": s.last_error,
                "last_error_at": s.last_error_at,
                "updated_at": now,
            },
        )

    def wake(self) -> None:
        """Stop waiting and try now (tests; a link back up)."""
        self._wake.set()

    async def _pause(self, seconds: float) -> None:
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _ship(self) -> None:
        if self.status.acked is None:
            self.status.acked = await self._ask_state()
            self.status.acked_wall = time.time()
        idle_since = time.monotonic()
        while True:
            self._write_status()
            rows = await self._read(self.status.acked)
            if rows or time.monotonic() - idle_since >= HEARTBEAT_SECONDS or not self._meta_sent:
                await self._send(rows)
                idle_since = time.monotonic()
                if len(rows) == self.batch:
                    continue  # catching up: no pause between batches
            await self._pause(IDLE_SECONDS)

    async def _db(self) -> aiosqlite.Connection:
        if self._reader is None:
            self._reader = await connect(self.db)
        return self._reader

    async def _read(self, after: int) -> list[list[Any]]:
        db = await self._db()
        async with db.execute(
            "SELECT id, day, at, type, data FROM events WHERE id > ? ORDER BY id LIMIT ?",
            (after, self.batch),
        ) as cur:
            rows = [list(r) for r in await cur.fetchall()]
        async with db.execute("SELECT id, at FROM events ORDER BY id DESC LIMIT 1") as cur:
            newest = await cur.fetchone()
        if newest is not None:
            self.status.head, self.status.head_at = newest[0], newest[1]
        async with db.execute("SELECT at FROM events WHERE id = ?", (after,)) as cur:
            acked = await cur.fetchone()
        self.status.acked_at = None if acked is None else acked[0]
        self.status.first_at = rows[0][2] if rows else None
        return rows

    async def _ask_state(self) -> int:
        assert self._http is not None
        async with self._http.get(
            f"{self.central}/api/replication/state", params={"site": self.site}
        ) as resp:
            body = await self._answer(resp)
        return int(body["acked"])

    async def _send(self, rows: list[list[Any]]) -> None:
        assert self._http is not None and self.status.acked is not None
        body: dict[str, Any] = {
            "schema": self.schema,
            "site": self.site,
            "after": self.status.acked,
            "head": self.status.head,
            "head_at": self.status.head_at,
            "sent_at": self.clock(),
            "events": rows,
        }
        if not self._meta_sent and self.meta is not None:
            body["meta"] = self.meta
        async with self._http.post(
            f"{self.central}/api/replication/batch",
            data=dumps(body),
            headers={"Content-Type": "application/json"},
        ) as resp:
            answer = await self._answer(resp)
        recovered = bool(self.status.failures or self.status.refused)
        self.status.acked, self.status.acked_wall = int(answer["acked"]), time.time()
        self._meta_sent = True
        self.status.failures, self.status.refused = 0, ""
        self._write_status(force=recovered)

    async def _answer(self, resp: aiohttp.ClientResponse) -> dict[str, Any]:
        """The body of a good answer; what to do about the others."""
        try:
            body = loads(await resp.read())
        except ValueError:
            body = {}
        if resp.status == 200:
            return body
        error = body.get("error", {}) if isinstance(body, dict) else {}
        if resp.status == 409 and "acked" in body:  # go on from where it really stands
            log.info("the province server has up to %s; going on from there", body["acked"])
            return body
        if resp.status in (401, 403, 422, 400):
            raise Refused(f"{resp.status} {error.get('code')}: {error.get('detail') or ''}")
        retry = resp.headers.get("Retry-After")
        if retry is not None:
            await self._pause(float(retry))
        raise aiohttp.ClientResponseError(
            resp.request_info, (), status=resp.status, message=str(error.get("code"))
        )
