"""The durable store: an append-only event log and current-state tables in SQLite.

WAL with `synchronous=FULL`: once a batch's future is done, its events (with the
counters' state and the bookings, which are not in the log) survive a power cut.
The `tickets` table is a projection of the log, written behind it (at most
`PROJECTION_SECONDS`) in big transactions, and brought up to date from the log at
every start. Schema changes are numbered migrations tracked in `PRAGMA user_version`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from queue_protocol.codec import dumps_text, loads
from queue_server.core.logsummary import summarised
from queue_server.domain.booking import Booking, BookingStatus
from queue_server.domain.events import DayStarted, Event, event_from_dict
from queue_server.domain.state import CounterState, Ticket

MIGRATIONS: list[str] = [
    # 1: the event log and the current state of tickets and counters
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        at REAL NOT NULL,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        counter INTEGER,
        ticket_id INTEGER,
        data TEXT NOT NULL
    );
    CREATE INDEX events_day_started ON events(type, id);
    CREATE INDEX events_ticket ON events(ticket_id);
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        public_id TEXT NOT NULL UNIQUE,
        number TEXT NOT NULL,
        seq INTEGER NOT NULL,
        service TEXT NOT NULL,
        priority TEXT,
        request_id TEXT,
        issued_at REAL NOT NULL,
        issued_by TEXT NOT NULL,
        status TEXT NOT NULL,
        counter INTEGER,
        called_at REAL,
        ended_at REAL,
        outcome TEXT,
        recalls INTEGER NOT NULL DEFAULT 0,
        transfers INTEGER NOT NULL DEFAULT 0,
        UNIQUE (day, number),
        UNIQUE (day, request_id)
    );
    CREATE TABLE counters (
        number INTEGER PRIMARY KEY,
        status TEXT NOT NULL,
        officer TEXT,
        ticket_id INTEGER,
        pause_reason TEXT
    );
    """,
    # 2: officers' accounts, their sessions and the audit log
    """
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users(username),
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
    # 3: who finished a ticket and the citizen's rating of it
    """
    ALTER TABLE tickets ADD COLUMN officer TEXT;
    ALTER TABLE tickets ADD COLUMN rating TEXT;
    """,
    # 4: online bookings; name, phone and CCCD are erased after the retention period
    """
    CREATE TABLE bookings (
        code TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        day TEXT NOT NULL,
        slot_at REAL NOT NULL,
        created_at REAL NOT NULL,
        notice_version TEXT NOT NULL,
        name TEXT,
        phone TEXT,
        cccd TEXT,
        cancel_hash TEXT NOT NULL,
        status TEXT NOT NULL,
        ticket_id INTEGER,
        checked_in_at REAL,
        late INTEGER,
        cancelled_at REAL,
        purged_at REAL
    );
    CREATE INDEX bookings_day ON bookings(day);
    """,
    # 5: two fewer indexes to update on every event: the day starts alone are indexed
    """
    DROP INDEX events_day_started;
    DROP INDEX events_ticket;
    CREATE INDEX events_day_starts ON events(id) WHERE type = 'day_started';
    """,
    # 6: no unique index on request ids (random, so every insert touched a random page,
    # half the cost of writing a ticket row); the writer's state refuses a second
    # ticket for a request id, rebuilt from the event log at every start
    """
    CREATE TABLE tickets_new (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        public_id TEXT NOT NULL UNIQUE,
        number TEXT NOT NULL,
        seq INTEGER NOT NULL,
        service TEXT NOT NULL,
        priority TEXT,
        request_id TEXT,
        issued_at REAL NOT NULL,
        issued_by TEXT NOT NULL,
        status TEXT NOT NULL,
        counter INTEGER,
        called_at REAL,
        ended_at REAL,
        outcome TEXT,
        recalls INTEGER NOT NULL DEFAULT 0,
        transfers INTEGER NOT NULL DEFAULT 0,
        officer TEXT,
        rating TEXT,
        UNIQUE (day, number)
    );
    INSERT INTO tickets_new SELECT id, day, public_id, number, seq, service, priority,
        request_id, issued_at, issued_by, status, counter, called_at, ended_at, outcome,
        recalls, transfers, officer, rating FROM tickets;
    DROP TABLE tickets;
    ALTER TABLE tickets_new RENAME TO tickets;
    """,
    # 7: an officer's full name, for the counter screens and the report
    """
    ALTER TABLE users ADD COLUMN full_name TEXT NOT NULL DEFAULT '';
    """,
    # 8: messages to citizens (the outbox, written in the same transaction as the event
    # that causes them) and who asked to be told about a ticket; recipient, text and
    # phone are erased with the bookings' personal data
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        recipient TEXT,
        lang TEXT NOT NULL,
        text TEXT,
        subject TEXT,
        params TEXT NOT NULL DEFAULT '{}',
        day TEXT NOT NULL,
        booking TEXT,
        ticket_id INTEGER,
        created_at REAL NOT NULL,
        next_at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        provider_id TEXT,
        segments INTEGER,
        sent_at REAL,
        purged_at REAL
    );
    CREATE INDEX outbox_due ON outbox(next_at) WHERE state = 'queued';
    CREATE TABLE subscriptions (
        ticket_id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        phone TEXT,
        ahead INTEGER NOT NULL,
        lang TEXT NOT NULL,
        consent_at REAL NOT NULL,
        purged_at REAL
    );
    """,
    # 9: whether the citizen asked for the booking's confirmation and reminders by message
    """
    ALTER TABLE bookings ADD COLUMN messages INTEGER NOT NULL DEFAULT 0;
    """,
    """
    -- issue 16: the built-in dossier store (centres without a province system) and the
    -- audit of every slip printed for a dossier (first print and reprints)
    CREATE TABLE dossiers (
        code TEXT PRIMARY KEY,
        procedure_code TEXT NOT NULL,
        procedure_name TEXT NOT NULL,
        citizen_name TEXT NOT NULL,
        phone TEXT NOT NULL,
        status TEXT NOT NULL,
        received_on TEXT NOT NULL,
        due_on TEXT NOT NULL,
        unit TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        documents TEXT NOT NULL DEFAULT '[]',
        officer TEXT NOT NULL DEFAULT '',
        counter INTEGER,
        ticket_id INTEGER,
        updated_at REAL NOT NULL
    );
    CREATE INDEX dossiers_ticket ON dossiers(ticket_id) WHERE ticket_id IS NOT NULL;
    CREATE TABLE dossier_prints (
        id INTEGER PRIMARY KEY,
        code TEXT NOT NULL,
        kind TEXT NOT NULL,
        officer TEXT NOT NULL,
        counter INTEGER,
        reprint INTEGER NOT NULL,
        at REAL NOT NULL
    );
    """,
    """
    -- issue 15: the configuration, versioned; devices' tokens, hashed
    CREATE TABLE config_versions (
        version INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        author TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        document TEXT NOT NULL
    );
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        created_by TEXT NOT NULL,
        sample INTEGER NOT NULL DEFAULT 0,
        revoked_at REAL
    );
    """,
]


