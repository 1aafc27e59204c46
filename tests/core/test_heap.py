"""The heap policy of a served process: survivors frozen, frozen garbage swept, everything
thawed at day start."""

import asyncio
import gc

from queue_server.core import heap
from tests.support.waiting import until


async def test_survivors_are_frozen_and_thawed_at_the_day_reset(monkeypatch):
    gc.unfreeze()
    monkeypatch.setattr(heap, "FREEZE_SECONDS", 0.01)
    kept = [[i] for i in range(1000)]  # long-lived objects the collector tracks
    task = asyncio.create_task(heap.freeze_survivors())
    try:
        await until(lambda: gc.get_freeze_count() >= len(kept), what="the survivors frozen")
    finally:
        task.cancel()
    heap.sweep()
    assert gc.get_freeze_count() == 0
    assert kept[-1] == [999]
