"""Issue 18's soak: glibc gave each thread of the server that mallocs (the writer,
SQLite's reader thread, the sign-ins' scrypt pool, the executor) an arena of its own,
each keeping its own free fragments and high-water mark. The server now limits them at
start (`core/heap.py` `limit_malloc_arenas`); an operator's `MALLOC_ARENA_MAX` decides
instead when set."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from queue_server.core import heap, heapwatch
from tests.support.servers import ServerProcess, database_with_officers
from tests.support.waiting import until

PASSWORD = "mat-khau-dang-nhap-01"
OFFICERS = 4


@pytest.mark.skipif(not heapwatch.malloc_arenas(), reason="glibc's malloc_info")
async def test_the_servers_threads_share_a_few_malloc_arenas(tmp_path, monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    watch = tmp_path / "heap.jsonl"
    monkeypatch.setenv("XEPHANG_HEAPWATCH", str(watch))  # the child inherits it
    monkeypatch.setenv("XEPHANG_HEAPWATCH_SECONDS", "0.2")
    db = tmp_path / "q.db"
    await database_with_officers(db, OFFICERS, PASSWORD)
    server = ServerProcess(db)
    server.start()
    try:
        async with aiohttp.ClientSession() as http:

            async def sign_in(n: int) -> int:  # scrypt on the server's hashing threads
                body = {"username": f"can-bo-{n}", "password": PASSWORD}
                async with http.post(f"{server.base}/api/login", json=body) as resp:
                    return resp.status

            assert await asyncio.gather(*(sign_in(n) for n in range(OFFICERS))) == [200] * OFFICERS
        await until(watch.exists, what="the heap watcher's first line")
        seen = len(watch.read_text().splitlines())

        await until(
            lambda: len(watch.read_text().splitlines()) > seen, what="a line after the sign-ins"
        )
        line = json.loads(watch.read_text().splitlines()[-1])
    finally:
        server.stop()
    # The threads were there and had malloced: the writer, the reader, the hashing pool.
    assert line["anonymous"]["stack_count"] >= 3, line["anonymous"]
    # Without the limit: one arena each (8 here), the main thread's included.
    assert len(line["malloc_arenas"]) <= heap.MALLOC_ARENAS, line["malloc_arenas"]


def test_an_operators_arena_setting_is_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert heap.limit_malloc_arenas() is False
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=8")
    assert heap.limit_malloc_arenas() is False