@dataclass(frozen=True)
class _Insert:
    """An INSERT of many rows in few statements.

    Each statement is one step inside SQLite, and the sqlite3 module gives the GIL
    up and takes it back at every step: with `executemany` that was twice a row,
    each time waiting for the busy event loop's thread. Rows go in chunks of fixed
    sizes, so only a few distinct statements need compiling.
    """

    table: str
    columns: tuple[str, ...]
    tail: str = ""  # an ON CONFLICT clause

    CHUNKS = (256, 64, 16, 4, 1)

    @functools.cache  # noqa: B019 - a handful of module-level constants
    def sql(self, rows: int) -> str:
        group = f"({', '.join('?' * len(self.columns))})"
        return (
            f"INSERT INTO {self.table} ({', '.join(self.columns)}) "
            f"VALUES {', '.join([group] * rows)}{self.tail}"
        )

    def run(self, conn: sqlite3.Connection, rows: list[tuple]) -> None:
        i = 0
        for size in self.CHUNKS:
            while len(rows) - i >= size:
                conn.execute(self.sql(size), [v for row in rows[i : i + size] for v in row])
                i += size


def _updating(columns: tuple[str, ...]) -> str:
    return " DO UPDATE SET " + ", ".join(f"{c}=excluded.{c}" for c in columns)


