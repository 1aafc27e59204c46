"""The durable store: an append-only event log and current-state tables in SQLite.

WAL with `synchronous=FULL`: once `commit_batch` returns, the batch survives a
power cut. Schema changes are numbered migrations tracked in `PRAGMA user_version`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import aiosqlite

from .domain.events import DayStarted, Event, event_from_dict
from .domain.state import CounterState, Ticket

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
]

_TICKET_COLUMNS = ("id", "day", "public_id", "number", "seq", "service", "priority",
                   "request_id", "issued_at", "issued_by", "status", "counter", "called_at",
                   "ended_at", "outcome", "recalls", "transfers")
_UPSERT_TICKET = (
    f"INSERT INTO tickets ({', '.join(_TICKET_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_TICKET_COLUMNS))}) "
    "ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c}=excluded.{c}" for c in _TICKET_COLUMNS[5:])
)
_UPSERT_COUNTER = (
    "INSERT INTO counters (number, status, officer, ticket_id, pause_reason) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(number) DO UPDATE SET status=excluded.status, "
    "officer=excluded.officer, ticket_id=excluded.ticket_id, pause_reason=excluded.pause_reason"
)


class Store:
    """One write connection (owned by the writer) and short read queries."""

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self.db = db
        self.path = path

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        db = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            store = cls(db, str(path))
            await store._migrate()
        except BaseException:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        await self.db.close()

    async def _migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cur:
            (version,) = await cur.fetchone()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.db.executescript(
                f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    async def load_day(self) -> tuple[list[Event], int]:
        """The events since the latest day start, and the next free ticket id."""
        async with self.db.execute(
            "SELECT data FROM events WHERE id >= COALESCE("
            "(SELECT MAX(id) FROM events WHERE type = ?), 0) ORDER BY id",
            (DayStarted.type,),
        ) as cur:
            events = [event_from_dict(json.loads(row[0])) async for row in cur]
        async with self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM tickets") as cur:
            (next_id,) = await cur.fetchone()
        return events, next_id

    async def commit_batch(self, events: Iterable[tuple[str, Event]],
                           tickets: Iterable[Ticket], counters: Iterable[CounterState]) -> None:
        """Write one batch of (business day, event) in one transaction; all of it or none."""
        rows = [(day, ev.at, ev.type, ev.actor, getattr(ev, "counter", None),
                 getattr(ev, "ticket_id", None), json.dumps(ev.to_dict(), ensure_ascii=False))
                for day, ev in events]
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            await self.db.executemany(
                "INSERT INTO events (day, at, type, actor, counter, ticket_id, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            await self.db.executemany(_UPSERT_TICKET, [_ticket_row(t) for t in tickets])
            await self.db.executemany(_UPSERT_COUNTER, [
                (cs.number, cs.status.value, cs.officer, cs.ticket_id, cs.pause_reason)
                for cs in counters])
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise

    async def ticket_by_public_id(self, public_id: str) -> dict | None:
        """A ticket of any day, as stored (for look-ups of tickets no longer in memory)."""
        async with self.db.execute(
            f"SELECT {', '.join(_TICKET_COLUMNS)} FROM tickets WHERE public_id = ?",
            (public_id,),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else dict(zip(_TICKET_COLUMNS, row, strict=True))


def _ticket_row(t: Ticket) -> tuple:
    return (t.id, t.day, t.public_id, t.number, t.seq, t.service, t.priority, t.request_id,
            t.issued_at, t.issued_by, t.status.value, t.counter, t.called_at, t.ended_at,
            t.outcome, t.recalls, t.transfers)
