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
import functools
import itertools
import logging
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import psycopg

from queue_protocol.codec import dumps_text
from queue_protocol.errors import QueueError
from queue_server.core import pgschema
from queue_server.core import store as sqlite_store
from queue_server.core.accounts import Accounts
from queue_server.core.leader import Leadership
from queue_server.core.pgdialect import AsyncReader, SqliteLike, Statement
from queue_server.core.pgprojection import Projector
from queue_server.domain.events import Event

log = logging.getLogger(__name__)

# How long loading the day waits for a database that is restarting.
RELOAD_WAIT_SECONDS = 60.0
# The interpreter's GIL switch interval in a server on PostgreSQL (Python's default is
# 5 ms). The writer thread gives the GIL up at every call into the database and waits,
# to take it back, for the busy event loop's thread to reach the switch interval: at
# 4,000 tickets/s on 2 cores a transaction took ≈ 15–85 ms at 5 ms and ≈ 4–11 ms at
# 1 ms in the runs where the server got its share of the cores (docs/performance.md,
# issue 19; a busy machine made both slow). SQLite's writer did not gain from it.
SWITCH_INTERVAL_SECONDS = 0.001


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
        self.sql = SqliteLike(dsn, self._check_lease, self._refusal)
        reader = AsyncReader(dsn)
        # `SqliteLike` and `AsyncReader` speak the subset of sqlite3/aiosqlite used.
        # The tickets table on a connection and thread of its own (`core/pgprojection.py`),
        # there before the writer thread starts.
        projection_sql = SqliteLike(dsn, self._check_lease, self._refusal)
        self._projector = Projector(
            lambda rows: projection_sql.transaction(
                [_insert(sqlite_store._UPSERT_TICKET, rows)], durable=False, fence_last=True
            ),
            Fenced,
        )
        self._projection_sql = projection_sql
        super().__init__(dsn, loop, cast(Any, self.sql), cast(Any, reader))

    @classmethod
    async def open_pg(cls, dsn: str, leadership: Leadership) -> PgStore:
        """The store of an instance that holds the lock and took the lease
        (`Leadership.acquire`, which migrated the schema)."""
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
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

    def _check_lease(self) -> Statement:
        """The lease check of every transaction (writer and projection threads): still
        the active one? The database's refusal arrives with the transaction's answer
        (`_refusal`)."""
        if self.fenced is None and self.leadership is not None:
            self.fenced = self.leadership.lost  # before the loop hears of it
        if self.fenced is not None:
            raise Fenced(self.fenced)
        return ("SELECT xephang_fence(%s, %s)", (self.lease, time.time()))

    def _refusal(self, err: psycopg.Error) -> Fenced | None:
        """`Fenced` if the database refused the lease check (None: another error)."""
        if err.sqlstate != pgschema.FENCED_SQLSTATE:
            return None
        reason = f"another instance took over (lease epoch {self.lease} is no longer current)"
        if self.fenced is None:
            self.fenced = reason
            self._loop.call_soon_threadsafe(self._tell_fenced, reason)
        return Fenced(reason)

    def _tell_fenced(self, reason: str) -> None:
        log.error("%s; stopping writes", reason)
        for observe in self.fence_observers:
            observe(reason)

    def _transaction(
        self,
        work: tuple[tuple[sqlite_store._Insert, list[tuple]], ...],
        withdrawn: Sequence[str] = (),
        durable: bool = True,
    ) -> None:
        """One round trip: BEGIN, the lease check, one statement per table, the
        withdrawals, COMMIT (`SqliteLike.transaction`). `synchronous_commit` stays on
        for every durable transaction; only the tickets table (`durable=False`)
        commits without waiting for its WAL flush."""
        statements = [_insert(insert, rows) for insert, rows in work if rows]
        statements += [
            ("UPDATE outbox SET state = 'withdrawn' WHERE key = %s AND state = 'queued'", (k,))
            for k in withdrawn
        ]
        self.sql.transaction(statements, durable=durable)

    def _project_slice(self) -> bool:
        """Hand the oldest pending ticket rows to the projection thread (writer thread)."""
        self._projected_at = time.monotonic()
        ids = list(itertools.islice(self._projection, sqlite_store.PROJECTION_SLICE))
        if ids:
            self._projector.put([self._projection.pop(i) for i in ids])
        return True

    def _project(self) -> None:
        """Bring the tickets table up to the events written so far (writer thread)."""
        while self._projection:
            self._project_slice()
        self._projector.drain()

    async def close(self) -> None:
        self._closing = True  # a load waiting for the database gives up
        await super().close()
        await asyncio.to_thread(self._projector.close)
        self._projection_sql.close()

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


def _insert(insert: sqlite_store._Insert, rows: list[tuple]) -> Statement:
    """`_Insert.run` on PostgreSQL: all the rows as one JSON parameter of one statement
    (`_json_sql`), whatever their number. An upsert keeps the newest row of a key: one
    statement may not update a row twice."""
    key = _upsert_key(insert)
    if key is not None and len(rows) > 1:
        rows = list({row[key]: row for row in rows}.values())
    columns = insert.columns
    return (_json_sql(insert), (dumps_text([dict(zip(columns, r, strict=True)) for r in rows]),))


@functools.cache
def _json_sql(insert: sqlite_store._Insert) -> str:
    """INSERT … SELECT from the rows of a JSON array of objects, typed by the table's own
    row type, in the array's order (the event log's ids follow it)."""
    columns = ", ".join(insert.columns)
    return (
        f"INSERT INTO {insert.table} ({columns}) SELECT {columns} "
        f"FROM json_populate_recordset(NULL::{insert.table}, %s::json) WITH ORDINALITY "
        f"ORDER BY ordinality{insert.tail}"
    )


@functools.cache
def _upsert_key(insert: sqlite_store._Insert) -> int | None:
    """The position of the conflict column of an `ON CONFLICT(c) DO UPDATE` (None: none)."""
    found = re.match(r"\s*ON CONFLICT\((\w+)\) DO UPDATE", insert.tail)
    return None if found is None else insert.columns.index(found[1])


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