_INSERT_EVENT = _Insert("events", ("day", "at", "type", "actor", "counter", "ticket_id", "data"))
_TICKET_COLUMNS = (
    "id",
    "day",
    "public_id",
    "number",
    "seq",
    "service",
    "priority",
    "request_id",
    "issued_at",
    "issued_by",
    "status",
    "counter",
    "called_at",
    "ended_at",
    "outcome",
    "recalls",
    "transfers",
    "officer",
    "rating",
)
_UPSERT_TICKET = _Insert(
    "tickets", _TICKET_COLUMNS, " ON CONFLICT(id)" + _updating(_TICKET_COLUMNS[5:])
)
_UPSERT_COUNTER = _Insert(
    "counters",
    ("number", "status", "officer", "ticket_id", "pause_reason"),
    " ON CONFLICT(number)" + _updating(("status", "officer", "ticket_id", "pause_reason")),
)
_BOOKING_COLUMNS = (
    "code",
    "service",
    "day",
    "slot_at",
    "created_at",
    "notice_version",
    "name",
    "phone",
    "cccd",
    "cancel_hash",
    "status",
    "ticket_id",
    "checked_in_at",
    "late",
    "cancelled_at",
    "messages",
)
_UPSERT_BOOKING = _Insert(
    "bookings",
    _BOOKING_COLUMNS,
    " ON CONFLICT(code)"
    + _updating(("status", "ticket_id", "checked_in_at", "late", "cancelled_at")),
)

OUTBOX_COLUMNS = (
    "key",
    "channel",
    "kind",
    "recipient",
    "lang",
    "text",
    "subject",
    "params",
    "day",
    "booking",
    "ticket_id",
    "created_at",
    "next_at",
)
CONFIG_COLUMNS = ("version", "at", "author", "note", "document")
INSERT_CONFIG = _Insert("config_versions", CONFIG_COLUMNS)
# A key names a message for good: a rule that fires again (after a restart) adds nothing.
INSERT_OUTBOX = _Insert("outbox", OUTBOX_COLUMNS, " ON CONFLICT(key) DO NOTHING")
_UPSERT_SUBSCRIPTION = _Insert(
    "subscriptions",
    ("ticket_id", "day", "phone", "ahead", "lang", "consent_at"),
    " ON CONFLICT(ticket_id)" + _updating(("phone", "ahead", "lang", "consent_at")),
)


@dataclass(frozen=True)
class Durable:
    """What a batch writes beside its events: outbox rows (`OUTBOX_COLUMNS`), the keys of
    scheduled messages withdrawn, and subscriptions (ticket id, day, phone, ahead, lang,
    consent time), configuration versions."""

    outbox: list[tuple] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    subscriptions: list[tuple] = field(default_factory=list)
    config_versions: list[tuple] = field(default_factory=list)  # `CONFIG_COLUMNS`


T = TypeVar("T")
log = summarised(logging.getLogger(__name__))
# The tickets table follows the event log at most this far behind (or this many rows).
PROJECTION_SECONDS = 0.5
# Rows per projection transaction: a few milliseconds of SQLite work, so that durable
# commits queued meanwhile never wait long behind it.
PROJECTION_SLICE = 200
# Each connection's page cache, in KiB (SQLite's default is 2,000). A cache keeps every
# page it has seen until full, and as the day's log grows new pages pass through it, so
# by default the writer's and the reader's caches grew all day (≈ 0.35 MB per simulated
# hour in issue 18's soak). The pages a commit or a look-up touches again (the B-trees'
# upper levels and right edges) fit in this; the rest is in the OS's file cache.
PAGE_CACHE_KIB = 256
_PRAGMAS = (
    "journal_mode=WAL",
    "synchronous=FULL",
    "foreign_keys=ON",
    "busy_timeout=5000",
    f"cache_size=-{PAGE_CACHE_KIB}",
)


