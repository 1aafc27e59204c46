"""Server benchmark over real websockets on loopback: prints JSON, never passes or fails.

In one run, against a real `python -m queue_server` child process, with the load
spread over 3 load processes (all on the same 2 cores as the server):

- issue latency at a fixed offered rate (open loop, default 8,000/s) over 200 kiosk
  connections: each request is sent when the schedule says, whatever the answers
  do, and its latency counts from that moment (no coordinated omission);
- issue capacity: 200 kiosk connections sending `issue` back to back with one
  request outstanding each (closed loop), tickets acknowledged per second;
- call-to-display latency p50/p99: 1,000 display connections, an officer's counter
  connection calls the next ticket, each display notes when `ticket_called`
  arrives; latency = arrival - the moment the call was sent;
- the same with a bare aiohttp broadcast server (`bench.loadgen baseline`) that
  sends one frame to every display in a plain loop: the floor for the fan-out.

Why both issue phases: with one request outstanding per connection, Little's law
fixes the mean latency at connections / throughput (200 / 8,000 = 25 ms), so a
closed loop cannot show latency at a given rate; the open loop does.

Goals are printed beside the figures, not asserted: >= 8,000 tickets/s,
p99 issue latency < 25 ms, call-to-display p99 within 1.5x of the bare broadcast.

Run: .venv/bin/python -m bench.bench_server [--phases rate,issue,call] [--rate 8000]
     [--seconds 10] [--kiosks 200] [--displays 1000] [--procs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import loadgen
from queue_protocol.client import QueueClient, login
from queue_server.core import eventloop

ROOT = Path(__file__).resolve().parent.parent
KIOSK_TOKEN = "bench-kiosk-token-0123456789"
DISPLAY_TOKEN = "bench-display-token-0123456789"
OFFICER, PASSWORD = "bench", "bench-mat-khau"
SERVICES = [f"svc{i}" for i in range(4)]
GOALS = {"tickets_per_s": 8000, "issue_p99_ms": 25, "call_to_display_vs_bare": 1.5}


def bench_config() -> str:
    """4 services of width 6 with big caps, 8 counters serving all, one kiosk, one display."""
    lines = ["[site]", 'name = "Bench"', "", "[[sectors]]", 'id = "s"', 'name = "S"']
    for i, service in enumerate(SERVICES):
        lines += [
            "",
            "[[services]]",
            f'id = "{service}"',
            'sector = "s"',
            f'name = "Dịch vụ {i}"',
            f'prefix = "{chr(65 + i)}"',
            "width = 6",
            "daily_cap = 999999",
        ]
    for n in range(1, 9):
        lines += ["", "[[counters]]", f"number = {n}", f"services = {json.dumps(SERVICES)}"]
    lines += [
        "",
        "[[outcomes]]",
        'id = "xong"',
        'name = "Xong"',
        "",
        "[[devices]]",
        'id = "kiosk-1"',
        'role = "kiosk"',
        f'token = "{KIOSK_TOKEN}"',
        "",
        "[[devices]]",
        'id = "hall-1"',
        'role = "display"',
        f'token = "{DISPLAY_TOKEN}"',
    ]
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers_healthz(port: int) -> None:
    """Returns once a server on 127.0.0.1:port answers /healthz; OSError before."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
        pass


def accepts(port: int) -> None:
    """Returns once something on 127.0.0.1:port takes a connection; OSError before."""
    socket.create_connection(("127.0.0.1", port), timeout=1).close()


