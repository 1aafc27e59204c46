"""The heap watcher (a debugging aid, `core/heapwatch.py`): off unless asked, and when
asked it writes what the heap is made of, the types that grew among it."""

import gc
import json
import threading

import pytest

from queue_server.core import heapwatch
from tests.support.waiting import until


class Grown:
    """A type of our own, made many of while the watcher runs."""


async def test_off_unless_the_environment_asks(monkeypatch):
    monkeypatch.delenv("XEPHANG_HEAPWATCH", raising=False)
    assert heapwatch.start_from_env() is None


async def test_writes_the_heap_and_the_types_that_grew(tmp_path, monkeypatch):
    out = tmp_path / "heap.jsonl"
    monkeypatch.setenv("XEPHANG_HEAPWATCH", str(out))
    monkeypatch.setenv("XEPHANG_HEAPWATCH_SECONDS", "0.05")
    task = heapwatch.start_from_env()
    assert task is not None
    try:
        await until(out.exists, what="the first line")
        kept = [Grown() for _ in range(500)]
        gc.freeze()  # frozen objects are counted too
        kept.append(Grown())

        def grown_seen() -> bool:
            lines = [json.loads(line) for line in out.read_text().splitlines()]
            return any(dict(line["types_grown"]).get("Grown", 0) >= 500 for line in lines)

        await until(grown_seen, what="the grown type listed")
    finally:
        task.cancel()
        gc.unfreeze()
    line = json.loads(out.read_text().splitlines()[-1])
    assert line["rss"] > 0 and line["objects"] > 500
    assert {"malloc", "pymalloc", "resident", "frozen", "gc_count", "last_sweeps_ms"} <= line.keys()
    assert {"anonymous", "malloc_arenas", "sqlite", "sqlite_page_caches"} <= line.keys()
    assert len(kept) == 501


def test_glibcs_arenas_and_the_maps_that_hold_them_are_told_apart():
    """Each thread that mallocs may get an arena of its own (issue 18's soak)."""
    if not heapwatch.malloc_arenas():
        pytest.skip("glibc's malloc_info")
    started, done = threading.Barrier(4), threading.Event()

    def work() -> None:  # holds a few MB in its thread's arena until told
        kept = [bytearray(1000) for _ in range(2000)]
        started.wait()
        done.wait()
        assert len(kept) == 2000

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    started.wait()
    try:
        arenas, maps = heapwatch.malloc_arenas(), heapwatch.anonymous_maps()
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert arenas and arenas[0]["system"] > 0
    assert maps["stack_count"] >= 3 and maps["brk"] > 0
    assert maps["thread_heap_count"] == len(arenas) - 1
    # The threads' bytes, resident in their arenas (the main one too, if glibc's arenas
    # are limited in this process: `heap.limit_malloc_arenas`).
    assert maps["thread_heaps"] + maps["brk"] >= 3 * 2000 * 1000
