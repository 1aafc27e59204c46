"""Keep Python's cyclic garbage collector from pausing the server under load.

The day's tickets are hundreds of thousands of long-lived objects. CPython's full
collection walks every tracked object each time the old generation has grown by a
quarter: at 100,000 tickets that is a pause of tens of milliseconds, which was most
of the server's 99th-percentile latency. Once a second the young generations are
collected and whatever survived is frozen (`gc.freeze`): moved where collections no
longer look. Nearly all garbage is freed by reference counting anyway; the few
cycles that live longer than a second stay until the next business day, when
`thaw` collects everything once, at night.
"""

from __future__ import annotations

import asyncio
import gc

FREEZE_SECONDS = 1.0


async def freeze_survivors(interval: float = FREEZE_SECONDS) -> None:
    """Run forever: collect the young generations, then freeze what survived."""
    while True:
        await asyncio.sleep(interval)
        gc.collect(1)
        gc.freeze()


def thaw() -> None:
    """Give frozen objects back to the collector and collect everything (the day reset)."""
    gc.unfreeze()
    gc.collect()