@contextmanager
def child(args: list[str], port: int, log: Path, ready: Callable[[int], None] = answers_healthz):
    """`python -m ARGS` as a child process listening on 127.0.0.1:port, up (`ready`
    returns) inside the block."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready(port)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{args[0]} did not start; see {log}") from None
                time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Workers:
    """Load processes, each with a pipe to this one; spawned so no event loop is inherited."""

    def __init__(self, target: Any, args_for: list[tuple]) -> None:
        ctx = mp.get_context("spawn")
        self.pipes = []
        self.procs = []
        for args in args_for:
            parent, worker = ctx.Pipe()
            proc = ctx.Process(target=target, args=(*args, worker), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)

    async def gather(self, expect: str, timeout: float = 120) -> list[Any]:
        """Each worker's next message, which must be `expect`."""

        def recv_all() -> list[Any]:
            out = []
            deadline = time.monotonic() + timeout
            for pipe, proc in zip(self.pipes, self.procs, strict=True):
                while not pipe.poll(0.5):  # a crashed worker must not leave us waiting
                    if not proc.is_alive() or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"a load worker sent no {expect!r} (exit code {proc.exitcode})"
                        )
                kind, body = pipe.recv()
                if kind != expect:
                    raise RuntimeError(f"a load worker sent {kind!r}, not {expect!r}")
                out.append(body)
            return out

        return await asyncio.to_thread(recv_all)

    def send(self, message: tuple) -> None:
        for pipe in self.pipes:
            pipe.send(message)

    def join(self) -> None:
        for proc in self.procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def writer_figures(http_base: str) -> dict[str, float]:
    """Commands, batches and transactions of the writer so far, from the server's metrics."""
    with urllib.request.urlopen(f"{http_base}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    names = {
        "xephang_writer_batch_size_sum": "commands",
        "xephang_writer_batch_size_count": "batches",
        "xephang_writer_transactions": "transactions",
    }
    values = dict.fromkeys(names.values(), 0.0)
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in names:
            values[names[name]] = float(value)
    return values


def writer_share(before: dict[str, float], after: dict[str, float]) -> dict[str, float | None]:
    """Mean commands per writer batch and per SQLite transaction between two readings."""
    delta = {k: after[k] - before[k] for k in after}
    return {
        "commands_per_batch": round(delta["commands"] / delta["batches"], 1)
        if delta["batches"]
        else None,
        "commands_per_transaction": round(delta["commands"] / delta["transactions"], 1)
        if delta["transactions"]
        else None,
    }


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def ms_percentiles(seconds: list[float]) -> dict[str, float | None]:
    if len(seconds) < 2:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    q = statistics.quantiles(seconds, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
    }


async def measured_window(
    workers: Workers, go: tuple, measure_from: float, seconds: float, warmup: float, server_pid: int
) -> tuple[list[dict], dict[str, Any]]:
    """Start the kiosk workers, time the server's CPU over the measured window, collect
    their reports; returns them and the figures both issue phases give."""
    workers.send(go)
    await asyncio.sleep(measure_from - time.monotonic())
    server_cpu = cpu_seconds(server_pid)
    await asyncio.sleep(seconds)
    server_cpu = cpu_seconds(server_pid) - server_cpu
    reports = await workers.gather("done", timeout=seconds + warmup + 60)
    workers.join()
    wall = max(r["wall_s"] for r in reports)
    errors: Counter[str] = Counter()
    for r in reports:
        errors.update(r["errors"])
    acked = sum(r["acked_in_window"] for r in reports)
    return reports, {
        "seconds": seconds,
        "warmup_seconds": warmup,
        "tickets_acknowledged": acked,
        "tickets_per_s": round(acked / seconds),
        "errors": dict(errors),
        # Who used the 2 cores: the server's event loop is one thread of one process.
        "server_cpu_share": round(server_cpu / seconds, 2),
        "loadgen_cpu_share": round(sum(r["cpu_s"] for r in reports) / wall, 2),
    }


