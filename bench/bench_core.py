"""Queue core benchmark: prints JSON figures, never passes or fails on time.

- issue throughput through the single writer (group commit, synchronous=FULL)
  beside a bare aiosqlite loop of one INSERT + COMMIT per ticket, on the same disk;
- call_next cost with 100 and with 100,000 tickets waiting, in the pure domain and
  through the writer;
- the leaders' report of a day of tickets (issued, called, finished at 8 counters):
  reading the event log page by page alone, and read + decode + fold.

Run: .venv/bin/python -m bench.bench_core [--tickets 20000] [--report-tickets 20000] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import aiosqlite

from queue_protocol.errors import QueueError
from queue_server.core.engine import Engine
from queue_server.core.store import Store
from queue_server.domain import commands as c
from queue_server.domain.config import parse_config
from queue_server.domain.state import QueueState
from queue_server.web.reports import build_report

SITE = {
    "site": {"name": "Bench"},
    "sectors": [{"id": "s", "name": "S"}],
    "services": [
        {"id": f"svc{i}", "sector": "s", "name": f"Dịch vụ {i}", "prefix": chr(65 + i), "width": 6}
        for i in range(4)
    ],
    "counters": [{"number": n, "services": ["svc0", "svc1", "svc2", "svc3"]} for n in range(1, 9)],
    "priority": {"groups": [{"id": "p", "name": "Ưu tiên", "rank": 1}]},
    "outcomes": [{"id": "ok", "name": "Xong"}],
}
CONFIG = parse_config(SITE, "bench")


def issue_cmd(i: int, engine: Engine | None = None) -> c.IssueTicket:
    return c.IssueTicket(
        actor="bench",
        service=f"svc{i % 4}",
        public_id=f"b{i}-{time.time()}",
        priority="p" if i % 10 == 0 else None,
        request_id=f"r{i}",
    )


async def writer_throughput(db: Path, n: int, concurrency: int = 200) -> dict:
    engine = Engine(CONFIG, await Store.open(db), enforce_hours=False)
    await engine.start()
    sizes: list[int] = []
    engine.batch_observers.append(sizes.append)
    counter = iter(range(n))

    async def kiosk() -> None:
        for i in counter:
            await engine.submit(issue_cmd(i))

    t0 = time.perf_counter()
    await asyncio.gather(*(kiosk() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    await engine.stop()
    await engine.store.close()
    return {
        "tickets": n,
        "seconds": round(elapsed, 3),
        "per_second": round(n / elapsed),
        "concurrency": concurrency,
        "mean_batch": round(statistics.mean(sizes), 1),
    }


async def bare_loop(db: Path, n: int) -> dict:
    conn = await aiosqlite.connect(str(db), isolation_level=None)
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=FULL")
    await conn.execute(
        "CREATE TABLE tickets (id INTEGER PRIMARY KEY, number TEXT, service TEXT, issued_at REAL)"
    )
    t0 = time.perf_counter()
    for i in range(n):
        await conn.execute("BEGIN")
        await conn.execute(
            "INSERT INTO tickets (number, service, issued_at) VALUES (?, ?, ?)",
            (f"A{i:06d}", "svc0", time.time()),
        )
        await conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    await conn.close()
    return {"tickets": n, "seconds": round(elapsed, 3), "per_second": round(n / elapsed)}


def domain_call_next(waiting: int, calls: int = 2000) -> float:
    """Mean microseconds of one call_next (with the auto-finish) in the pure domain."""
    state = QueueState(CONFIG, enforce_hours=False)
    state.execute(c.StartDay(actor="b", day="2026-01-01"), 0)
    for i in range(waiting + calls):
        state.execute(issue_cmd(i), i * 0.001)
    state.execute(c.OpenCounter(actor="b", counter=1), 0)
    t0 = time.perf_counter()
    for _ in range(calls):
        state.execute(c.CallNext(actor="b", counter=1), 1e6)
    return (time.perf_counter() - t0) / calls * 1e6


async def engine_call_next(db: Path, waiting: int, calls: int = 300) -> float:
    """Mean milliseconds of one call_next through the writer (durable commit included)."""
    engine = Engine(CONFIG, await Store.open(db), enforce_hours=False)
    await engine.start()
    for start in range(0, waiting + calls, 5000):
        await asyncio.gather(
            *(engine.submit(issue_cmd(i)) for i in range(start, min(start + 5000, waiting + calls)))
        )
    await engine.submit(c.OpenCounter(actor="b", counter=1))
    await engine.store.sync_tickets(())  # let the tickets table catch up with the burst
    t0 = time.perf_counter()
    for _ in range(calls):
        await engine.submit(c.CallNext(actor="b", counter=1))
    elapsed = (time.perf_counter() - t0) / calls * 1e3
    await engine.stop()
    await engine.store.close()
    return elapsed


async def report_day(db: Path, n: int) -> dict:
    """Seconds to report on a day of `n` served tickets, beside only reading its log."""
    engine = Engine(CONFIG, await Store.open(db), enforce_hours=False)
    await engine.start()
    await asyncio.gather(*(engine.submit(issue_cmd(i)) for i in range(n)))
    await asyncio.gather(*(engine.submit(c.OpenCounter(actor="b", counter=k)) for k in range(1, 9)))

    async def counter(k: int) -> None:
        while True:
            try:
                await engine.submit(c.CallNext(actor="b", counter=k))
            except QueueError:  # nobody left
                return
            await engine.submit(c.Finish(actor="b", counter=k, outcome="ok"))

    await asyncio.gather(*(counter(k) for k in range(1, 9)))
    day = engine.state.day
    if day is None:
        raise RuntimeError("the engine started no day")
    t0 = time.perf_counter()
    events = sum([len(page) async for page in engine.store.events_of_days(day, day)])
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = await build_report(CONFIG, engine.store, day, day)
    served = report.to_dict(time.time())["totals"]["served"]
    full = time.perf_counter() - t0
    await engine.stop()
    await engine.store.close()
    return {
        "tickets": n,
        "served": served,
        "events": events,
        "read_seconds": round(read, 3),
        "report_seconds": round(full, 3),
        "events_per_second": round(events / full),
        "report_vs_read_ratio": round(full / read, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--bare-tickets", type=int, default=3_000)
    parser.add_argument("--report-tickets", type=int, default=20_000)
    parser.add_argument("--dir", default=None, help="where the databases go (same disk)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        d = Path(tmp)
        writer = await writer_throughput(d / "writer.db", args.tickets)
        bare = await bare_loop(d / "bare.db", args.bare_tickets)
        dom = {n: domain_call_next(n) for n in (100, 100_000)}
        eng = {n: await engine_call_next(d / f"call{n}.db", n) for n in (100, 100_000)}
        report = await report_day(d / "report.db", args.report_tickets)
    print(
        json.dumps(
            {
                "issue_through_writer": writer,
                "issue_bare_insert_commit": bare,
                "writer_vs_bare_ratio": round(writer["per_second"] / bare["per_second"], 1),
                "call_next_domain_us": {str(k): round(v, 2) for k, v in dom.items()},
                "call_next_domain_ratio_100k_vs_100": round(dom[100_000] / dom[100], 2),
                "call_next_writer_ms": {str(k): round(v, 3) for k, v in eng.items()},
                "call_next_writer_ratio_100k_vs_100": round(eng[100_000] / eng[100], 2),
                "report_of_a_day": report,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
