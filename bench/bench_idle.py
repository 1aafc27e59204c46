"""A well-behaved kiosk's issue latency, alone and beside 2,000 idle connections and a
heavy kiosk (issue 18, finding 8). Prints JSON, never passes or fails.

Against a real `python -m queue_server` child (the bench site of `bench_server`):

1. alone: one kiosk connection issues `--rate` tickets/s (default 20) for `--seconds`;
   each request's latency is timed from its send to its answer;
2. loaded: the same, while a second process holds `--idle` public connections (phones
   following the queue: they read every `queue` update and send nothing) and a third
   issues `--heavy` tickets/s (default 1,000) over one kiosk connection.

Goal: loaded p99 ≤ 2 × alone p99.

Run: .venv/bin/python -m bench.bench_idle [--idle 2000] [--heavy 1000] [--rate 20]
     [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

from bench import loadgen
from bench.bench_server import (
    KIOSK_TOKEN,
    SERVICES,
    Workers,
    bench_config,
    child,
    free_port,
    ms_percentiles,
)
from queue_protocol.client import QueueClient
from queue_server.core import eventloop

GOAL_RATIO = 2.0


async def _idle_phones(url: str, n: int, pipe: Connection) -> None:
    """`n` public connections that read what comes and never send after the hello."""
    frames = 0
    gate = asyncio.Semaphore(loadgen.CONNECT_CONCURRENCY)
    # No pool limit: each websocket holds its connection (aiohttp's default is 100).
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one() -> aiohttp.ClientWebSocketResponse:
            async with gate:
                ws = await session.ws_connect(url, autoping=True, max_msg_size=0)
                await ws.send_json({"type": "hello", "protocol": 1, "role": "public"})
                await ws.receive()  # the welcome
                return ws

        sockets = await asyncio.gather(*(one() for _ in range(n)))

        async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
            nonlocal frames
            async for _ in ws:
                frames += 1

        readers = [asyncio.create_task(read(ws)) for ws in sockets]
        pipe.send(("ready", len(sockets)))
        await loadgen._recv(pipe)  # "stop"
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    pipe.send(("done", {"frames": frames}))


def idle_worker(url: str, n: int, pipe: Connection) -> None:
    """Process entry: `n` idle public connections until told to stop."""
    eventloop.run(_idle_phones(url, n, pipe))


async def well_behaved(url: str, rate: float, seconds: float) -> dict[str, Any]:
    """One kiosk issuing `rate` tickets/s, one at a time; its latencies."""
    latencies: list[float] = []
    async with QueueClient(url, role="kiosk", token=KIOSK_TOKEN) as kiosk:
        await kiosk.issue(SERVICES[0])  # warm the connection
        start = time.monotonic()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            sent = time.monotonic()
            await kiosk.issue(SERVICES[i % len(SERVICES)])
            latencies.append(time.monotonic() - sent)
    return {"requests": len(latencies), **ms_percentiles(latencies)}


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    config, db = tmp / "bench.toml", tmp / "bench.db"
    config.write_text(bench_config(), encoding="utf-8")
    port = free_port()
    server_args = ["queue_server", "--config", str(config), "--db", str(db)]
    server_args += ["--port", str(port), "--ignore-hours"]
    url = f"ws://127.0.0.1:{port}/ws"
    with child(server_args, port, tmp / "server.log"):
        alone = await well_behaved(url, args.rate, args.seconds)
        idle = Workers(idle_worker, [(url, args.idle)])
        connected = await idle.gather("ready")
        heavy = Workers(
            loadgen.kiosk_rate_worker,
            [(url, KIOSK_TOKEN, 1, SERVICES, args.heavy)] if args.heavy else [],
        )
        await heavy.gather("ready")
        now = time.monotonic()
        # (go, start, measure from, deadline): the heavy kiosk runs the whole loaded phase
        heavy.send(("go", now + 0.5, now + 0.5, now + args.seconds + 2.0))
        loaded = await well_behaved(url, args.rate, args.seconds)
        heavy_done = (await heavy.gather("done", timeout=120) or [None])[0]
        idle.send(("stop",))
        idle_done = (await idle.gather("done"))[0]
        heavy.join()
        idle.join()
    ratio = (
        round(loaded["p99_ms"] / alone["p99_ms"], 2)
        if loaded["p99_ms"] and alone["p99_ms"]
        else None
    )
    return {
        "alone": alone,
        "loaded": {
            **loaded,
            "idle_connections": connected[0],
            "frames_to_idle": idle_done["frames"],
            "heavy_offered_per_s": args.heavy,
            "heavy_acked": heavy_done and heavy_done["acked_in_window"],
            "heavy_errors": heavy_done and heavy_done["errors"],
            "heavy_latency": heavy_done and ms_percentiles(heavy_done["latencies"]),
        },
        "p99_loaded_vs_alone": ratio,
        "goal_ratio": GOAL_RATIO,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--heavy", type=float, default=1000)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(run(args, Path(tmp))), indent=2))


if __name__ == "__main__":
    main()
