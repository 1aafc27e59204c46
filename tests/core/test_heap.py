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


async def _sweeps_while_freezing(monkeypatch, freezes: int) -> int:
    """How many sweeps `freeze_survivors` makes over `freezes` freezes."""
    swept = 0
    frozen = 0
    real_sweep, real_freeze = heap.sweep, gc.freeze

    def counted_sweep() -> float:
        nonlocal swept
        swept += 1
        return real_sweep()

    def counted_freeze() -> None:
        nonlocal frozen
        frozen += 1
        real_freeze()

    monkeypatch.setattr(heap, "sweep", counted_sweep)
    monkeypatch.setattr(gc, "freeze", counted_freeze)
    task = asyncio.create_task(heap.freeze_survivors())
    try:
        await until(lambda: frozen >= freezes, what=f"{freezes} freezes")
    finally:
        task.cancel()
    return swept


async def test_the_paced_sweep_waits_for_what_a_sweep_of_the_frozen_heap_costs(monkeypatch):
    """A sweep's pause grows with the frozen heap; the first one used to come
    `SWEEP_MIN_SECONDS` after start-up whatever the heap (issue 15's benchmark: ≈ 100 ms in
    the second of a configuration change). Now it waits what the heap frozen now would
    cost ÷ `SWEEP_SHARE`."""
    gc.unfreeze()
    kept = [[i] for i in range(200_000)]
    gc.collect()
    gc.freeze()
    monkeypatch.setattr(heap, "FREEZE_SECONDS", 0.005)
    monkeypatch.setattr(heap, "SWEEP_MIN_SECONDS", 0.01)
    monkeypatch.setattr(heap, "_per_block", 100e-9)  # 600,000 blocks or more: ≥ 60 ms
    monkeypatch.setattr(heap, "SWEEP_SHARE", 0.001)  # … every minute at most
    assert heap.sweep_interval() >= 20.0
    assert await _sweeps_while_freezing(monkeypatch, 30) == 0  # 30 × 5 ms ≫ 10 ms
    monkeypatch.setattr(heap, "SWEEP_SHARE", 100.0)  # the same heap at a share of 100×: 1 ms
    assert heap.sweep_interval() < 0.1
    assert await _sweeps_while_freezing(monkeypatch, 30) >= 1
    assert kept[-1] == [199_999]
    heap.sweep()


def test_a_sweep_learns_its_cost_per_block(monkeypatch):
    gc.unfreeze()
    kept = [[i] for i in range(50_000)]
    gc.collect()
    gc.freeze()
    monkeypatch.setattr(heap, "_per_block", 1.0)  # absurd: a sweep must replace it
    cost = heap.sweep()
    assert 0 < heap._per_block < 10e-6  # tens of nanoseconds a block, not a second
    assert cost / heap._per_block >= 50_000  # the blocks it was measured over
    assert kept[0] == [0]


async def test_young_collections_wait_for_the_turn_while_turns_run(monkeypatch):
    """Between turns CPython's own collections of the young generation would walk what the
    next turn collects anyway (at 4,000 tickets/s ≈ 17 pauses a second); while
    `freeze_survivors` runs they come every `YOUNG_THRESHOLD` allocations, and the
    thresholds are as before once it stops."""
    monkeypatch.setattr(heap, "FREEZE_SECONDS", 60.0)  # no turn during the test
    before = gc.get_threshold()
    task = asyncio.create_task(heap.freeze_survivors())
    await asyncio.sleep(0)  # it starts
    try:
        young = gc.get_stats()[0]["collections"]
        kept = [[i] for i in range(100_000)]  # 100,000 allocations of tracked objects
        collections = gc.get_stats()[0]["collections"] - young
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(kept) == 100_000
    # 700 allocations apart (CPython's default) would be ≈ 140 collections.
    assert collections <= 100_000 // heap.YOUNG_THRESHOLD + 1
    assert gc.get_threshold() == before
