"""Two instances on one PostgreSQL database (issue 19): the active one SIGKILLed, or cut
off from the database, or the database restarted, while 200 kiosks issue; the standby
takes over within 10 s, nothing acknowledged is lost or doubled, every request id is
answered once."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable

import psycopg

from kiosk.model import RETRY_PAUSE
from queue_protocol.client import (
    ClientError,
    NotConnected,
    QueueClient,
    RequestTimeout,
    new_request_id,
)
from tests.support.failover import FirstAnswering, Instance, PartitionableLink
from tests.support.servers import KIOSK_TOKEN
from tests.support.waiting import until

SERVICES = ("cap-giay-chung-nhan", "khai-sinh-khai-tu", "giay-phep-lai-xe")
KIOSKS = 200  # the storm of issue 19's done-when


async def storm(first: Instance, second: Instance, fail: Callable[[], None]) -> float:
    """Kiosks issue through a load balancer in front of both; `fail()` the active one
    after 400 tickets; each kiosk issues 3 more on the standby. Checks what was stored
    against what was acknowledged; returns the seconds from the failure to the standby
    serving."""
    await asyncio.to_thread(first.start)
    second.start(wait=False)  # stands by: waits for the lock, refuses every request
    balancer = FirstAnswering([first.port, second.port])
    await balancer.start()
    acked: dict[str, tuple[int, str, bool]] = {}  # request id → (ticket id, number, after)
    answered_twice: list[str] = []
    took_over = asyncio.Event()
    clients = [
        QueueClient(
            f"ws://127.0.0.1:{balancer.port}/ws",
            role="kiosk",
            token=KIOSK_TOKEN,
            request_timeout=3.0,
            backoff_max=0.3,
        )
        for _ in range(KIOSKS)
    ]

    async def kiosk(k: int, client: QueueClient) -> None:
        await client.start()
        await client.wait_connected(30)
        after = i = 0
        while after < 3:
            request_id = new_request_id()
            while True:  # a kiosk retries the same tap with the same request id
                try:
                    res = await client.issue(SERVICES[(k + i) % 3], request_id=request_id)
                    break
                except (NotConnected, RequestTimeout):
                    await asyncio.sleep(0.05)  # never a busy loop, whatever the client says
                    with contextlib.suppress(TimeoutError):
                        await client.wait_connected(30)
                except ClientError as err:  # as the kiosk does (kiosk/model.py)
                    assert err.code == "unavailable", err
                    await asyncio.sleep(RETRY_PAUSE)
            if request_id in acked:
                answered_twice.append(request_id)
            acked[request_id] = (res["ticket"]["id"], res["ticket"]["number"], took_over.is_set())
            after += took_over.is_set()
            i += 1

    try:
        assert first.health()["role"] == "active"
        await until(lambda: "waiting for its lock" in second.text(), what="the standby to wait")
        assert not second.serving()
        tasks = [asyncio.create_task(kiosk(k, c)) for k, c in enumerate(clients)]
        await until(lambda: len(acked) >= 400, timeout=90, what="400 tickets acknowledged")
        fail()
        failed = time.monotonic()
        await until(second.serving, timeout=30, what="the standby to serve")
        takeover = time.monotonic() - failed
        took_over.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        assert second.health()["role"] == "active"
    finally:
        for c in clients:
            await c.stop()
        await balancer.close()

    assert "active: lock taken, lease epoch 2" in second.text()
    assert not answered_twice
    with psycopg.connect(second.dsn) as conn:
        rows = conn.execute(
            "SELECT data::jsonb FROM events WHERE type = 'ticket_issued'"
        ).fetchall()
    issued = [row[0] for row in rows]
    stored = {ev["ticket_id"]: ev["number"] for ev in issued}
    for request_id, (tid, number, _) in acked.items():
        assert stored.get(tid) == number, f"acknowledged {number} ({request_id}) lost or renumbered"
    numbers = [ev["number"] for ev in issued]
    assert len(set(numbers)) == len(numbers)  # no number twice
    requests = [ev["request_id"] for ev in issued]
    assert len(set(requests)) == len(requests)  # no request issued twice
    by_series = defaultdict(list)
    for number in numbers:
        series = number[:-3] if number[0].isalpha() else "n"
        by_series[series].append(int("".join(ch for ch in number if ch.isdigit())))
    for seqs in by_series.values():
        seqs.sort()
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # consecutive: no gap
    before = {n for _, n, after in acked.values() if not after}
    after = [n for _, n, late in acked.values() if late]
    assert len(after) >= KIOSKS * 3
    assert not before & set(after)  # numbering continued on the standby
    return takeover


async def test_sigkill_of_the_active_instance_while_kiosks_issue(pg_dsn, tmp_path):
    first, second = Instance(pg_dsn, tmp_path, "a"), Instance(pg_dsn, tmp_path, "b")
    try:
        takeover = await storm(first, second, first.kill)
    finally:
        first.kill()
        second.stop()
    # The one figure a test may check here: the done-when of issue 19 (not a speed goal).
    assert takeover < 10, f"the standby served {takeover:.1f} s after the kill"


async def test_the_active_instance_cut_off_from_the_database_stops_and_the_standby_serves(
    pg, pg_dsn, tmp_path
):
    link = PartitionableLink(pg.port)
    await link.start()
    first = Instance(pg_dsn.replace(f":{pg.port}/", f":{link.port}/"), tmp_path, "a")
    second = Instance(pg_dsn, tmp_path, "b")
    try:
        takeover = await storm(first, second, link.partition)
        # It stops on its own: the lock's session is gone, it stops serving and exits.
        await until(lambda: first.proc.poll() is not None, timeout=30, what="the cut-off one")
    finally:
        first.kill()
        second.stop()
        await link.close()
    # The cut-off one had stopped before the standby began to write (same machine, so
    # the two logs' clocks agree).
    stopped = logged_at(first.text(), "lost the database lock")
    started = logged_at(second.text(), "active: lock taken, lease epoch 2")
    assert stopped < started, (stopped, started)
    assert takeover < 10, f"the standby served {takeover:.1f} s after the cut"


def logged_at(text: str, words: str) -> dt.datetime:
    """When the log line saying `words` was written (logging's default timestamp)."""
    line = next(line for line in text.splitlines() if words in line)
    return dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")


async def test_the_database_restarting_mid_storm_loses_and_doubles_nothing(pg, pg_dsn, tmp_path):
    """Batches in flight are refused (kiosks retry with their request ids), nothing is
    half-written; the active instance lost its lock's session, so it stops, and the
    standby (or the same one, started again) takes over once the database is back."""
    first, second = Instance(pg_dsn, tmp_path, "a"), Instance(pg_dsn, tmp_path, "b")
    try:
        await storm(first, second, lambda: pg.restart("immediate"))  # like a crash
        await until(lambda: first.proc.poll() is not None, timeout=30, what="the first to stop")
    finally:
        first.kill()
        second.stop()
    assert "lost the database lock" in first.text()