async def connect(path: str | Path) -> aiosqlite.Connection:
    """A connection with the pragmas every connection to the queue database needs."""
    db = await aiosqlite.connect(str(path), isolation_level=None)
    try:
        for pragma in _PRAGMAS:
            await db.execute(f"PRAGMA {pragma}")
    except BaseException:
        await db.close()
        raise
    return db


class StaleBatch(Exception):
    """A batch queued behind one whose commit failed: built on state that was lost."""


@dataclass(eq=False)
class _Call:
    fn: Callable[..., Any]
    args: tuple
    future: asyncio.Future


@dataclass(eq=False)
class _Commit:
    epoch: int
    rows: list[tuple]
    ticket_rows: list[tuple]
    counter_rows: list[tuple]
    booking_rows: list[tuple]
    extra: Durable
    future: asyncio.Future


class Store:
    """The writer's connection on a thread of its own, and a reader for look-ups.

    The writer thread takes every job queued for it at once. Consecutive batches
    become one transaction (one fsync for all of them), and the thread goes on to
    the next transaction without waiting for the event loop: under load a trip back
    to a busy loop costs milliseconds, more than the SQLite work itself. Callers
    hear of each batch once it is durable, in the order they queued them.

    When a transaction fails, every batch queued before the event loop has heard
    of it is refused too (`StaleBatch`): those were applied on top of the lost
    state.
    """

    def __init__(
        self,
        path: str,
        loop: asyncio.AbstractEventLoop,
        conn: sqlite3.Connection,
        reader: aiosqlite.Connection,
    ) -> None:
        self.path = path
        self._loop = loop
        self._conn = conn  # only ever used on the writer thread
        self.reader = reader  # look-ups from the HTTP edge
        self._jobs: queue.SimpleQueue[_Call | _Commit | None] = queue.SimpleQueue()
        # The epoch: how many failed transactions the event loop has heard of. A batch
        # carries the epoch it was built in; one that is older than a failure is stale.
        self._epoch = 0  # bumped (on the loop) after a failed transaction
        self._failed_epoch = -1  # written and read on the writer thread only
        # Told at once (on the loop, before any caller hears) of a failed transaction.
        self.failure_observers: list[Callable[[BaseException], None]] = []
        self.transactions = 0  # durable transactions so far, for the metrics
        # The tickets table is a projection of the event log, written behind it in big
        # transactions: ticket id → its newest row (writer thread only).
        self._projection: dict[int, tuple] = {}
        self._projected_at = time.monotonic()
        self._thread = threading.Thread(target=self._work, name="queue-db-writer", daemon=True)
        self._thread.start()

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        conn = await asyncio.to_thread(_open_writer, str(path))
        try:
            reader = await connect(path)  # after the writer migrated the schema
        except BaseException:
            conn.close()
            raise
        return cls(str(path), asyncio.get_running_loop(), conn, reader)

    def _run(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run `fn(*args)` on the writer thread, after everything queued before it."""
        future = self._loop.create_future()
        self._jobs.put(_Call(fn, args, future))
        return future

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Run `fn(connection)` on the writer thread, after the commits queued before it
        (work beside the event log: the outbox's delivery states)."""
        return self._run(fn, self._conn)

    async def close(self) -> None:
        await self.reader.close()
        await self._run(self._conn.close)
        self._jobs.put(None)
        await asyncio.to_thread(self._thread.join)

    async def load_day(self) -> tuple[list[Event], int]:
        """The events since the latest day start, and the next free ticket id."""
        return await self._run(self._load_day)

    def _load_day(self) -> tuple[list[Event], int]:
        # The literal matches the partial index events_day_starts (a parameter would not).
        (start,) = self._conn.execute(
            f"SELECT COALESCE(MAX(id), 0) FROM events WHERE type = '{DayStarted.type}'"
        ).fetchone()
        rows = self._conn.execute(
            "SELECT ticket_id, data FROM events WHERE id >= ? ORDER BY id", (start,)
        ).fetchall()
        # After a crash the event log is ahead of the tickets table: ask both.
        (stored,) = self._conn.execute("SELECT COALESCE(MAX(id), 0) FROM tickets").fetchone()
        next_id = max([stored, *(tid for tid, _ in rows if tid is not None)]) + 1
        return [event_from_dict(loads(data)) for _, data in rows], next_id

    async def config_version(self, version: int | None = None) -> tuple[int, str] | None:
        """(version, TOML document) of a configuration version (None: the latest)."""
        return await self._run(self._config_version, version)

    def _config_version(self, version: int | None) -> tuple[int, str] | None:
        row = self._conn.execute(
            "SELECT version, document FROM config_versions"
            " WHERE ? IS NULL OR version = ? ORDER BY version DESC LIMIT 1",
            (version, version),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    async def sync_tickets(self, tickets: Iterable[Ticket]) -> None:
        """Write these tickets' rows, and every row still pending, before returning.

        At start (a crash may have left the table behind the log); with no tickets,
        it waits for the table to catch up (benchmarks).
        """
        rows = [_ticket_row(t) for t in tickets]
        await self._run(self._sync_tickets, rows)

    def _sync_tickets(self, rows: list[tuple]) -> None:
        self._projection.update((row[0], row) for row in rows)
        self._project()

    def commit_batch(
        self,
        events: Iterable[tuple[str, Event]],
        tickets: Iterable[Ticket],
        counters: Iterable[CounterState],
        bookings: Iterable[Booking] = (),
        extra: Durable | None = None,
    ) -> asyncio.Future[None]:
        """Queue one batch of (business day, event) to be written in one transaction.

        Returns at once; the future is done when the batch is durable (or failed,
        all of it). An empty batch writes nothing but still keeps its place in line.
        """
        rows = [
            (
                day,
                ev.at,
                ev.type,
                ev.actor,
                getattr(ev, "counter", None),
                getattr(ev, "ticket_id", None),
                dumps_text(ev.to_dict()),
            )
            for day, ev in events
        ]
        future = self._loop.create_future()
        self._jobs.put(
            _Commit(
                self._epoch,
                rows,
                [_ticket_row(t) for t in tickets],
                [
                    (cs.number, cs.status.value, cs.officer, cs.ticket_id, cs.pause_reason)
                    for cs in counters
                ],
                [_booking_row(b) for b in bookings],
                extra or _NOTHING,
                future,
            )
        )
        return future

    # ----- the writer thread -------------------------------------------------

    def _work(self) -> None:
        while True:
            try:
                jobs = [self._jobs.get(timeout=PROJECTION_SECONDS if self._projection else None)]
            except queue.Empty:
                self._project_slice()
                continue
            with contextlib.suppress(queue.Empty):
                while True:
                    jobs.append(self._jobs.get_nowait())
            commits: list[_Commit] = []
            for job in jobs:
                if isinstance(job, _Commit):
                    commits.append(job)
                    continue
                self._commit(commits)  # what came before this job, first
                commits = []
                self._project()  # a call sees the tickets table up to date
                if job is None:
                    return
                try:
                    result = job.fn(*job.args)
                    outcome: _Settled = (job.future, result, None)
                except BaseException as exc:  # handed to the caller
                    outcome = (job.future, None, exc)
                self._loop.call_soon_threadsafe(_settle, [outcome])
            self._commit(commits)
            if (
                len(self._projection) >= PROJECTION_SLICE
                or time.monotonic() - self._projected_at >= PROJECTION_SECONDS
            ):
                self._project_slice()

    def _commit(self, commits: list[_Commit]) -> None:
        if not commits:
            return
        stale = self._failed_epoch  # batches of this epoch or older rest on lost state
        live = [job for job in commits if job.epoch > stale]
        error: BaseException | None = None
        if any(
            job.rows or job.counter_rows or job.booking_rows or job.extra.outbox for job in live
        ):
            try:
                self._write(
                    [r for job in live for r in job.rows],
                    [r for job in live for r in job.counter_rows],
                    [r for job in live for r in job.booking_rows],
                    Durable(
                        [r for job in live for r in job.extra.outbox],
                        [k for job in live for k in job.extra.withdrawn],
                        [r for job in live for r in job.extra.subscriptions],
                        [r for job in live for r in job.extra.config_versions],
                    ),
                )
                self.transactions += 1
            except BaseException as exc:  # handed to the callers
                error = exc
                self._failed_epoch = max(job.epoch for job in live)
        if error is None:
            for job in live:
                self._projection.update((row[0], row) for row in job.ticket_rows)
        settled = [
            (job.future, None, error if job.epoch > stale else StaleBatch()) for job in commits
        ]
        self._loop.call_soon_threadsafe(self._settle_commits, settled, error)

    def _settle_commits(self, settled: list, error: BaseException | None) -> None:
        if error is not None:  # later batches start a new epoch; the ones before it are refused
            self._epoch += 1
            for observe in self.failure_observers:
                observe(error)  # the writer stops applying before anything else runs
        _settle(settled)

    def _write(
        self,
        rows: list[tuple],
        counter_rows: list[tuple],
        booking_rows: list[tuple],
        extra: Durable,
    ) -> None:
        """The durable part: events, counters, bookings and subscriptions (personal data
        is not in the log), and the messages these events cause (the outbox)."""
        self._transaction(
            (
                (_INSERT_EVENT, rows),
                (_UPSERT_COUNTER, counter_rows),
                (_UPSERT_BOOKING, booking_rows),
                (_UPSERT_SUBSCRIPTION, extra.subscriptions),
                (INSERT_OUTBOX, extra.outbox),
                (INSERT_CONFIG, extra.config_versions),
            ),
            extra.withdrawn,
        )

    def _project(self) -> None:
        """Bring the tickets table up to the events written so far."""
        while self._projection and self._project_slice():
            pass

    def _project_slice(self) -> bool:
        """Write the oldest `PROJECTION_SLICE` pending ticket rows; False if that failed."""
        self._projected_at = time.monotonic()
        ids = list(itertools.islice(self._projection, PROJECTION_SLICE))
        if not ids:
            return True
        try:
            self._transaction(
                ((_UPSERT_TICKET, [self._projection[i] for i in ids]),), durable=False
            )
        except Exception:  # the events are safe; try again next time
            log.exception("tickets table not updated; will retry")
            return False
        for i in ids:
            del self._projection[i]
        return True

    def _transaction(
        self,
        work: tuple[tuple[_Insert, list[tuple]], ...],
        withdrawn: Sequence[str] = (),
        durable: bool = True,
    ) -> None:
        """One transaction. Not `durable` (the tickets table): no fsync of its own — the
        log can rebuild it, and the next durable commit's fsync covers these pages of
        the write-ahead log too."""
        conn = self._conn
        if not durable:
            conn.execute("PRAGMA synchronous=NORMAL")
        try:
            self._transaction_on(conn, work, withdrawn)
        finally:
            if not durable:
                conn.execute("PRAGMA synchronous=FULL")

    @staticmethod
    def _transaction_on(
        conn: sqlite3.Connection,
        work: tuple[tuple[_Insert, list[tuple]], ...],
        withdrawn: Sequence[str],
    ) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for insert, table_rows in work:
                insert.run(conn, table_rows)
            if withdrawn:  # scheduled messages no longer wanted (a cancelled booking)
                conn.executemany(
                    "UPDATE outbox SET state = 'withdrawn' WHERE key = ? AND state = 'queued'",
                    [(k,) for k in withdrawn],
                )
            conn.execute("COMMIT")
        except BaseException:
            # A full disk (SQLITE_FULL) has rolled the transaction back already; a
            # second ROLLBACK would raise and hide the cause from the log.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    async def events_of_days(
        self, first: str, last: str, page: int = 5000, after: int = 0
    ) -> AsyncIterator[list[tuple[int, str]]]:
        """(id, JSON) of every event of the business days `first`…`last` (with an id
        above `after`), in log order, a page at a time, as committed so far (short reads
        on the look-up connection: the writer goes on, no snapshot is held between pages)."""
        async with self.reader.execute(  # the literal matches the partial index
            f"SELECT id, day FROM events WHERE type = '{DayStarted.type}' ORDER BY id"
        ) as cur:
            starts = await cur.fetchall()
        begin = next((i for i, day in starts if day >= first), None)
        end = next((i for i, day in starts if day > last), None)
        if begin is not None:
            begin = max(begin, after + 1)
        while begin is not None:
            async with self.reader.execute(
                "SELECT id, data FROM events WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                (begin, end if end is not None else 2**62, page),
            ) as cur:
                rows = [tuple(row) for row in await cur.fetchall()]
            if rows:
                yield rows
            begin = rows[-1][0] + 1 if len(rows) == page else None

    async def newest_event_id(self) -> int:
        """The id of the newest committed event (0: none yet)."""
        async with self.reader.execute("SELECT COALESCE(MAX(id), 0) FROM events") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def booking_counts(self, first: str, last: str) -> dict[tuple[str, bool], int]:
        """(status, late) → how many bookings for the days `first`…`last`."""
        async with self.reader.execute(
            "SELECT status, COALESCE(late, 0), COUNT(*) FROM bookings "
            "WHERE day BETWEEN ? AND ? GROUP BY 1, 2",
            (first, last),
        ) as cur:
            return {(status, bool(late)): n for status, late, n in await cur.fetchall()}

    async def ticket_by_public_id(self, public_id: str) -> dict | None:
        """A ticket of any day, as stored (for look-ups of tickets no longer in memory)."""
        async with self.reader.execute(
            f"SELECT {', '.join(_TICKET_COLUMNS)} FROM tickets WHERE public_id = ?",
            (public_id,),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else dict(zip(_TICKET_COLUMNS, row, strict=True))

    async def ticket_history(self, ticket_id: int) -> list[dict[str, Any]]:
        """What happened to one ticket, in order: {at, type, actor, counter} and the
        event's own fields that say more (reason, outcome, to_service, recall)."""
        async with self.reader.execute(
            "SELECT data FROM events WHERE ticket_id = ? ORDER BY id", (ticket_id,)
        ) as cur:
            rows = await cur.fetchall()
        keep = ("at", "type", "actor", "counter", "reason", "outcome", "to_service", "recall")
        return [{k: v for k, v in loads(data).items() if k in keep} for (data,) in rows]

    async def load_bookings(self, since_day: str) -> list[Booking]:
        """The bookings of `since_day` and later, for the writer's state at start-up."""
        return await self._run(self._load_bookings, since_day)

    def _load_bookings(self, since_day: str) -> list[Booking]:
        rows = self._conn.execute(
            f"SELECT {', '.join(_BOOKING_COLUMNS)} FROM bookings WHERE day >= ?", (since_day,)
        ).fetchall()
        out = []
        for row in rows:
            data = dict(zip(_BOOKING_COLUMNS, row, strict=True))
            data["status"] = BookingStatus(data["status"])
            data["late"] = None if data["late"] is None else bool(data["late"])
            data["messages"] = bool(data["messages"])
            out.append(Booking(**data))
        return out

    async def load_subscriptions(self, day: str) -> dict[int, str | None]:
        """Ticket id → phone of the day's subscriptions (the event log has no phones)."""
        return await self._run(self._load_subscriptions, day)

    def _load_subscriptions(self, day: str) -> dict[int, str | None]:
        rows = self._conn.execute(
            "SELECT ticket_id, phone FROM subscriptions WHERE day = ?", (day,)
        ).fetchall()
        return dict(rows)

    async def purge_personal_data(self, before_day: str, now: float) -> int:
        """Erase name, phone and CCCD of bookings for days before `before_day`; how many."""
        return await self._run(self._purge, before_day, now)

    def _purge(self, before_day: str, now: float) -> int:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "UPDATE bookings SET name = NULL, phone = NULL, cccd = NULL, purged_at = ? "
                "WHERE day < ? AND purged_at IS NULL",
                (now, before_day),
            )
            conn.execute(
                "UPDATE subscriptions SET phone = NULL, purged_at = ? "
                "WHERE day < ? AND purged_at IS NULL",
                (now, before_day),
            )
            # A dossier whose result was handed over before then needs no contact any more
            # (issue 16); it can no longer be looked up by phone digits.
            conn.execute(
                "UPDATE dossiers SET citizen_name = '', phone = '' "
                "WHERE status = 'returned' AND due_on < ? AND phone != ''",
                (before_day,),
            )
            # A message not sent by then never will be: its recipient is gone.
            conn.execute(
                "UPDATE outbox SET recipient = NULL, text = NULL, params = '{}', purged_at = ?, "
                "state = CASE WHEN state = 'queued' THEN 'failed' ELSE state END, "
                "reason = CASE WHEN state = 'queued' THEN 'purged' ELSE reason END "
                "WHERE day < ? AND purged_at IS NULL",
                (now, before_day),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return cur.rowcount


_NOTHING = Durable()
_Settled = tuple[asyncio.Future, Any, BaseException | None]


def _settle(settled: list[_Settled]) -> None:
    """On the loop: hand the writer thread's results to their futures, in order."""
    for future, result, error in settled:
        if future.done():  # its caller gave up waiting
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


def _booking_row(b: Booking) -> tuple:
    return (
        b.code,
        b.service,
        b.day,
        b.slot_at,
        b.created_at,
        b.notice_version,
        b.name,
        b.phone,
        b.cccd,
        b.cancel_hash,
        b.status.value,
        b.ticket_id,
        b.checked_in_at,
        None if b.late is None else int(b.late),
        b.cancelled_at,
        int(b.messages),
    )


def _open_writer(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in _PRAGMAS:
            conn.execute(f"PRAGMA {pragma}")
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version > len(MIGRATIONS):
            raise RuntimeError(f"the database is from a newer version (schema {version})")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            conn.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
    except BaseException:
        conn.close()
        raise
    return conn


def _ticket_row(t: Ticket) -> tuple:
    return (
        t.id,
        t.day,
        t.public_id,
        t.number,
        t.seq,
        t.service,
        t.priority,
        t.request_id,
        t.issued_at,
        t.issued_by,
        t.status.value,
        t.counter,
        t.called_at,
        t.ended_at,
        t.outcome,
        t.recalls,
        t.transfers,
        t.officer,
        t.rating,
    )


BACKUP_PATTERN = "queue-*.db"


def backup(
    path: str | Path, directory: str | Path, *, keep: int = 14, now: float | None = None
) -> Path:
    """A consistent copy of the database at `path` in `directory`, safe while the server
    writes (SQLite's online backup of one read snapshot), checked with
    `PRAGMA integrity_check`; then only the newest `keep` copies stay. Its path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    target = directory / BACKUP_PATTERN.replace("*", stamp)
    partial = target.with_suffix(".partial")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no database at {path}")
    source = sqlite3.connect(str(path))  # only read, but a WAL reader needs the -shm
    try:
        source.execute("PRAGMA busy_timeout=5000")
        with sqlite3.connect(partial) as copy:
            # One step, one read snapshot: in WAL mode a reader never blocks the writer,
            # and a copy made in many steps would start over at every commit.
            source.backup(copy)
            (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
        copy.close()
    finally:
        source.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"the copy failed its integrity check: {verdict}")
    partial.replace(target)
    for old in sorted(directory.glob(BACKUP_PATTERN))[:-keep]:
        old.unlink()
    return target
