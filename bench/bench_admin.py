"""A configuration change applied while kiosks issue 2,000 tickets a second (issue 15).

Against a real `python -m queue_server` child process (bench_server's site: 4 services,
8 counters), 200 kiosk connections in 2 load processes issue at a fixed offered rate
(open loop, latency from each request's due time, as bench_server's rate phase). Half
way through the measured window an administrator signs in on the admin API, adds a
service and renames the centre (one new configuration version through the single
writer, a `config` event to every kiosk). Prints JSON: the issues that failed (goal:
none), the issue p99 over the second starting at the change ÷ the p99 before it
(goal ≤ 2), and when the change was acknowledged. The goal is printed, not asserted.
Beside it, the CPU of one change measured in-process (`change_cost`), free of the
machine's contention.

Run: .venv/bin/python -m bench.bench_admin [--rate 2000] [--seconds 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench import loadgen
from bench.bench_board import PASSWORD, add_user
from bench.bench_server import (
    KIOSK_TOKEN,
    SERVICES,
    Workers,
    bench_config,
    child,
    free_port,
    measured_window,
    ms_percentiles,
    split,
)
from queue_protocol.codec import dumps
from queue_server.core import views
from queue_server.core.configbook import canonical, diff, document_of
from queue_server.domain import commands as c
from queue_server.domain.config import parse_config, read_config
from queue_server.domain.state import QueueState

GOAL_RATIO = 2.0


async def change_config(http: str, at: float) -> dict[str, float]:
    """At monotonic time `at`, sign in as the administrator and save a new version."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.post(
            f"{http}/api/admin/session", json={"username": "quan-tri", "password": PASSWORD}
        ) as resp:
            csrf = (await resp.json())["csrf"]
        async with session.get(f"{http}/api/admin/config") as resp:
            current = await resp.json()
        document = current["document"]
        document["services"].append(
            {"id": "moi", "sector": "s", "name": "Dịch vụ mới", "prefix": "Z"}
        )
        document["site"]["name"] = "Bench (đã đổi)"
        await asyncio.sleep(max(at - time.monotonic(), 0))
        started = time.monotonic()
        async with session.post(
            f"{http}/api/admin/config",
            json={"document": document, "base_version": current["version"]},
            headers={"X-CSRF-Token": csrf},
        ) as resp:
            answer = await resp.json()
        done = time.monotonic()
    if answer.get("version") != current["version"] + 1:
        raise RuntimeError(f"the change was refused: {answer}")
    return {"started": started, "acknowledged": done}


async def one_run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    tmp.mkdir()
    config, db = tmp / "bench.toml", tmp / "bench.db"
    config.write_text(bench_config(), encoding="utf-8")
    add_user(db, "quan-tri", "admin")
    port = free_port()
    url, http = f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}"
    server_args = ["queue_server", "--config", str(config), "--db", str(db)]
    server_args += ["--host", "127.0.0.1", "--port", str(port), "--ignore-hours"]
    with child(server_args, port, tmp / "server.log") as server:
        workers = Workers(
            loadgen.kiosk_rate_worker,
            [
                (url, KIOSK_TOKEN, n, SERVICES, args.rate * n / args.kiosks)
                for n in split(args.kiosks, args.procs)
            ],
        )
        connected = sum(await workers.gather("ready"))
        start = time.monotonic() + 0.2
        measure_from = start + args.warmup
        deadline = measure_from + args.seconds
        change = asyncio.create_task(change_config(http, measure_from + args.seconds / 2))
        reports, figures = await measured_window(
            workers,
            ("go", start, measure_from, deadline),
            measure_from,
            args.seconds,
            args.warmup,
            server.pid,
        )
        times = await change
    samples = [(d, x) for r in reports for d, x in zip(r["due_times"], r["latencies"], strict=True)]
    at = times["started"]
    before = [x for d, x in samples if d < at]
    during = [x for d, x in samples if at <= d < at + 1.0]
    after = [x for d, x in samples if d >= at + 1.0]
    p99_before = ms_percentiles(before)["p99_ms"]
    p99_during = ms_percentiles(during)["p99_ms"]
    return {
        "kiosk_connections": connected,
        **figures,
        "unanswered": sum(r["unanswered"] for r in reports),
        "change_acknowledged_ms": round((times["acknowledged"] - at) * 1000, 1),
        "issues_before": len(before),
        "issues_in_change_second": len(during),
        "latency_before": ms_percentiles(before),
        "latency_change_second": ms_percentiles(during),
        "latency_after": ms_percentiles(after),
        "ratio_p99_change_second_to_before": (
            round(p99_during / p99_before, 3) if p99_before and p99_during else None
        ),
    }


def change_cost(waiting: int = 20_000, repeat: int = 20, *, open_counters: bool = False) -> dict:
    """The CPU of one change measured in-process, free of the machine's contention (the
    latencies of a shared 2-core machine are noisy; this is not): validating the new
    document (on a thread, off the event loop) and the writer's part with `waiting`
    tickets waiting — the day's review, the new configuration taken on, the `config`
    message built and encoded once for every kiosk (its waiting times included).

    `open_counters`: the 8 counters open, as in the day (at the benchmark's hour of a
    real run they are closed and not expected, so the waiting-time replay has nothing to
    play); a replay of the waiting tickets, when the change makes one, shows here."""
    config = read_config(bench_config().encode(), "bench")
    state = QueueState(config, enforce_hours=False)
    now = time.time()
    state.execute(c.StartDay(actor="bench", day="2026-05-27"), now)
    for number in config.counters if open_counters else ():
        state.execute(c.OpenCounter(actor=f"o{number}", counter=number), now)
    for i in range(waiting):
        state.execute(c.IssueTicket(actor="k", service=SERVICES[i % 4], public_id=f"p{i}"), now)
    document = document_of(canonical(config.document))
    document["services"].append({"id": "moi", "sector": "s", "name": "Mới", "prefix": "Z"})
    started = time.perf_counter()
    for _ in range(repeat):
        text = canonical(document)
        new = parse_config(document_of(text), "bench")
        diff(canonical(state.config.document), text)
    validate = (time.perf_counter() - started) / repeat
    started = time.perf_counter()
    for version in range(1, repeat + 1):
        state.review_config(new)
        state.known_configs[version] = new
        state.execute(c.ApplyConfig(actor="a", version=version, config=new, document=text), now)
        dumps(views.config_message(state, version, now))
    writer = (time.perf_counter() - started) / repeat
    return {
        "waiting_tickets": waiting,
        "counters_open": open_counters,
        "validate_ms_off_the_loop": round(validate * 1000, 3),
        "writer_ms": round(writer * 1000, 3),
    }


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    runs = [await one_run(args, tmp / f"run-{i}") for i in range(args.runs)]
    ratios = [r["ratio_p99_change_second_to_before"] for r in runs]
    failed = sum(sum(r["errors"].values()) + r["unanswered"] for r in runs)
    return {
        "change_cost": change_cost(),
        "change_cost_counters_open": change_cost(open_counters=True),
        "offered_per_s": args.rate,
        "issues_failed": failed,
        "ratio_p99_change_second_to_before": ratios,
        "ratio_median": statistics.median(r for r in ratios if r is not None),
        "goal": f"no issue fails; ratio <= {GOAL_RATIO}",
        "met": failed == 0 and all(r is not None and r <= GOAL_RATIO for r in ratios),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=2000.0, help="offered issues per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--procs", type=int, default=2, help="load processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(run(args, Path(tmp))), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
