"""The single writer's promises on both stores (issue 19): each test runs on a SQLite
file and on a real PostgreSQL database (`db`), through the same `Engine`."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict

from queue_server.core.engine import Engine
from queue_server.domain import commands as c
from queue_server.domain.booking import Booking, BookingStatus
from queue_server.domain.lifecycle import CounterStatus
from queue_server.domain.state import CounterState
from tests.core.test_crash_safety import run_and_kill
from tests.support.clock import FakeClock
from tests.support.siteconfig import WEDNESDAY_9AM, small_site
from tests.support.stores import close_store, issued, open_store, ticket_rows


async def start_engine(db, **kw) -> Engine:
    engine = Engine(small_site(), await open_store(db), clock=FakeClock(WEDNESDAY_9AM), **kw)
    await engine.start()
    return engine


async def stop_engine(engine: Engine) -> None:
    await engine.stop()
    await close_store(engine.store)


def issue(engine, service="khai-sinh", request_id=None):
    return engine.submit(
        c.IssueTicket(
            actor="kiosk-1",
            service=service,
            public_id=engine.new_public_id(),
            request_id=request_id,
        )
    )


async def test_tickets_survive_a_restart_and_numbering_continues(db):
    engine = await start_engine(db)
    first = [(await issue(engine)).ticket["number"] for _ in range(3)]
    await stop_engine(engine)
    engine = await start_engine(db)
    assert [t.number for t in engine.state.tickets.values()] == first
    assert (await issue(engine)).ticket["number"] == "A004"
    await stop_engine(engine)
    assert sorted(ticket_rows(db).values()) == ["A001", "A002", "A003", "A004"]


async def test_concurrent_commands_are_group_committed_and_distinct(db):
    engine = await start_engine(db)
    sizes: list[int] = []
    engine.batch_observers.append(sizes.append)
    outcomes = await asyncio.gather(*(issue(engine) for _ in range(300)))
    assert sorted(o.ticket["number"] for o in outcomes) == [f"A{i:03d}" for i in range(1, 301)]
    assert max(sizes) > 1  # several commands shared one batch
    # and several batches shared one transaction, or at least none took two
    assert engine.store.transactions <= len(sizes) + 1
    await stop_engine(engine)
    assert len(issued(db)) == 300


async def test_same_request_id_twice_gives_one_ticket_also_after_restart(db):
    engine = await start_engine(db)
    a, b = await asyncio.gather(
        issue(engine, request_id="tap-1"), issue(engine, request_id="tap-1")
    )
    assert a.ticket["id"] == b.ticket["id"]
    await stop_engine(engine)
    engine = await start_engine(db)
    again = await issue(engine, request_id="tap-1")
    assert again.ticket["number"] == a.ticket["number"] and again.events == []
    await stop_engine(engine)
    assert [n for _, n, _ in issued(db)] == [a.ticket["number"]]


async def test_events_are_published_after_commit(db):
    engine = await start_engine(db)
    seen = []

    def on_events(events, state):
        def deliver():  # already durable when delivered: another connection sees it
            seen.append(([e.type for e in events], len(issued(db))))

        return deliver

    engine.subscribe(on_events)
    await issue(engine)
    assert seen == [(["ticket_issued"], 1)]
    await stop_engine(engine)


async def test_sigkill_while_issuing_keeps_every_acknowledged_ticket(db):
    acked = await asyncio.to_thread(run_and_kill, db, 300)
    assert len(acked) >= 300
    log = issued(db)
    stored = {tid: number for tid, number, _ in log}
    for tid, number in acked:
        assert stored.get(tid) == number, f"acknowledged ticket {number} lost or changed"
    numbers = [n for _, n, _ in log]
    assert len(numbers) == len(set(numbers))
    engine = Engine(small_site(), await open_store(db), enforce_hours=False)
    await engine.start()
    try:
        assert ticket_rows(db) == stored  # the tickets table caught up with the log at start
        by_series = defaultdict(list)
        for n in numbers:
            by_series[n[0]].append(int(n[1:]))
        for prefix, service in (("A", "khai-sinh"), ("B", "ket-hon")):
            seqs = sorted(by_series[prefix])
            assert seqs == list(range(1, len(seqs) + 1))  # no gap, no duplicate
            out = await issue(engine, service=service)
            assert out.ticket["number"] == f"{prefix}{len(seqs) + 1:03d}"
    finally:
        await stop_engine(engine)


async def test_batches_of_one_transaction_may_change_the_same_counter_and_booking(db):
    """Several batches in one transaction (the writer held up meanwhile), each changing
    counter 1 and booking B1: the newest state of each is stored. (On PostgreSQL one
    `INSERT … ON CONFLICT DO UPDATE` may not change a row twice.)"""
    store = await open_store(db)
    try:
        gate = threading.Event()
        held = store.write(lambda _conn: gate.wait(30))  # the writer waits; batches queue
        batches = [
            store.commit_batch(
                [],
                [],
                [CounterState(1, CounterStatus.OPEN, officer=f"officer-{i}")],
                [booking(checked_in_at=WEDNESDAY_9AM + i)],
            )
            for i in range(6)
        ]
        transactions = store.transactions
        gate.set()
        await held
        await asyncio.gather(*batches)
        assert store.transactions == transactions + 1  # all six in one transaction
        async with store.reader.execute("SELECT number, officer FROM counters") as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [(1, "officer-5")]
        async with store.reader.execute("SELECT code, checked_in_at FROM bookings") as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [("B1", WEDNESDAY_9AM + 5)]
    finally:
        await close_store(store)


def booking(checked_in_at: float) -> Booking:
    return Booking(
        code="B1",
        service="khai-sinh",
        day="2026-12-02",
        slot_at=WEDNESDAY_9AM,
        created_at=WEDNESDAY_9AM,
        notice_version="1",
        name="Nguyễn Văn A",
        phone=None,
        cccd=None,
        cancel_hash="x",
        status=BookingStatus.CHECKED_IN,
        checked_in_at=checked_in_at,
    )
