"""Outbox benchmark: prints JSON figures, never passes or fails on time.

A burst of issuing (kiosks taking tickets as fast as the writer answers) while
10,000 online bookings arrive, each causing a confirmation message written in the
booking's transaction (its two reminders are planned in memory and written when they
fall due, days later: `domain.notify.Reminders`). Run twice on fresh
databases, in one process: with messaging on (the outbox rows, and the sender
draining them through the dry-run channel at its configured rate, on the same event
loop and the same writer thread) and with messaging off (the same commands, no
rows). Reported:

- issue latency p50/p99 in both runs and the ratio on ÷ off (the issue asks ≤ 1.1);
- the process's CPU time during the burst in both runs, and its ratio on ÷ off (steadier
  than a p99 made of the machine's stalls: what the messages cost);
- the sender's rate once the burst is over (messages sent per second while
  draining) ÷ the configured `rate_per_second`.

The process keeps its heap as a served one does (`core/heap.py`, as `app.py` does for a
server that is a process of its own): survivors frozen every second, the paced sweep;
and each round starts from a swept heap (as a day does), so a round does not pay for
the garbage of the one before. Without that, this benchmark measured CPython's default
collector, whose full collections over the burst's growing heap (5–6 of 100–470 ms each
per burst) made its p99 in both modes; the server never runs that way.

`--rounds N` runs N pairs, alternating which mode goes first (off/on, on/off, …) on
fresh databases. Three ratios of the issue p99 on ÷ off are printed:
`issue_p99_ratio_on_off` — the median of the "on" rounds' p99s ÷ the median of the
"off" rounds' p99s (the headline, as before); `issue_p99_ratio_pooled` — the p99 of
all "on" rounds' latencies together ÷ the same of "off"; `issue_p99_ratio_pair_median`
— the median over the pairs of (that pair's "on" p99 ÷ its "off" p99).

Run: .venv/bin/python -m bench.bench_outbox [--messages 10000] [--tickets 20000]
     [--rate 500] [--rounds 2] [--dir DIR]
     .venv/bin/python -m bench.bench_outbox --drain-only --rate 2000   # the sender alone:
     CPU time per message while it drains a queued backlog
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from queue_server.core import heap
from queue_server.core.engine import Engine
from queue_server.core.metrics import Metrics
from queue_server.core.store import INSERT_OUTBOX, Store
from queue_server.domain import commands as c
from queue_server.domain.booking import booking_days, slots
from queue_server.domain.config import MessagingConfig, SiteConfig, parse_config
from queue_server.outbox.channels.base import ChannelError, Outgoing, SendResult
from queue_server.outbox.channels.dryrun import DryRunChannel
from queue_server.outbox.compose import Composer
from queue_server.outbox.sender import Sender


def site(rate: float, path: Path, enabled: bool) -> SiteConfig:
    return parse_config(
        {
            "site": {
                "name": "Trung tâm thử tải",
                "open_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            },
            "sectors": [{"id": "s", "name": "S"}],
            "services": [
                {
                    "id": f"svc{i}",
                    "sector": "s",
                    "name": f"Dịch vụ {i}",
                    "prefix": chr(65 + i),
                    "width": 6,
                }
                for i in range(4)
            ],
            "counters": [{"number": 1, "services": ["svc0", "svc1", "svc2", "svc3"]}],
            "outcomes": [{"id": "ok", "name": "Xong"}],
            "booking": {"default_capacity": 10_000, "horizon_days": 14, "requests_per_hour": 10**6},
            "messaging": {
                "enabled": enabled,
                "route": {"phone": "dryrun"},
                "channels": {
                    "dryrun": {"type": "dryrun", "path": str(path), "rate_per_second": rate}
                },
            },
        },
        "bench",
    )


class Counted(DryRunChannel):
    """The dry-run channel, counting what it sent (the drain rate is read from it)."""

    sent = 0

    async def send(self, message: Outgoing) -> SendResult:
        result = await super().send(message)
        self.sent += 1
        return result

    async def send_batch(self, messages: Sequence[Outgoing]) -> list[SendResult | ChannelError]:
        results = await super().send_batch(messages)
        self.sent += len(messages)
        return results


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def burst(
    db: Path,
    config: SiteConfig,
    messages: int,
    tickets: int,
    rate: float,
    open_loop: bool,
    ticket_rate: float,
) -> dict:
    heap.sweep()  # the round before is garbage now: every round starts alike
    store = await Store.open(db)
    engine = Engine(config, store, enforce_hours=False)
    await engine.start()
    sender, channel = None, None
    if config.messaging.enabled:
        path = Path(config.messaging.channels_table["dryrun"]["path"])
        channel = Counted("dryrun", path, concurrency=16, rate_per_second=rate)
        sender = Sender(store, {"dryrun": channel}, config.messaging, Metrics(), busy=engine.busy)
        await sender.start(None)
        engine.outbox_hook = Composer(config)
        engine.outbox_observers.append(sender.wake)
    now = time.time()
    day = next(d for d in booking_days(config, now) if d.isoformat() > engine.today())
    slot = slots(config, "svc0", day)[-1]
    latencies: list[float] = []
    issued = iter(range(tickets))
    booked = iter(range(messages))

    def ticket(i: int) -> c.Command:
        return c.IssueTicket(
            actor="bench", service=f"svc{i % 4}", public_id=f"p{i}", request_id=f"r{i}"
        )

    def booking(i: int) -> c.Command:
        return c.BookSlot(
            actor="web",
            code=f"B{i:07d}",
            service="svc0",
            day=day.isoformat(),
            slot_at=slot.start,
            name="Nguyễn Văn An",
            phone=f"09{i:08d}",
            cccd=None,
            notice_version=config.booking.notice_version,
            cancel_hash="x",
            cancel_key="k" * 24,
            messages=True,
        )

    async def kiosk() -> None:
        for i in issued:
            t0 = time.perf_counter()
            await engine.submit(ticket(i))
            latencies.append(time.perf_counter() - t0)

    async def citizen() -> None:
        for i in booked:
            await engine.submit(booking(i))

    async def timed(command: c.Command, due: float, into: list[float] | None) -> None:
        await engine.submit(command)
        if into is not None:  # from the time it was due: a late start counts as waiting
            into.append(time.perf_counter() - due)

    async def paced(n: int, rate: float, make, into: list[float] | None) -> None:
        """Offer `n` commands at `rate` per second whatever the answers (open loop)."""
        tasks, t0 = [], time.perf_counter()
        for i in range(n):
            due = t0 + i / rate
            if due > time.perf_counter():
                await asyncio.sleep(due - time.perf_counter())
            tasks.append(asyncio.create_task(timed(make(i), due, into)))
        await asyncio.gather(*tasks)

    t0, cpu0 = time.perf_counter(), time.process_time()
    if open_loop:
        await asyncio.gather(
            paced(tickets, ticket_rate, ticket, latencies),
            paced(messages, messages * ticket_rate / tickets, booking, None),
        )
    else:
        await asyncio.gather(*(kiosk() for _ in range(50)), *(citizen() for _ in range(50)))
    burst_seconds = time.perf_counter() - t0
    burst_cpu = time.process_time() - cpu0  # every thread of the process: loop, writer, reader
    drain: dict = {}
    if sender is not None and channel is not None:
        start_count, start = channel.sent, time.perf_counter()
        while channel.sent < messages:
            await asyncio.sleep(0.1)
        seconds = time.perf_counter() - start
        drained = channel.sent - start_count
        drain = {
            "sent_during_burst": int(start_count),
            "drained_after_burst": int(drained),
            "drain_seconds": round(seconds, 2),
            "measured_rate": round(drained / seconds, 1),
            "configured_rate": rate,
            "rate_ratio": round(drained / seconds / rate, 3),
        }
        await sender.stop()
    await engine.stop()
    await store.close()
    return {
        "burst_seconds": round(burst_seconds, 2),
        "burst_cpu_seconds": round(burst_cpu, 2),
        "issue_p50_ms": round(pct(latencies, 0.5) * 1000, 2),
        "issue_p99_ms": round(pct(latencies, 0.99) * 1000, 2),
        **drain,
        "latencies": latencies,  # pooled by `main`, not printed
    }


async def drain_only(db: Path, messages: int, rate: float) -> dict:
    """The sender alone: `messages` rows already queued, drained at `rate`; the process's
    CPU time per message (what a message costs the event loop and its threads)."""
    store = await Store.open(db)
    now = time.time()
    rows = [
        (f"called:{n}", "dryrun", "called", f"849{n:08d}", "vi",
         f"Mời Ông/Bà có số A{n:03d} đến quầy số 1.", None, '{"number":"A001","counter":"1"}',
         "2026-12-03", None, n, now, now)
        for n in range(messages)
    ]  # fmt: skip
    await store.write(lambda conn: INSERT_OUTBOX.run(conn, rows))
    channel = Counted("dryrun", db.with_suffix(".jsonl"), concurrency=16, rate_per_second=rate)
    sender = Sender(store, {"dryrun": channel}, MessagingConfig(enabled=True), Metrics())
    cpu, t0 = time.process_time(), time.perf_counter()
    await sender.start(None)
    sender.wake()
    while channel.sent < messages:
        await asyncio.sleep(0.05)
    await sender.stop()
    cpu, seconds = time.process_time() - cpu, time.perf_counter() - t0
    await store.close()
    return {
        "messages": messages,
        "configured_rate": rate,
        "rate_ratio": round(messages / seconds / rate, 3),
        "cpu_us_per_message": round(cpu / messages * 1e6, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--closed", action="store_true", help="50 + 50 clients flat out")
    parser.add_argument("--ticket-rate", type=float, default=2000.0)
    parser.add_argument("--drain-only", action="store_true", help="the sender alone")
    args = parser.parse_args()
    if args.drain_only:
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            found = [await drain_only(Path(tmp) / f"d{n}.db", args.messages, args.rate)
                     for n in range(args.rounds)]  # fmt: skip
        print(json.dumps({"drain_only": found}, indent=2))
        return
    heap.pin_mmap_threshold()  # the heap kept as a served process keeps it (app.py)
    freezer = asyncio.create_task(heap.freeze_survivors())
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        runs: dict[str, list[dict]] = {"on": [], "off": []}
        for n in range(args.rounds):  # alternate, so drift of the machine hits both
            for mode in ("off", "on") if n % 2 == 0 else ("on", "off"):
                config = site(args.rate, Path(tmp) / f"messages-{n}.jsonl", mode == "on")
                result = await burst(
                    Path(tmp) / f"{mode}-{n}.db",
                    config,
                    args.messages,
                    args.tickets,
                    args.rate,
                    not args.closed,
                    args.ticket_rate,
                )
                runs[mode].append(result)
        freezer.cancel()
        pooled = {
            mode: pct([x for r in runs[mode] for x in r.pop("latencies")], 0.99) for mode in runs
        }
        pairs = [
            on["issue_p99_ms"] / off["issue_p99_ms"] for on, off in zip(*runs.values(), strict=True)
        ]
        p99 = {mode: statistics.median(r["issue_p99_ms"] for r in runs[mode]) for mode in runs}
        cpu = {mode: statistics.median(r["burst_cpu_seconds"] for r in runs[mode]) for mode in runs}
        print(
            json.dumps(
                {
                    "messages": args.messages,
                    "tickets": args.tickets,
                    "load": "closed: 50 kiosks + 50 citizens flat out"
                    if args.closed
                    else f"open: {args.ticket_rate:g} tickets/s, bookings alongside",
                    "issue_p99_ms_on": p99["on"],
                    "issue_p99_ms_off": p99["off"],
                    "issue_p99_ratio_on_off": round(p99["on"] / p99["off"], 3),
                    "issue_p99_ratio_pooled": round(pooled["on"] / pooled["off"], 3),
                    "issue_p99_ratio_pair_median": round(statistics.median(pairs), 3),
                    "issue_p99_ratio_pairs": [round(r, 3) for r in pairs],
                    # Less noisy than the p99: what the messages cost the process.
                    "burst_cpu_ratio_on_off": round(cpu["on"] / cpu["off"], 3),
                    "drain_rate_ratio": statistics.median(r["rate_ratio"] for r in runs["on"]),
                    "runs": runs,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
