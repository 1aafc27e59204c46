"""Load-generator workers for `bench.bench_server`, each run in its own process.

One Python process saturates at a few thousand connections, so the bench spreads
its kiosks and displays over several worker processes. A worker talks to the
parent over a `multiprocessing` pipe: it connects its clients, says "ready",
waits for "go", does bounded work, and sends its raw figures back.

Times are `time.monotonic()`: CLOCK_MONOTONIC is one clock for the whole
machine on Linux, so a send time taken in one process and a receive time taken
in another can be subtracted.

This module also holds the bare broadcast baseline server (`python -m bench.loadgen
baseline --port P`): the least an aiohttp websocket server can do to push one
frame to every display, for comparison with the real server's fan-out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import defaultdict
from multiprocessing.connection import Connection
from typing import Any

from aiohttp import WSMsgType, web

from queue_protocol.client import ClientError, NotConnected, QueueClient, RequestTimeout
from queue_server.core import eventloop

CONNECT_CONCURRENCY = 25  # a burst of hundreds of SYNs overflows the listen backlog


async def _connect_all(url: str, role: str, token: str, n: int) -> list[QueueClient]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one() -> QueueClient:
        async with gate:
            client = QueueClient(url, role=role, token=token, request_timeout=30.0)
            await client.start()
            await client.wait_connected(60.0)
            return client

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def _recv(pipe: Connection) -> Any:
    """Read the parent's next message without blocking this process's event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, pipe.recv)


async def _kiosks(url: str, token: str, n: int, services: list[str], pipe: Connection) -> None:
    clients = await _connect_all(url, "kiosk", token, n)
    events = 0

    def on_event(_event: dict[str, Any]) -> None:
        nonlocal events
        events += 1

    for client in clients:
        client.on_event(on_event)
    pipe.send(("ready", len(clients)))
    _, measure_from, deadline = await _recv(pipe)
    cpu0, wall0 = time.process_time(), time.monotonic()
    latencies: list[float] = []
    acked_in_window = 0
    errors: defaultdict[str, int] = defaultdict(int)

    async def kiosk(k: int, client: QueueClient) -> None:
        # One request outstanding per connection, back to back, until the deadline.
        nonlocal acked_in_window
        i = 0
        while (t0 := time.monotonic()) < deadline:
            i += 1
            try:
                await client.issue(services[(k + i) % len(services)])
            except (ClientError, NotConnected, RequestTimeout) as exc:
                errors[getattr(exc, "code", type(exc).__name__)] += 1
                await asyncio.sleep(0.01)  # a refusing or absent server must not spin the CPU
                continue
            t1 = time.monotonic()
            if t0 >= measure_from:
                latencies.append(t1 - t0)
            if measure_from <= t1 <= deadline:
                acked_in_window += 1

    await asyncio.gather(*(kiosk(k, c) for k, c in enumerate(clients)))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    await asyncio.gather(*(c.stop() for c in clients))
    pipe.send(
        (
            "done",
            {
                "latencies": latencies,
                "acked_in_window": acked_in_window,
                "errors": dict(errors),
                "events": events,
                "cpu_s": cpu,
                "wall_s": wall,
            },
        )
    )


