"""The event-loop lag probe behind `xephang_loop_lag_seconds` (bench/bench_soak.py reads it)."""

import asyncio
import time

from queue_server.core.eventloop import watch_lag
from tests.support.waiting import until


async def test_a_blocked_loop_shows_as_lag():
    seen: list[float] = []
    task = asyncio.create_task(watch_lag(seen.append, interval=0.01))
    try:
        await until(lambda: len(seen) >= 3, what="the probe running")
        before = len(seen)
        time.sleep(0.08)  # the loop held, as a long broadcast or a full collection would
        await until(lambda: len(seen) > before, what="the next probe")
        assert seen[before] >= 0.05
        assert min(seen[:before]) < 0.05
    finally:
        task.cancel()
