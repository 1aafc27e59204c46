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
`SWEEP_MIN_SECONDS` after the last one — every ten seconds or so on a small heap,
every couple of minutes on a heap of a million objects. Its cost is known only after a
sweep, so the next one is paced by an estimate: the heap's size now (pymalloc's blocks
in use: `gc.get_freeze_count` walks the frozen list, ≈ 20 ms a million objects) times
the seconds per block the last sweep took (`SWEEP_SECONDS_PER_BLOCK` before the first),
looked at no more often than every `SWEEP_MIN_SECONDS`.
Otherwise the first sweep came `SWEEP_MIN_SECONDS` after start-up whatever the heap —
during a morning rush, 15,000 tickets in, a pause of ≈ 100 ms (issue 15's benchmark
saw it land in the second of a configuration change) — and a heap that grew tenfold
since a cheap sweep was swept as often as the small one was.

That pacing alone let a day of reconnecting phones grow the heap (issue 18's soak,
≈ 100 % of the starting RSS per simulated hour): 300 phones each reconnecting every
few minutes close ≈ 15 connections a second, nearly all frozen while open, and a
sweep of a heap whose cost grew with the garbage came only every minute or two. So
the websocket endpoint also counts the connections that end (`connection_closed`):
once `SWEEP_AFTER_CLOSES` have ended since the last sweep, a sweep is due as well,
paced at most `CLOSES_SWEEP_SHARE` of the time. Their garbage stays bounded by
about `SWEEP_AFTER_CLOSES` connections' worth (≈ 10 KB each), whatever the churn.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import os
import sys
import time

# Between two turns CPython collects the young generation itself every 700 allocations
# of tracked objects (and the middle one every tenth time), walking the same young
# objects the next turn collects anyway: at 4,000 tickets/s ≈ 17 collections a second of
# ≈ 0.7 ms and a middle one of 4–20 ms — ≈ 1.7 % of the loop's time, in pauses that land
# on requests (docs/performance.md, issue 19). While turns run, that happens only every
# `YOUNG_THRESHOLD` allocations: the young garbage waits for the turn, a second at most.
YOUNG_THRESHOLD = 20_000
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters
M_ARENA_MAX = -8
MMAP_THRESHOLD = 1 << 20
MALLOC_ARENAS = 2  # glibc's arenas at most (the main thread's and one for the others)
FREEZE_SECONDS = 1.0
SWEEP_MIN_SECONDS = 10.0
SWEEP_SHARE = 0.001  # of the event loop's time spent on full sweeps, at most
SWEEP_SECONDS_PER_BLOCK = 40e-9  # a sweep's cost per pymalloc block, until one is measured
# Connections ended since the last sweep that make one due (512 until issue 18's second
# pass: half the garbage between sweeps, ≈ 3 MB less RSS in the soak).
SWEEP_AFTER_CLOSES = 256
CLOSES_SWEEP_SHARE = 0.02  # of the loop's time, at most, for sweeps due to those

_closed = 0  # connections ended since the last sweep
# The last sweeps (for core/heapwatch.py): seconds each took, pymalloc blocks left after.
sweeps: list[tuple[float, int]] = []


def connection_closed() -> None:
    """A connection ended: its objects may be frozen garbage now (see the module's text)."""
    global _closed
    _closed += 1


async def freeze_survivors() -> None:
    """Run forever: collect what is not frozen and freeze the survivors, each
    `FREEZE_SECONDS`; sweep everything when its turn comes (see the module's text)."""
    loop = asyncio.get_running_loop()
    # The first turn sweeps: start-up's garbage goes at once (issue 18's idle memory).
    next_look = last_sweep = loop.time() - SWEEP_MIN_SECONDS
    next_closes_sweep = loop.time()  # when enough connections have ended
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *thresholds[1:])
    try:
        while True:
            await asyncio.sleep(FREEZE_SECONDS)
            now = loop.time()
            paced = False
            if now >= next_look:  # the heap only grew since: the sweep's turn only moved later
                next_look = last_sweep + sweep_interval()
                paced = now >= next_look
            if paced or (_closed >= SWEEP_AFTER_CLOSES and now >= next_closes_sweep):
                cost = sweep()
                now = last_sweep = loop.time()
                next_look = now + SWEEP_MIN_SECONDS
                next_closes_sweep = now + cost / CLOSES_SWEEP_SHARE
            else:
                gc.collect()
            gc.freeze()
    finally:
        gc.set_threshold(*thresholds)


def sweep_interval() -> float:
    """Seconds from one paced sweep to the next: what a sweep of the heap as it is now is
    expected to cost ÷ `SWEEP_SHARE`, and at least `SWEEP_MIN_SECONDS`."""
    return max(SWEEP_MIN_SECONDS, sys.getallocatedblocks() * _per_block / SWEEP_SHARE)


_per_block = SWEEP_SECONDS_PER_BLOCK  # the seconds per pymalloc block the last sweep took


def sweep() -> float:
    """Give frozen objects back to the collector and collect everything; the seconds it
    took. Also run at the day reset: yesterday's tickets are gone.

    What the collection freed and glibc keeps (free chunks between used ones: 2–5 MB
    through issue 18's soak) is then given back to the system (`malloc_trim`)."""
    global _closed, _per_block
    _closed = 0
    blocks = sys.getallocatedblocks()
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    trim_malloc()
    cost = time.perf_counter() - started
    if blocks >= 40_000:  # a small heap's cost is mostly the fixed part: it says little
        _per_block = cost / blocks
    sweeps[:] = [*sweeps[-9:], (cost, sys.getallocatedblocks())]
    return cost


def trim_malloc() -> bool:
    """glibc gives the free memory of its heaps back to the system; False elsewhere."""
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    return bool(malloc_trim(0))


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


def limit_malloc_arenas(count: int = MALLOC_ARENAS) -> bool:
    """glibc makes at most `count` malloc arenas; call before threads start.

    By default every thread that mallocs gets an arena of its own (up to 8 per core):
    the writer, SQLite's reader thread, each executor thread (sign-ins, reports). Each
    keeps its free fragments and its high-water mark apart, so RSS crept up with the
    number of threads that had ever been busy (issue 18's soak). With a limit the
    threads share arenas, and what one frees another reuses. An operator's
    `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` is left to decide. True when the C library
    took the limit (glibc).
    """
    if "MALLOC_ARENA_MAX" in os.environ or "glibc.malloc.arena_max" in os.environ.get(
        "GLIBC_TUNABLES", ""
    ):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, count))
