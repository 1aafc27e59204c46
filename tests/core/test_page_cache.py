"""Issue 18's soak: SQLite's page caches (the writer's and the reader's) kept every page
they had seen, up to 2 MB each, so they grew with the day's log (≈ 0.35 MB per simulated
hour). They are now held to `PAGE_CACHE_KIB` each (`core/store.py`)."""

from __future__ import annotations

import os
import sqlite3

import pytest

from queue_server.core import heapwatch
from queue_server.core.store import PAGE_CACHE_KIB, Store

ROWS = 2_000  # ≈ 4 MB of pages: twice what a cache of SQLite's default size holds
ROW_BYTES = 2_000
KiB = 1024


@pytest.mark.skipif(heapwatch.sqlite_page_caches() is None, reason="the system's libsqlite3")
async def test_the_page_caches_stay_small_while_the_database_grows(tmp_path):
    before = heapwatch.sqlite_page_caches() or 0
    store = await Store.open(tmp_path / "q.db")
    try:

        def fill(conn: sqlite3.Connection) -> None:  # on the writer's connection
            conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB)")
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO filler (data) VALUES (?)",
                ((os.urandom(ROW_BYTES),) for _ in range(ROWS)),
            )
            conn.execute("COMMIT")

        await store.write(fill)
        async with store.reader.execute("SELECT data FROM filler") as cur:  # every page read
            assert len(await cur.fetchall()) == ROWS
        grown = (heapwatch.sqlite_page_caches() or 0) - before
    finally:
        await store.close()
    # Two connections, each at most its cache (and SQLite's ≈ 10 % per page on top);
    # with SQLite's default both held ≈ 2 MB: ≈ 4 MB.
    assert grown <= 2 * PAGE_CACHE_KIB * KiB * 1.3, f"{grown / KiB:.0f} KiB"