async def issue_phase(
    url: str, kiosks: int, procs: int, seconds: float, warmup: float, server_pid: int
) -> dict[str, Any]:
    """Capacity: every connection sends the next `issue` as soon as the last is answered."""
    workers = Workers(
        loadgen.kiosk_worker, [(url, KIOSK_TOKEN, n, SERVICES) for n in split(kiosks, procs)]
    )
    connected = sum(await workers.gather("ready"))
    measure_from = time.monotonic() + 0.2 + warmup  # 0.2 s for "go" to reach every worker
    reports, figures = await measured_window(
        workers,
        ("go", measure_from, measure_from + seconds),
        measure_from,
        seconds,
        warmup,
        server_pid,
    )
    wall = max(r["wall_s"] for r in reports)
    return {
        "kiosk_connections": connected,
        "processes": procs,
        **figures,
        "latency": ms_percentiles([x for r in reports for x in r["latencies"]]),
        "events_to_kiosks_per_s": round(sum(r["events"] for r in reports) / wall),
    }


async def rate_phase(
    url: str, kiosks: int, procs: int, rate: float, seconds: float, warmup: float, server_pid: int
) -> dict[str, Any]:
    """Issue latency at a fixed offered rate (open loop), from each request's due time."""
    workers = Workers(
        loadgen.kiosk_rate_worker,
        [(url, KIOSK_TOKEN, n, SERVICES, rate * n / kiosks) for n in split(kiosks, procs)],
    )
    connected = sum(await workers.gather("ready"))
    start = time.monotonic() + 0.2  # for "go" to reach every worker
    measure_from = start + warmup
    reports, figures = await measured_window(
        workers,
        ("go", start, measure_from, measure_from + seconds),
        measure_from,
        seconds,
        warmup,
        server_pid,
    )
    return {
        "kiosk_connections": connected,
        "processes": procs,
        "offered_per_s": rate,
        "sent_in_window": sum(r["sent_in_window"] for r in reports),
        "unanswered": sum(r["unanswered"] for r in reports),
        **figures,
        "latency_from_due_time": ms_percentiles([x for r in reports for x in r["latencies"]]),
        # How late the load processes sent, behind their schedule (counted in the latency).
        "send_lag": ms_percentiles([x for r in reports for x in r["lags"]]),
    }


async def call_phase(
    url: str, displays: int, procs: int, calls: int, gap: float, counter_token: str | None
) -> dict[str, Any]:
    """Displays listen while a counter calls; returns the call-to-display latencies."""
    workers = Workers(
        loadgen.display_worker,
        [
            (
                url,
                DISPLAY_TOKEN,
                n,
            )
            for n in split(displays, procs)
        ],
    )
    connected = sum(await workers.gather("ready"))
    sent: dict[str, float] = {}
    answered: list[float] = []
    async with QueueClient(
        url, role="counter", token=counter_token, counter=1, request_timeout=30
    ) as counter:
        await asyncio.sleep(0.5)  # let the displays settle after their welcomes
        for _ in range(calls):
            t0 = time.monotonic()
            result = await counter.call_next()
            answered.append(time.monotonic() - t0)
            sent[result["ticket"]["number"]] = t0
            await asyncio.sleep(gap)  # one fan-out at a time: latency, not throughput
        await asyncio.sleep(1.0)  # stragglers
    workers.send(("collect",))
    reports = await workers.gather("done")
    workers.join()
    latencies = []
    for r in reports:
        for number, times in r["received"].items():
            if number in sent:
                latencies += [t - sent[number] for t in times]
    expected = connected * len(sent)
    return {
        "display_connections": connected,
        "processes": procs,
        "calls": len(sent),
        "deliveries": len(latencies),
        "deliveries_expected": expected,
        "frames_per_display_per_call": round(
            sum(r["frames"] for r in reports) / max(1, expected), 2
        ),
        "latency": ms_percentiles(latencies),
        # The counter's own answer: for the real server it includes the durable commit.
        "call_next_result": ms_percentiles(answered),
    }


