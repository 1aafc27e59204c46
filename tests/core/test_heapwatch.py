"""The heap watcher (a debugging aid, `core/heapwatch.py`): off unless asked, and when
asked it writes what the heap is made of, the types that grew among it."""

import gc
import json

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
    assert len(kept) == 501