async def _kiosks_at_rate(
    url: str, token: str, n: int, services: list[str], rate: float, pipe: Connection
) -> None:
    """Open loop: `rate` issues per second over `n` connections, whatever the answers do.

    A request's latency runs from the moment it was due by the schedule, not from
    when it was sent: if this process falls behind, that delay counts too (no
    "coordinated omission"). A connection may have several requests outstanding.
    """
    clients = await _connect_all(url, "kiosk", token, n)
    pipe.send(("ready", len(clients)))
    _, start, measure_from, deadline = await _recv(pipe)
    cpu0, wall0 = time.process_time(), time.monotonic()
    latencies: list[float] = []
    due_times: list[float] = []  # each latency's due time, for figures by second
    lags: list[float] = []
    acked_in_window = sent_in_window = 0
    errors: defaultdict[str, int] = defaultdict(int)
    running: set[asyncio.Task] = set()

    async def one(client: QueueClient, service: str, due: float) -> None:
        nonlocal acked_in_window
        if due >= measure_from:
            lags.append(time.monotonic() - due)
        try:
            await client.issue(service)
        except (ClientError, NotConnected, RequestTimeout) as exc:
            errors[getattr(exc, "code", type(exc).__name__)] += 1
            return
        done = time.monotonic()
        if due >= measure_from:
            latencies.append(done - due)
            due_times.append(due)
        if measure_from <= done <= deadline:
            acked_in_window += 1

    i = 0
    while (due := start + i / rate) < deadline:
        now = time.monotonic()
        # A shorter sleep is rounded to 0 by the loop's millisecond timers: a busy spin.
        await asyncio.sleep(max(due - now, 0.001))
        while (due := start + i / rate) <= time.monotonic() and due < deadline:
            if due >= measure_from:
                sent_in_window += 1
            task = asyncio.create_task(one(clients[i % n], services[i % len(services)], due))
            running.add(task)
            task.add_done_callback(running.discard)
            i += 1
    if running:
        await asyncio.wait(running, timeout=30)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    await asyncio.gather(*(c.stop() for c in clients))
    pipe.send(
        (
            "done",
            {
                "latencies": latencies,
                "due_times": due_times,
                "lags": lags,
                "acked_in_window": acked_in_window,
                "sent_in_window": sent_in_window,
                "unanswered": len(running),
                "errors": dict(errors),
                "cpu_s": cpu,
                "wall_s": wall,
            },
        )
    )


async def _displays(url: str, token: str, n: int, pipe: Connection) -> None:
    received: defaultdict[str, list[float]] = defaultdict(list)
    frames = 0

    def on_event(event: dict[str, Any]) -> None:
        nonlocal frames
        frames += 1
        if event.get("type") == "ticket_called":
            received[event["number"]].append(time.monotonic())

    clients = await _connect_all(url, "display", token, n)
    for client in clients:
        client.on_event(on_event)
    pipe.send(("ready", len(clients)))
    cpu0 = time.process_time()
    await _recv(pipe)  # "collect": the calls are over
    cpu = time.process_time() - cpu0
    await asyncio.gather(*(c.stop() for c in clients))
    pipe.send(("done", {"received": dict(received), "frames": frames, "cpu_s": cpu}))


def kiosk_worker(url: str, token: str, n: int, services: list[str], pipe: Connection) -> None:
    """Process entry: `n` kiosk connections issuing tickets between "go" and the deadline."""
    eventloop.run(_kiosks(url, token, n, services, pipe))


def kiosk_rate_worker(
    url: str, token: str, n: int, services: list[str], rate: float, pipe: Connection
) -> None:
    """Process entry: `n` kiosk connections issuing `rate` tickets/s between "go" and the end."""
    eventloop.run(_kiosks_at_rate(url, token, n, services, rate, pipe))


def display_worker(url: str, token: str, n: int, pipe: Connection) -> None:
    """Process entry: `n` display connections recording when each `ticket_called` arrives."""
    eventloop.run(_displays(url, token, n, pipe))


# -- the bare broadcast baseline ----------------------------------------------


def baseline_app() -> web.Application:
    """Welcome anyone; on `call_next` send one ticket_called frame to every display."""
    displays: set[web.WebSocketResponse] = set()
    calls = 0

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        nonlocal calls
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        role = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if role is None:
                role = frame.get("role")
                await ws.send_str(json.dumps({"type": "welcome", "protocol": 1, "role": role}))
                if role == "display":
                    displays.add(ws)
            elif frame.get("type") == "call_next":
                calls += 1
                number = f"X{calls:03d}"
                text = json.dumps(
                    {
                        "type": "ticket_called",
                        "number": number,
                        "service": "x",
                        "counter": 1,
                        "counter_name": "Quầy 1",
                        "recall": False,
                        "at": time.time(),
                    },
                    ensure_ascii=False,
                )
                for display in list(displays):
                    await display.send_str(text)
                await ws.send_str(
                    json.dumps(
                        {
                            "type": "result",
                            "id": frame["id"],
                            "ok": True,
                            "ticket": {"number": number},
                        }
                    )
                )
        displays.discard(ws)
        return ws

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    base = sub.add_parser("baseline", help="run the bare broadcast server")
    base.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(
        baseline_app(),
        host="127.0.0.1",
        port=args.port,
        print=None,
        access_log=None,
        loop=eventloop.new_event_loop(),
    )


if __name__ == "__main__":
    main()
