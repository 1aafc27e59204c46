"""Issue 18: officers signing in together must not leave the server tens of MB larger,
nor fail while the writer is busy.

Each sign-in runs scrypt (16 MiB). Run on the default executor's threads, every thread
kept a malloc arena that size for good (glibc raises its mmap threshold after the first
big block is freed): 30 sign-ins at once took the server from ≈ 48 to ≈ 145 MB. Hashing
now runs on a small pool of its own and the threshold is pinned (`core/heap.py`)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from pathlib import Path

import aiohttp
import pytest

from tests.support.servers import PASSWORD as SERVER_PASSWORD
from tests.support.servers import ServerProcess, add_officer, database_with_officers, running_server

OFFICERS = 16
PASSWORD = "mat-khau-dang-nhap-01"
MiB = 1 << 20


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc")
async def test_officers_signing_in_together_leave_no_memory_behind(tmp_path):
    db = tmp_path / "q.db"
    await database_with_officers(db, OFFICERS, PASSWORD)
    server = ServerProcess(db)
    server.start()
    try:
        assert server.proc is not None
        before = rss(server.proc.pid)
        async with aiohttp.ClientSession() as http:

            async def sign_in(n: int) -> int:
                body = {"username": f"can-bo-{n}", "password": PASSWORD}
                async with http.post(f"{server.base}/api/login", json=body) as resp:
                    return resp.status

            for _ in range(2):  # twice: the second round must not grow it either
                assert (
                    await asyncio.gather(*(sign_in(n) for n in range(OFFICERS))) == [200] * OFFICERS
                )
        grown = rss(server.proc.pid) - before
        # without the fix: 32–100 MB (one 16 MiB arena per thread that hashed)
        assert grown < 12 * MiB, f"RSS grew {grown / MiB:.1f} MiB"
    finally:
        server.stop()


async def test_a_sign_in_while_the_writer_holds_the_database_waits_its_turn(tmp_path):
    """Seen in the soak: "database is locked" and a 500 on sign-in. The accounts wrote on a
    connection of their own beside a writer that commits without pause, and SQLite gave up
    after its 5 s busy timeout. Their writes now queue on the single writer."""
    async with running_server(tmp_path / "q.db") as (base, server):
        await add_officer(server, "an")
        held = threading.Event()

        def hold(conn: sqlite3.Connection) -> None:  # a long stretch of commits, in one
            conn.execute("BEGIN IMMEDIATE")
            held.set()
            time.sleep(6)  # longer than SQLite's busy timeout
            conn.execute("COMMIT")

        holding = server.store.write(hold)
        await asyncio.to_thread(held.wait)
        async with aiohttp.ClientSession() as http:
            body = {"username": "an", "password": SERVER_PASSWORD}
            async with http.post(f"{base}/api/login", json=body) as resp:
                assert resp.status == 200, await resp.text()
        await holding
