"""The event loop our asyncio processes run on: uvloop where it is installed.

uvloop (libuv underneath) moves bytes between sockets and callbacks several times
faster than asyncio's own selector loop, which is most of what the server and the
load generators do. `XEPHANG_EVENT_LOOP=asyncio` picks the standard loop, to
compare the two or to rule uvloop out when chasing a bug.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_name() -> str:
    """'uvloop' or 'asyncio': the loop `new_event_loop` makes in this process."""
    if os.environ.get("XEPHANG_EVENT_LOOP", "uvloop") == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def new_event_loop() -> asyncio.AbstractEventLoop:
    if loop_name() == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the loop `new_event_loop` makes."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)


LAG_INTERVAL = 0.1


async def watch_lag(observe: Callable[[float], None], interval: float = LAG_INTERVAL) -> None:
    """Run forever: how late the loop wakes a sleeper, `observe`d every `interval` seconds.

    The delay is how long any callback waited for the loop at that moment: a broadcast,
    a full collection or a slow handler shows up here whoever suffers it.
    """
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + interval
        await asyncio.sleep(interval)
        observe(max(0.0, loop.time() - due))
