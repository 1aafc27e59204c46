"""The heap policy of a served process: survivors frozen, everything thawed at day start."""

import asyncio
import gc

from queue_server.core import heap
from tests.support.waiting import until


async def test_survivors_are_frozen_and_thawed_at_the_day_reset():
    gc.unfreeze()
    kept = [[i] for i in range(1000)]  # long-lived objects the collector tracks
    task = asyncio.create_task(heap.freeze_survivors(interval=0.01))
    try:
        await until(lambda: gc.get_freeze_count() >= len(kept), what="the survivors frozen")
    finally:
        task.cancel()
    heap.thaw()
    assert gc.get_freeze_count() == 0
    assert kept[-1] == [999]
