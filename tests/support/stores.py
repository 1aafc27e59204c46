"""Either store behind the same writer, for tests parametrised over both (issue 19):
a SQLite file, or a database on the session's throw-away PostgreSQL cluster opened the
way a server opens it (the lock taken, the schema migrated, the lease's epoch)."""

from __future__ import annotations

from pathlib import Path

from queue_server.core.store import Store
from queue_server.core.storekind import pgstore_wanted


async def open_store(db: str | Path) -> Store:
    """The store of `db` (a path or a postgresql:// URL); `close_store` closes it."""
    if not pgstore_wanted(db):
        return await Store.open(db)
    from queue_server.core.leader import Leadership
    from queue_server.core.pgstore import PgStore

    # No takeover grace: these tests are of the store, not of two servers' timing.
    leadership = Leadership(str(db), grace=0)
    await leadership.acquire(lambda _reason: None)
    store = await PgStore.open_pg(str(db), leadership)
    store.leadership = leadership  # type: ignore[attr-defined]
    return store


async def close_store(store: Store) -> None:
    await store.close()
    leadership = getattr(store, "leadership", None)
    if leadership is not None:
        await leadership.release()


def issued(db: str | Path) -> list[tuple[int, str, str | None]]:
    """(ticket id, number, request id) of every `ticket_issued` in the event log, in log
    order, read straight from the database (a SQLite file or PostgreSQL)."""
    if pgstore_wanted(db):
        import psycopg

        with psycopg.connect(str(db)) as conn:
            rows = conn.execute(
                "SELECT data::jsonb FROM events WHERE type = 'ticket_issued' ORDER BY id"
            ).fetchall()
        data = [row[0] for row in rows]
    else:
        import json
        import sqlite3

        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT data FROM events WHERE type = 'ticket_issued' ORDER BY id"
            ).fetchall()
        data = [json.loads(row[0]) for row in rows]
    return [(ev["ticket_id"], ev["number"], ev.get("request_id")) for ev in data]


def ticket_rows(db: str | Path) -> dict[int, str]:
    """ticket id → number, from the tickets table (the projection behind the log)."""
    if pgstore_wanted(db):
        import psycopg

        with psycopg.connect(str(db)) as conn:
            return dict(conn.execute("SELECT id, number FROM tickets").fetchall())
    import sqlite3

    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT id, number FROM tickets").fetchall())
