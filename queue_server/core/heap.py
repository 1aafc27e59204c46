"""Keep Python's cyclic garbage collector from pausing the server under load.

The day's tickets are hundreds of thousands of long-lived objects. CPython's full
collection walks every tracked object each time the old generation has grown by a
quarter: at 100,000 tickets that is a pause of tens of milliseconds, which was most
of the server's 99th-percentile latency. Once a second everything not yet frozen is
collected (cheap: frozen objects are not walked) and whatever survived is frozen
(`gc.freeze`): moved where collections no longer look.

Frozen objects are still freed by reference counting, but not when they die in a
cycle: a connection's objects (aiohttp's request, protocol and websocket refer to
each other) are frozen while it is open and become unreachable garbage when it
closes. Left there, every reconnecting phone would keep ≈ 10 KB until the night.
So now and then everything is thawed and collected once (`sweep`), paced by its own
cost: a sweep runs at most `SWEEP_SHARE` of the time and at least
`SWEEP_MIN_SECONDS` after the last one — every ten seconds or so on a centre's day
(a few milliseconds each), every couple of minutes on a heap of a million objects.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import time

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 1 << 20
FREEZE_SECONDS = 1.0
SWEEP_MIN_SECONDS = 10.0
SWEEP_SHARE = 0.001  # of the event loop's time spent on full sweeps, at most


async def freeze_survivors() -> None:
    """Run forever: collect what is not frozen and freeze the survivors, each
    `FREEZE_SECONDS`; sweep everything when its turn comes (see the module's text)."""
    loop = asyncio.get_running_loop()
    next_sweep = loop.time() + SWEEP_MIN_SECONDS
    while True:
        await asyncio.sleep(FREEZE_SECONDS)
        if loop.time() >= next_sweep:
            cost = sweep()
            next_sweep = loop.time() + max(SWEEP_MIN_SECONDS, cost / SWEEP_SHARE)
        else:
            gc.collect()
        gc.freeze()


def sweep() -> float:
    """Give frozen objects back to the collector and collect everything; the seconds it
    took. Also run at the day reset: yesterday's tickets are gone."""
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    return time.perf_counter() - started


def pin_mmap_threshold(size: int = MMAP_THRESHOLD) -> bool:
    """Blocks of `size` bytes and more get their own memory map, given back when freed.

    glibc raises this threshold each time such a block is freed (up to 32 MiB), after
    which big blocks come from the malloc arenas and stay there: each sign-in's scrypt
    (16 MiB) kept its thread's arena that large for good. Pinning it stops that. True
    when the C library took it (glibc); elsewhere nothing changes.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, size))
