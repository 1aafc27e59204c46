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
  `UPDATE lease … WHERE epoch = <mine>` (the function `xephang_fence`, which refuses
  the transaction when no row matched; `PgStore._check_lease`). That UPDATE and the
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
import threading
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
LOST_AFTER_SECONDS = 3.0
# …and a standby that took the lock waits this long before it writes: by then an
# instance that held the lock until its session ended has stopped (see the docstring).
TAKEOVER_GRACE_SECONDS = LOST_AFTER_SECONDS + 1.0


def instance_name() -> str:
    """host:pid, as the lease row and the log show it."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    """The advisory lock's session, and the epoch this instance took over with.

    The lock's session is a synchronous connection, probed from a thread of its own and
    judged by another (`_probing`, `_watchdog`): a busy event loop (thousands of tickets
    a second on a small machine) must neither make a live session look dead nor delay
    noticing a dead one.
    """

    def __init__(
        self, dsn: str, name: str | None = None, grace: float = TAKEOVER_GRACE_SECONDS
    ) -> None:
        self.dsn = dsn
        self.name = name or instance_name()
        self.grace = grace  # the takeover grace; only tests of one instance shorten it
        self.epoch = 0
        self.role = "standby"  # then "active"; "lost" once the lock is gone
        self.lost: str | None = None  # why, once lost (set on the watchdog's thread)
        self.became_active_at: float | None = None
        self._conn: psycopg.Connection | None = None
        self._last_ok = 0.0
        self._probe_error: BaseException | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    async def check_schema(self) -> int:
        """Refuse (`SchemaTooNew`) a database a newer server migrated; its version."""
        return await asyncio.to_thread(_with_connection, self.dsn, pgschema.refuse_newer)

    def _try_lock(self) -> bool:
        try:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._conn = psycopg.connect(
                    self.dsn,
                    autocommit=True,
                    application_name="xephang-lock",
                    **KEEPALIVES,  # type: ignore[arg-type]
                )
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
            return bool(row and row[0])
        except psycopg.OperationalError as err:
            log.warning("standby: database not reachable (%s); retrying", err)
            self._close()
            return False

    def _take_lease(self) -> int:
        assert self._conn is not None
        # Waits for a batch of the previous instance still in flight (row lock).
        row = self._conn.execute(
            "UPDATE lease SET epoch = epoch + 1, holder = %s, since = %s WHERE id = 1"
            " RETURNING epoch",
            (self.name, time.time()),
        ).fetchone()
        assert row is not None
        return int(row[0])

    async def acquire(self, on_lost: Callable[[str], None]) -> int:
        """Wait for the lock (standing by), migrate, take the lease; the new epoch.

        `on_lost(reason)` is called once, on the event loop, if the lock's session ends
        afterwards (`lost` is set at once, on the watchdog's thread).
        """
        await self.check_schema()
        waited = False
        while not await asyncio.to_thread(self._try_lock):
            if not waited:
                log.info("standby: another instance is active; waiting for its lock")
                waited = True
            await asyncio.sleep(POLL_SECONDS)
        try:
            # The instance that held the lock before may not know yet that it lost it
            # (a partition): it stops within `LOST_AFTER_SECONDS`; wait that out.
            log.info("lock taken; taking over in %.1f s", self.grace)
            await asyncio.sleep(self.grace)
            await asyncio.to_thread(_with_connection, self.dsn, pgschema.migrate)
            self.epoch = await asyncio.to_thread(self._take_lease)
        except BaseException:
            await self.release()
            raise
        self.role = "active"
        self.became_active_at = time.time()
        log.info("active: lock taken, lease epoch %d (%s)", self.epoch, self.name)
        loop = asyncio.get_running_loop()
        self._last_ok = time.monotonic()
        self._threads = [
            threading.Thread(target=self._probing, name="leader-probe", daemon=True),
            threading.Thread(
                target=self._watchdog, args=(loop, on_lost), name="leader-watchdog", daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()
        return self.epoch

    def _probing(self) -> None:
        """Ask the lock's session every `WATCH_SECONDS`; note when it last answered."""
        conn = self._conn
        assert conn is not None
        try:
            while not self._stop.is_set():
                conn.execute("SELECT 1")
                self._last_ok = time.monotonic()
                self._stop.wait(WATCH_SECONDS)
        except Exception as err:  # the session (and its lock) is gone
            self._probe_error = err
        finally:
            if self._stop.is_set():
                self._close()

    def _watchdog(self, loop: asyncio.AbstractEventLoop, on_lost: Callable[[str], None]) -> None:
        """Lost when the session has not answered for `LOST_AFTER_SECONDS` (a probe that
        hangs on a dead link counts from its last answer) or its probe failed."""
        while not self._stop.wait(WATCH_SECONDS / 4):
            silent = time.monotonic() - self._last_ok
            error = self._probe_error
            if error is None and silent <= LOST_AFTER_SECONDS:
                continue
            why = f"{type(error).__name__}: {error}" if error else f"silent {silent:.1f} s"
            self.lost = f"lost the database lock ({why})"
            self.role = "lost"
            log.error("%s; stopping writes", self.lost)
            loop.call_soon_threadsafe(on_lost, self.lost)
            return

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    async def release(self) -> None:
        """Let the lock go (a clean stop: the standby takes over at once)."""
        self._stop.set()
        probe = self._threads[0] if self._threads else None
        if probe is not None:  # it closes the session; not waited for on a dead link
            await asyncio.to_thread(probe.join, 2 * WATCH_SECONDS)
        else:
            await asyncio.to_thread(self._close)
        if self.role == "active":
            self.role = "stopped"


def _with_connection(dsn: str, fn: Callable[[psycopg.Connection], T]) -> T:
    with psycopg.connect(dsn, autocommit=True, **KEEPALIVES) as conn:  # type: ignore[arg-type]
        return fn(conn)
