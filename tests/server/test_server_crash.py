"""The server killed with SIGKILL while 50 kiosks issue: nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import defaultdict

from queue_protocol.client import NotConnected, QueueClient, RequestTimeout, new_request_id
from tests.support.servers import KIOSK_TOKEN, ServerProcess
from tests.support.waiting import until

SERVICES = ("cap-giay-chung-nhan", "khai-sinh-khai-tu", "giay-phep-lai-xe")


async def test_sigkill_while_fifty_clients_issue(tmp_path):
    server = ServerProcess(tmp_path / "q.db")
    await asyncio.to_thread(server.start)
    acked: list[tuple[str, int, str, bool]] = []  # (request id, ticket id, number, after)
    restarted = asyncio.Event()
    clients = [
        QueueClient(
            server.base.replace("http", "ws") + "/ws",
            role="kiosk",
            token=KIOSK_TOKEN,
            request_timeout=3.0,
            backoff_max=0.5,
        )
        for _ in range(50)
    ]

    async def kiosk(k: int, client: QueueClient) -> None:
        await client.start()
        await client.wait_connected(20)
        after_restart = 0
        i = 0
        while after_restart < 4:
            request_id = new_request_id()
            while True:  # a kiosk retries the same tap with the same request id
                try:
                    res = await client.issue(SERVICES[(k + i) % 3], request_id=request_id)
                    break
                except (NotConnected, RequestTimeout):
                    with contextlib.suppress(TimeoutError):
                        await client.wait_connected(30)
            acked.append(
                (request_id, res["ticket"]["id"], res["ticket"]["number"], restarted.is_set())
            )
            after_restart += restarted.is_set()
            i += 1

    try:
        tasks = [asyncio.create_task(kiosk(k, c)) for k, c in enumerate(clients)]
        await until(lambda: len(acked) >= 500, timeout=60, what="500 tickets acknowledged")
        server.kill()
        killed_at = len(acked)
        await until(
            lambda: all(c.state != "connected" for c in clients),
            what="every kiosk saw the server die",
        )
        await asyncio.to_thread(server.start)  # same port, same database
        restarted.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        assert all(c.state == "connected" for c in clients)  # they came back by themselves
    finally:
        for c in clients:
            await c.stop()
        server.stop()

    assert killed_at >= 500
    with sqlite3.connect(tmp_path / "q.db") as db:
        rows = db.execute("SELECT id, number, request_id FROM tickets").fetchall()
    stored = {tid: number for tid, number, _ in rows}
    for _, tid, number, _ in acked:
        assert stored.get(tid) == number, f"acknowledged {number} lost or renumbered"
    assert len({n for _, n, _ in rows}) == len(rows)  # no number twice
    assert len({r for _, _, r in rows}) == len(rows)  # no request issued twice
    by_series = defaultdict(list)
    for _, number, _ in rows:
        by_series[number[:-3] if number[0].isalpha() else "n"].append(number)
    for numbers in by_series.values():
        seqs = sorted(int("".join(ch for ch in n if ch.isdigit())) for n in numbers)
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # consecutive, no gap
    before = {n for _, _, n, after in acked if not after}
    after = [n for _, _, n, late in acked if late]
    assert len(after) >= 50 * 4
    assert not before & set(after)  # numbering continued after the restart
