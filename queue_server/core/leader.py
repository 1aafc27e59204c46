"""Which of two server instances on one PostgreSQL database is active (issue 19).

- **The lock.** An instance becomes active by taking a session-level advisory lock
  (`pg_try_advisory_lock`, asked again every `POLL_SECONDS` while it stands by) on a
  connection of its own that does nothing else. PostgreSQL frees the lock when that
  session ends: the process died (the kernel closes its socket at once), or its
  connection was cut (noticed by TCP keepalives, a few seconds).
- **The lease, the fencing token.** The lock alone cannot stop an instance that lost it
  without knowing (a partition) from writing: its writer's connection is another
  session. So the new active instance, holding the lock, increments `lease.epoch`
  (one row), and every transaction of the writer starts with
  `UPDATE lease … WHERE epoch = <mine>` (`PgStore.fence`). That UPDATE and the
  takeover's increment lock the same row: the increment waits for a batch of the old
  instance in flight to commit (it is then in the log the new one loads), and every
  later batch of the old instance finds the epoch moved, touches no row, and rolls
  back — whatever the timing of the partition, and even if the old instance never
  hears that it lost the lock. (`pg_try_advisory_xact_lock` in each batch would not
  do: the writer's session is not the one holding the session lock, and a
  transaction-level lock taken per batch would let two instances alternate.)
- **Stopping before the other starts.** The lock's session is checked every
  `WATCH_SECONDS`; when it has not answered for `LOST_AFTER_SECONDS`, the instance is
  told (`on_lost`): it stops writing at once (its store is fenced) and stops serving,
  to come back as a standby. Its last answer came before its session ended, so it
  stops at most `LOST_AFTER_SECONDS` after the lock was freed; a standby that takes
  the lock waits `TAKEOVER_GRACE_SECONDS` (longer) before it writes or answers. So the
  old instance has stopped answering before the new one starts — even when the
  database frees the lock at once (a real partition takes PostgreSQL's keepalive
  time, longer still). Only durations on each machine are compared, not clocks.
- **Migrations** run by the instance holding the lock, after taking it: two instances
  started at once never migrate together. A database of a newer schema is refused
  before waiting, with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg

from queue_server.core import pgschema
from queue_server.core.pgdialect import KEEPALIVES

log = logging.getLogger(__name__)
T = TypeVar("T")

LOCK_KEY = 0x58455048  # "XEPH": the site's writer
POLL_SECONDS = 0.25
WATCH_SECONDS = 0.5  # between checks that the lock's session is alive
# The active instance stops when its lock's session has not answered for this long…
LOST_AFTER_SECONDS = 2.0
# …and a standby that took the lock waits this long before it writes: by then an
# instance that held the lock until its session ended has stopped (see the docstring).
TAKEOVER_GRACE_SECONDS = LOST_AFTER_SECONDS + 1.0


def instance_name() -> str:
    """host:pid, as the lease row and the log show it."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    """The advisory lock's session, and the epoch this instance took over with."""

    def __init__(self, dsn: str, name: str | None = None) -> None:
        self.dsn = dsn
        self.name = name or instance_name()
        self.epoch = 0
        self.role = "standby"  # then "active"; "lost" once the lock is gone
        self.became_active_at: float | None = None
        self._conn: psycopg.AsyncConnection | None = None
        self._watch: asyncio.Task | None = None
        self._last_ok = 0.0
        self._closing: asyncio.Task | None = None

    async def check_schema(self) -> int:
        """Refuse (`SchemaTooNew`) a database a newer server migrated; its version."""
        return await asyncio.to_thread(_with_connection, self.dsn, pgschema.refuse_newer)

    async def acquire(self, on_lost: Callable[[str], None]) -> int:
        """Wait for the lock (standing by), migrate, take the lease; the new epoch.

        `on_lost(reason)` is called once if the lock's session ends afterwards.
        """
        await self.check_schema()
        waited = False
        while True:
            try:
                if self._conn is None or self._conn.closed or self._conn.broken:
                    self._conn = await psycopg.AsyncConnection.connect(
                        self.dsn,
                        autocommit=True,
                        application_name="xephang-lock",
                        **KEEPALIVES,  # type: ignore[arg-type]
                    )
                cur = await self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
                row = await cur.fetchone()
                if row and row[0]:
                    break
            except psycopg.OperationalError as err:
                log.warning("standby: database not reachable (%s); retrying", err)
                await self._drop()
            if not waited:
                log.info("standby: another instance is active; waiting for its lock")
                waited = True
            await asyncio.sleep(POLL_SECONDS)
        try:
            # The instance that held the lock before may not know yet that it lost it
            # (a partition): it stops within `LOST_AFTER_SECONDS`; wait that out.
            log.info("lock taken; taking over in %.1f s", TAKEOVER_GRACE_SECONDS)
            await asyncio.sleep(TAKEOVER_GRACE_SECONDS)
            await asyncio.to_thread(_with_connection, self.dsn, pgschema.migrate)
            assert self._conn is not None
            # Waits for a batch of the previous instance still in flight (row lock).
            cur = await self._conn.execute(
                "UPDATE lease SET epoch = epoch + 1, holder = %s, since = %s WHERE id = 1"
                " RETURNING epoch",
                (self.name, time.time()),
            )
            row = await cur.fetchone()
            assert row is not None
        except BaseException:
            await self.release()
            raise
        self.epoch = int(row[0])
        self.role = "active"
        self.became_active_at = time.time()
        log.info("active: lock taken, lease epoch %d (%s)", self.epoch, self.name)
        self._watch = asyncio.create_task(self._watching(on_lost), name="leader-watch")
        return self.epoch

    async def _watching(self, on_lost: Callable[[str], None]) -> None:
        """Lost when the lock's session has not answered for `LOST_AFTER_SECONDS` (a
        probe that hangs counts from its start: no waiting for a cancellation to reach
        a database that cannot be reached)."""
        self._last_ok = time.monotonic()
        probe = asyncio.create_task(self._probing(), name="leader-probe")
        try:
            while True:
                await asyncio.sleep(WATCH_SECONDS / 4)
                silent = time.monotonic() - self._last_ok
                if probe.done() or silent > LOST_AFTER_SECONDS:
                    error = probe.exception() if probe.done() and not probe.cancelled() else None
                    why = f"{type(error).__name__}: {error}" if error else f"silent {silent:.1f} s"
                    break
        finally:
            probe.cancel()
        reason = f"lost the database lock ({why})"
        log.error("%s; stopping writes", reason)
        self.role = "lost"
        on_lost(reason)
        conn, self._conn = self._conn, None
        if conn is not None:  # closed in the background: it may hang on a dead link
            self._closing = asyncio.create_task(_close_quietly(conn))

    async def _probing(self) -> None:
        while True:
            assert self._conn is not None
            await self._conn.execute("SELECT 1")
            self._last_ok = time.monotonic()
            await asyncio.sleep(WATCH_SECONDS)

    async def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
        self._conn = None

    async def release(self) -> None:
        """Let the lock go (a clean stop: the standby takes over at once)."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
            self._watch = None
        await self._drop()
        if self.role == "active":
            self.role = "stopped"


async def _close_quietly(conn: psycopg.AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await conn.close()


def _with_connection(dsn: str, fn: Callable[[psycopg.Connection], T]) -> T:
    with psycopg.connect(dsn, autocommit=True, **KEEPALIVES) as conn:  # type: ignore[arg-type]
        return fn(conn)