def add_officer(db: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "queue_server",
            "user",
            "add",
            OFFICER,
            "--role",
            "officer",
            "--db",
            str(db),
        ],
        input=PASSWORD + "\n",
        text=True,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    config, db = tmp / "bench.toml", tmp / "bench.db"
    config.write_text(bench_config(), encoding="utf-8")
    add_officer(db)
    port, bare_port = free_port(), free_port()
    server_args = [
        "queue_server",
        "--config",
        str(config),
        "--db",
        str(db),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ignore-hours",
    ]
    url = f"ws://127.0.0.1:{port}/ws"
    http_base = f"http://127.0.0.1:{port}"
    figures: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "event_loop": eventloop.loop_name(),
        }
    }
    with child(server_args, port, tmp / "server.log") as server:
        # The fixed rate first, on a fresh day (already a hundred times a real day's
        # tickets by its end); then the most the server takes; then the calls.
        if "rate" in args.phases:
            before = writer_figures(http_base)
            figures["issue_at_rate"] = await rate_phase(
                url, args.kiosks, args.procs, args.rate, args.seconds, args.warmup, server.pid
            )
            figures["issue_at_rate"]["writer"] = writer_share(before, writer_figures(http_base))
        if "issue" in args.phases:
            before = writer_figures(http_base)
            figures["issue"] = await issue_phase(
                url, args.kiosks, args.procs, args.seconds, args.warmup, server.pid
            )
            figures["issue"]["writer"] = writer_share(before, writer_figures(http_base))
        if "call" in args.phases:
            async with QueueClient(url, role="kiosk", token=KIOSK_TOKEN) as kiosk:
                for i in range(args.calls):  # someone to call, whatever ran before
                    await kiosk.issue(SERVICES[i % len(SERVICES)])
            token = await login(http_base, OFFICER, PASSWORD)
            call = await call_phase(url, args.displays, args.procs, args.calls, args.gap, token)
    if "call" in args.phases:
        with child(
            ["bench.loadgen", "baseline", "--port", str(bare_port)], bare_port, tmp / "baseline.log"
        ):
            bare = await call_phase(
                f"ws://127.0.0.1:{bare_port}/ws",
                args.displays,
                args.procs,
                args.calls,
                args.gap,
                None,
            )
        ratio = {
            k: round(call["latency"][k] / bare["latency"][k], 2)
            if call["latency"][k] and bare["latency"][k]
            else None
            for k in ("p50_ms", "p99_ms")
        }
        figures["call_to_display"] = {
            "server": call,
            "bare_broadcast": bare,
            "ratio_server_to_bare": ratio,
        }
    figures["goals"] = goals(figures)
    return figures


def goals(figures: dict[str, Any]) -> dict[str, Any]:
    """The issue's goals beside what this run measured (None: phase not run)."""
    capacity = figures.get("issue", {}).get("tickets_per_s")
    at_rate = figures.get("issue_at_rate", {})
    ratio = figures.get("call_to_display", {}).get("ratio_server_to_bare", {})
    return {
        "tickets_per_s": {
            "goal": f">= {GOALS['tickets_per_s']}",
            "measured_closed_loop": capacity,
            "measured_at_offered_rate": at_rate.get("tickets_per_s"),
        },
        "issue_p99_ms_at_offered_rate": {
            "goal": f"< {GOALS['issue_p99_ms']}",
            "offered_per_s": at_rate.get("offered_per_s"),
            "measured": at_rate.get("latency_from_due_time", {}).get("p99_ms"),
        },
        "call_to_display_p99_vs_bare": {
            "goal": f"<= {GOALS['call_to_display_vs_bare']}x",
            "measured": ratio.get("p99_ms"),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured issue window")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured issue lead-in")
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--displays", type=int, default=1000)
    parser.add_argument("--procs", type=int, default=3, help="load processes per phase")
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between calls")
    parser.add_argument(
        "--rate",
        type=float,
        default=GOALS["tickets_per_s"],
        help="offered issues per second in the open-loop phase",
    )
    parser.add_argument(
        "--phases",
        default="rate,issue,call",
        help="comma-separated: rate (open loop), issue (closed loop), call",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xephang-bench-") as tmp:
        figures = asyncio.run(run(args, Path(tmp)))
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
