"""Issues tickets as fast as it can and prints each one once it is acknowledged.

Run as `python -m tests.support.crash_worker DB` by tests/core/test_crash_safety.py (and
tests/pgsite/test_store_parity.py, DB a postgresql:// URL), which kills this process
with SIGKILL mid-stream.
"""

from __future__ import annotations

import asyncio
import sys

from queue_server.core.engine import Engine
from queue_server.domain import commands as c
from tests.support.siteconfig import small_site
from tests.support.stores import open_store


async def main(db: str) -> None:
    engine = Engine(small_site(), await open_store(db), enforce_hours=False)
    await engine.start()

    async def kiosk(k: int) -> None:
        for i in range(100_000):
            service = ("khai-sinh", "ket-hon")[i % 2]
            out = await engine.submit(
                c.IssueTicket(
                    actor=f"kiosk-{k}",
                    service=service,
                    public_id=engine.new_public_id(),
                    request_id=f"k{k}-{i}",
                )
            )
            print(f"ACK {out.ticket['id']} {out.ticket['number']}", flush=True)

    await asyncio.gather(*(kiosk(k) for k in range(20)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
