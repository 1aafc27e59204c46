"""The durable store on PostgreSQL (issue 19), chosen by `--db postgresql://…`.

The same writer as on SQLite — `core/store.py`'s `Store`: its thread, group commit
(every batch queued meanwhile in one transaction), answers only after the commit, the
epochs that refuse batches built on a failed one, the tickets table written behind
the log. What differs is underneath: the writer thread's connection is a psycopg
connection behind `pgdialect.SqliteLike` (so the SQL of `Store` and of the writers
beside it runs unchanged), the look-ups go through `pgdialect.AsyncReader`, and every
transaction is fenced on the lease (`fence`; why: `core/leader.py`).

A transaction that fails because the database went away (a restart, a cut) refuses its
batches (`unavailable` to the callers, who retry with their request ids); the engine
reloads the day, which waits here until the database answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import psycopg

from queue_protocol.errors import QueueError
from queue_server.core import pgschema
from queue_server.core import store as sqlite_store
from queue_server.core.accounts import Accounts
from queue_server.core.leader import Leadership
from queue_server.core.pgdialect import AsyncReader, SqliteLike
from queue_server.domain.events import Event

log = logging.getLogger(__name__)

# How long loading the day waits for a database that is restarting.
RELOAD_WAIT_SECONDS = 60.0


class Fenced(QueueError):
    """This instance is no longer the active one: it may not write. Its callers (the
    writer's batches, `Store.write` of the accounts or the admin screen) answer
    `unavailable`: the clients try again, on the active instance."""

    def __init__(self, reason: str) -> None:
        super().__init__("unavailable", reason)


class PgStore(sqlite_store.Store):
    """`Store` on PostgreSQL, writing only while its lease epoch is the database's."""

    def __init__(
        self,
        dsn: str,
        loop: asyncio.AbstractEventLoop,
        lease: int,
        leadership: Leadership | None = None,
    ) -> None:
        self.lease = lease
        self.leadership = leadership  # its `lost` fences this store at once
        self.fenced: str | None = None  # why this instance may no longer write
        self.fence_observers: list[Callable[[str], None]] = []
        self._closing = False
        self.sql = SqliteLike(dsn, self._check_lease)
        reader = AsyncReader(dsn)
        # `SqliteLike` and `AsyncReader` speak the subset of sqlite3/aiosqlite used.
        super().__init__(dsn, loop, cast(Any, self.sql), cast(Any, reader))

    @classmethod
    async def open_pg(cls, dsn: str, leadership: Leadership) -> PgStore:
        """The store of an instance that holds the lock and took the lease
        (`Leadership.acquire`, which migrated the schema)."""
        store = cls(dsn, asyncio.get_running_loop(), leadership.epoch, leadership)
        try:
            await store._run(lambda: store.sql.raw)  # connect now: fail at start, not later
        except BaseException:
            await store.close()
            raise
        return store

    def fence(self, reason: str) -> None:
        """Stop writing at once (called on the loop, e.g. when the lock's session ends)."""
        if self.fenced is None:
            self.fenced = reason
            for observe in self.fence_observers:
                observe(reason)

    def _check_lease(self, conn: psycopg.Connection) -> None:
        """First statement of every transaction (writer thread): still the active one?"""
        if self.fenced is None and self.leadership is not None:
            self.fenced = self.leadership.lost  # before the loop hears of it
        if self.fenced is not None:
            raise Fenced(self.fenced)
        cur = conn.execute(
            "UPDATE lease SET beat = %s WHERE id = 1 AND epoch = %s", (time.time(), self.lease)
        )
        if cur.rowcount != 1:
            reason = f"another instance took over (lease epoch {self.lease} is no longer current)"
            self.fenced = reason
            self._loop.call_soon_threadsafe(self._tell_fenced, reason)
            raise Fenced(reason)

    def _tell_fenced(self, reason: str) -> None:
        log.error("%s; stopping writes", reason)
        for observe in self.fence_observers:
            observe(reason)

    def _transaction(
        self,
        work: tuple[tuple[sqlite_store._Insert, list[tuple]], ...],
        withdrawn: Sequence[str] = (),
    ) -> None:
        sql = self.sql
        sql.begin()  # fenced
        try:
            conn = sql.raw
            for insert, table_rows in work:
                _insert(conn, insert, table_rows)
            if withdrawn:
                with conn.cursor() as cur:
                    cur.executemany(
                        "UPDATE outbox SET state = 'withdrawn' WHERE key = %s AND state = 'queued'",
                        [(k,) for k in withdrawn],
                    )
            conn.execute("COMMIT")
        except BaseException:
            sql.rollback()
            raise

    async def close(self) -> None:
        self._closing = True  # a load waiting for the database gives up
        await super().close()

    def _load_day(self) -> tuple[list[Event], int]:
        deadline = time.monotonic() + RELOAD_WAIT_SECONDS
        while True:
            try:
                return super()._load_day()
            except psycopg.OperationalError as err:
                if time.monotonic() > deadline or self._closing:
                    raise
                log.warning("loading the day: database not reachable (%s); retrying", err)
                time.sleep(0.5)  # the writer thread has nothing else to do meanwhile

    def _config_version(self, version: int | None) -> tuple[int, str] | None:
        # `? IS NULL` (as on SQLite) leaves PostgreSQL a parameter of no known type.
        if version is None:
            sql = "SELECT version, document FROM config_versions ORDER BY version DESC LIMIT 1"
            row = self._conn.execute(sql).fetchone()
        else:
            sql = "SELECT version, document FROM config_versions WHERE version = ?"
            row = self._conn.execute(sql, (version,)).fetchone()
        return None if row is None else (row[0], row[1])


def _insert(conn: psycopg.Connection, insert: sqlite_store._Insert, rows: list[tuple]) -> None:
    """`_Insert.run` on PostgreSQL: a plain INSERT (the event log) as one COPY, an upsert
    in PostgreSQL's placeholders, many rows a statement, few statements."""
    if not rows:
        return
    if not insert.tail:  # no ON CONFLICT: COPY, several times cheaper for the server
        with conn.cursor().copy(_copy_sql(insert)) as copy:
            for row in rows:
                copy.write_row(row)
        return
    i = 0
    for size in insert.CHUNKS:
        while len(rows) - i >= size:
            conn.execute(
                _pg_sql(insert, size),
                [v for row in rows[i : i + size] for v in row],
            )
            i += size


_SQL: dict[tuple[int, int], str] = {}


def _copy_sql(insert: sqlite_store._Insert) -> str:
    return f"COPY {insert.table} ({', '.join(insert.columns)}) FROM STDIN"


def _pg_sql(insert: sqlite_store._Insert, rows: int) -> str:
    key = (id(insert), rows)
    text = _SQL.get(key)
    if text is None:
        text = _SQL[key] = insert.sql(rows).replace("?", "%s")
    return text


async def open_accounts(dsn: str) -> Accounts:
    """The accounts of a PostgreSQL database for the command line (`user add|disable|
    list`), beside a running server: changes in transactions of their own, as on SQLite
    (a session or a password is not part of the queue's log: no lease is needed). The
    schema is migrated first (under its own lock), a newer one refused."""
    await asyncio.to_thread(_migrated, dsn)
    return Accounts(cast(Any, AsyncReader(dsn, writes=True)))


def _migrated(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        pgschema.migrate(conn)
