"""The single writer on a real SQLite file: durability, group commit, daily reset."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from queue_protocol.errors import QueueError
from queue_server.core.engine import Engine
from queue_server.core.store import Store
from queue_server.domain import commands as c
from tests.support.clock import FakeClock
from tests.support.siteconfig import WEDNESDAY_9AM, small_site
from tests.support.waiting import until


async def start_engine(path, clock=None, **kw) -> Engine:
    store = await Store.open(path)
    engine = Engine(small_site(), store, clock=clock or FakeClock(WEDNESDAY_9AM), **kw)
    await engine.start()
    return engine


async def stop_engine(engine: Engine) -> None:
    await engine.stop()
    await engine.store.close()


def issue(engine, service="khai-sinh", request_id=None, priority=None):
    return engine.submit(
        c.IssueTicket(
            actor="kiosk-1",
            service=service,
            priority=priority,
            public_id=engine.new_public_id(),
            request_id=request_id,
        )
    )


async def test_tickets_survive_a_restart_and_numbering_continues(tmp_path):
    db = tmp_path / "q.db"
    engine = await start_engine(db)
    first = [(await issue(engine)).ticket["number"] for _ in range(3)]
    await stop_engine(engine)
    engine = await start_engine(db)
    assert [t.number for t in engine.state.tickets.values()] == first
    assert (await issue(engine)).ticket["number"] == "A004"
    await stop_engine(engine)


async def test_concurrent_commands_are_group_committed_and_distinct(tmp_path):
    engine = await start_engine(tmp_path / "q.db")
    sizes: list[int] = []
    engine.batch_observers.append(sizes.append)
    outcomes = await asyncio.gather(*(issue(engine) for _ in range(300)))
    numbers = [o.ticket["number"] for o in outcomes]
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 301)]
    assert max(sizes) > 1  # several commands shared one transaction
    await stop_engine(engine)
    with sqlite3.connect(tmp_path / "q.db") as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT number) FROM tickets").fetchone() == (
            300,
            300,
        )
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_refused_command_does_not_spoil_its_batch(tmp_path):
    engine = await start_engine(tmp_path / "q.db")
    results = await asyncio.gather(
        issue(engine),
        issue(engine, service="no-such-service"),
        issue(engine),
        return_exceptions=True,
    )
    assert isinstance(results[1], QueueError) and results[1].code == "unknown_service"
    assert [r.ticket["number"] for r in (results[0], results[2])] == ["A001", "A002"]
    await stop_engine(engine)


async def test_same_request_id_twice_gives_one_ticket_also_after_restart(tmp_path):
    db = tmp_path / "q.db"
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


async def test_events_are_published_after_commit(tmp_path):
    engine = await start_engine(tmp_path / "q.db")
    seen = []

    def on_events(events, state):
        def deliver():
            with sqlite3.connect(tmp_path / "q.db") as db:  # already durable when delivered
                stored = db.execute(
                    "SELECT COUNT(*) FROM events WHERE type = 'ticket_issued'"
                ).fetchone()[0]
            seen.append(([e.type for e in events], stored))

        return deliver

    engine.subscribe(on_events)
    await issue(engine)
    assert seen == [(["ticket_issued"], 1)]
    await stop_engine(engine)


async def test_daily_reset_expires_waiting_tickets_and_restarts_series(tmp_path):
    clock = FakeClock(WEDNESDAY_9AM)
    engine = await start_engine(tmp_path / "q.db", clock=clock, reset_check_seconds=0.05)
    kept = await issue(engine)
    await engine.submit(c.OpenCounter(actor="an", counter=1))
    clock.now += 86400  # Thursday 09:00: the reset at 00:00 has passed
    await until(lambda: engine.state.day == "2026-05-28", what="the daily reset")
    assert engine.state.counters[1].status.value == "closed"
    assert (await issue(engine)).ticket["number"] == "A001"
    await stop_engine(engine)
    with sqlite3.connect(tmp_path / "q.db") as db:
        assert db.execute(
            "SELECT status FROM tickets WHERE id = ?", (kept.ticket["id"],)
        ).fetchone() == ("expired",)


async def test_stopped_engine_refuses(tmp_path):
    engine = await start_engine(tmp_path / "q.db")
    await stop_engine(engine)
    with pytest.raises(QueueError) as err:
        await issue(engine)
    assert err.value.code == "unavailable"


async def test_a_failed_commit_refuses_the_batch_and_reloads_the_durable_state(tmp_path):
    engine = await start_engine(tmp_path / "q.db")
    await issue(engine)
    real_write = engine.store._write  # runs on the writer thread
    calls = 0

    def disk_full_once(*args):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise sqlite3.OperationalError("database or disk is full")
        real_write(*args)

    engine.store._write = disk_full_once
    with pytest.raises(QueueError) as err:
        await issue(engine)
    assert err.value.code == "unavailable"
    assert [t.number for t in engine.state.tickets.values()] == ["A001"]  # nothing half-kept
    assert (await issue(engine)).ticket["number"] == "A002"  # the number was never given out
    await stop_engine(engine)


async def test_a_command_arriving_as_a_commit_fails_is_not_built_on_what_was_lost(tmp_path):
    """The writer hears of a failed commit before anything else runs on the loop: a
    request that arrives at that very moment is refused, not applied on top of the lost
    batch (and written, leaving a gap in the numbers)."""
    db = tmp_path / "q.db"
    engine = await start_engine(db)
    await issue(engine)
    real_write = engine.store._write  # runs on the writer thread

    def disk_full_once(*args):
        engine.store._write = real_write
        raise sqlite3.OperationalError("database or disk is full")

    arriving: list[asyncio.Future] = []
    engine.store.failure_observers.append(
        lambda _error: arriving.append(
            engine.enqueue(
                c.IssueTicket(
                    actor="kiosk-2",
                    service="khai-sinh",
                    priority=None,
                    public_id=engine.new_public_id(),
                    request_id="at-the-failure",
                )
            )
        )
    )
    engine.store._write = disk_full_once
    with pytest.raises(QueueError, match="unavailable"):
        await issue(engine)
    with pytest.raises(QueueError, match="unavailable"):
        await arriving[0]
    assert (await issue(engine)).ticket["number"] == "A002"
    await stop_engine(engine)
    with sqlite3.connect(db) as conn:
        stored = [
            n
            for (n,) in conn.execute(
                "SELECT json_extract(data, '$.number') FROM events WHERE type = 'ticket_issued'"
            )
        ]
    assert stored == ["A001", "A002"]


async def test_batches_queued_behind_a_failed_commit_are_refused_not_half_kept(tmp_path):
    db = tmp_path / "q.db"
    engine = await start_engine(db)
    real_write = engine.store._write  # runs on the writer thread
    writes = 0

    def slow_then_full(*args):
        nonlocal writes
        writes += 1
        if writes == 2:  # while this one is slow, more batches queue behind it
            import time

            time.sleep(0.2)
            raise sqlite3.OperationalError("database or disk is full")
        real_write(*args)

    engine.store._write = slow_then_full

    async def one(delay: float = 0) -> str | None:
        await asyncio.sleep(delay)  # in waves: batches queue up behind the failing one
        try:
            return (await issue(engine)).ticket["number"]
        except QueueError as err:
            assert err.code == "unavailable"
            return None

    first = [await one()]  # the first write succeeds alone
    answers = first + await asyncio.gather(*(one(i // 20 * 0.03) for i in range(200)))
    acked = [n for n in answers if n is not None]
    assert first[0] == "A001" and len(acked) < len(answers)  # some were refused
    engine.store._write = real_write
    after = (await issue(engine)).ticket["number"]
    await stop_engine(engine)
    with sqlite3.connect(db) as conn:
        stored = [
            n
            for (n,) in conn.execute(
                "SELECT json_extract(data, '$.number') FROM events "
                "WHERE type = 'ticket_issued' ORDER BY id"
            )
        ]
    assert stored == [*acked, after]  # exactly what was acknowledged, in order
    assert stored == [f"A{i:03d}" for i in range(1, len(stored) + 1)]  # no gap, no repeat


async def test_a_failed_reload_keeps_refusing_until_the_state_is_rebuilt(tmp_path, monkeypatch):
    """After a failed commit the state is reloaded; if that fails too (the database is
    still away), the writer keeps refusing: a retry of the lost request must not be
    answered from a ticket that only the lost state holds (issue 19)."""
    from queue_server.core import engine as engine_module

    monkeypatch.setattr(engine_module, "RELOAD_RETRY_SECONDS", 0.05)
    db = tmp_path / "q.db"
    engine = await start_engine(db)
    await issue(engine, request_id="first")
    real_write, real_load = engine.store._write, engine.store._load_day
    loads = 0

    def fails_once(*args):
        engine.store._write = real_write
        raise sqlite3.OperationalError("disk I/O error")

    def load_fails_twice():
        nonlocal loads
        loads += 1
        if loads <= 2:
            raise sqlite3.OperationalError("disk I/O error")
        return real_load()

    engine.store._write = fails_once
    engine.store._load_day = load_fails_twice
    with pytest.raises(QueueError, match="unavailable"):
        await issue(engine, request_id="lost")
    while True:  # the kiosk retries the same tap
        try:
            again = await issue(engine, request_id="lost")
            break
        except QueueError as err:
            assert err.code == "unavailable"
            await asyncio.sleep(0.02)
    assert loads == 3 and again.ticket["number"] == "A002"
    await stop_engine(engine)
    with sqlite3.connect(db) as conn:
        stored = [
            n
            for (n,) in conn.execute(
                "SELECT json_extract(data, '$.number') FROM events WHERE type = 'ticket_issued'"
            )
        ]
    assert stored == ["A001", "A002"]
