"""The supervisors' board under load: what five open boards cost the kiosks.

In one run, against a real `python -m queue_server` child process (32 counters, all
open, 22 services, 20 devices) taking 2,000 issues/s in an open loop (schedule-timed,
as `bench_server`'s rate phase, 200 kiosk connections in 2 load processes): the issue
latency without any board, then with 5 boards connected as `supervisor` (each gets a
whole snapshot of the floor at most every 0.5 s), twice each in ABBA order, each
phase on a fresh server and database (the queue grows by every ticket). Prints JSON;
the goal (issue p99 with boards ÷ without ≤ 1.1) is printed, not asserted.
Beside it, the CPU of one snapshot measured in-process, free of the machine's
contention: the latencies of a shared 2-core machine are noisy, that figure is not.

Run: .venv/bin/python -m bench.bench_board [--rate 2000] [--seconds 8] [--boards 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_server import (
    KIOSK_TOKEN,
    ROOT,
    SERVICES,
    child,
    free_port,
    rate_phase,
)
from queue_protocol.client import QueueClient, login
from queue_protocol.codec import dumps
from queue_server.core.board import board_view
from queue_server.domain import commands as c
from queue_server.domain.alert_rules import DeviceHealth
from queue_server.domain.config import read_config
from queue_server.domain.state import QueueState
from queue_server.ws.board import BOARD_SECONDS

N_SERVICES, N_COUNTERS, N_DEVICES = 22, 32, 20
PASSWORD = "bench-mat-khau"
GOAL_RATIO = 1.1


def board_config() -> str:
    """22 services (the first four are bench_server's), 32 counters each serving two,
    20 devices: the kiosk the load uses, 3 more kiosks, 16 displays."""
    services = SERVICES + [f"svc{i}" for i in range(len(SERVICES), N_SERVICES)]
    lines = ["[site]", 'name = "Bench"', "", "[[sectors]]", 'id = "s"', 'name = "S"']
    for i, service in enumerate(services):
        prefix = chr(65 + i % 26) + ("" if i < 26 else "B")
        lines += ["", "[[services]]", f'id = "{service}"', 'sector = "s"']
        lines += [f'name = "Dịch vụ {i}"', f'prefix = "{prefix}"', "width = 6"]
        lines += ["daily_cap = 999999"]
    for n in range(1, N_COUNTERS + 1):
        serves = [services[n % N_SERVICES], services[(n + 1) % N_SERVICES]]
        lines += ["", "[[counters]]", f"number = {n}", f"services = {json.dumps(serves)}"]
    lines += ["", "[[outcomes]]", 'id = "xong"', 'name = "Xong"']
    devices = [("kiosk-1", "kiosk", KIOSK_TOKEN)]
    devices += [(f"kiosk-{i}", "kiosk", f"bench-kiosk-{i}-token-0123") for i in range(2, 5)]
    devices += [(f"hall-{i}", "display", f"bench-hall-{i}-token-01234") for i in range(1, 17)]
    assert len(devices) == N_DEVICES
    for device, role, token in devices:
        lines += ["", "[[devices]]", f'id = "{device}"', f'role = "{role}"', f'token = "{token}"']
    return "\n".join(lines) + "\n"


def add_user(db: Path, name: str, role: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "queue_server",
            "user",
            "add",
            name,
            "--role",
            role,
            "--db",
            str(db),
        ],
        input=PASSWORD + "\n",
        text=True,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


async def open_counters(url: str, http: str) -> list[QueueClient]:
    """Every counter signed in (one officer account per counter), so the board is full."""
    consoles = []
    for n in range(1, N_COUNTERS + 1):
        token = await login(http, f"cb{n}", PASSWORD)
        client = QueueClient(url, role="counter", token=token, counter=n)
        await client.start()
        await client.wait_connected(10)
        consoles.append(client)
    return consoles


def snapshot_cost(config_text: str, waiting: int = 2000, repeat: int = 200) -> dict[str, Any]:
    """The CPU one board snapshot costs (built and encoded once for every board), on this
    site with `waiting` tickets waiting: contention-free, unlike the latencies."""
    config = read_config(config_text.encode(), "bench")
    state = QueueState(config, enforce_hours=False)
    now = time.time()
    state.execute(c.StartDay(actor="bench", day="2026-05-27"), now)
    for i in range(waiting):
        service = SERVICES[i % len(SERVICES)]
        state.execute(c.IssueTicket(actor="kiosk-1", service=service, public_id=f"p{i}"), now)
    for n in range(1, N_COUNTERS + 1):
        state.execute(c.OpenCounter(actor=f"cb{n}", counter=n), now)
    devices = [DeviceHealth(d.id, d.role, now, "ok") for d in config.devices.values()]
    started = time.perf_counter()
    for _ in range(repeat):
        frame = dumps(board_view(state, devices, now))
    each = (time.perf_counter() - started) / repeat
    return {
        "waiting_tickets": waiting,
        "snapshot_bytes": len(frame),
        "snapshot_ms": round(each * 1000, 3),
        # one snapshot per BOARD_SECONDS at most, whatever the number of boards
        "server_cpu_share_at_most": round(each / BOARD_SECONDS, 4),
    }


async def phase(args: argparse.Namespace, tmp: Path, with_boards: bool) -> dict[str, Any]:
    """One measured phase on a fresh server and database: the queue grows by every
    ticket issued (no counter serves here), so phases must not inherit each other's."""
    tmp.mkdir()
    config, db = tmp / "board.toml", tmp / "board.db"
    config.write_text(board_config(), encoding="utf-8")
    for n in range(1, N_COUNTERS + 1):
        add_user(db, f"cb{n}", "officer")
    add_user(db, "giam-sat", "supervisor")
    port = free_port()
    url, http = f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}"
    server_args = ["queue_server", "--config", str(config), "--db", str(db)]
    server_args += ["--host", "127.0.0.1", "--port", str(port), "--ignore-hours"]
    with child(server_args, port, tmp / "server.log") as server:
        # Opened, then the consoles hang up (the counters stay open): what is measured is
        # the boards' cost, not that of 32 consoles receiving every ticket.
        await asyncio.gather(*(c.stop() for c in await open_counters(url, http)))
        boards: list[QueueClient] = []
        frames: list[dict] = []
        if with_boards:
            token = await login(http, "giam-sat", PASSWORD)
            for _ in range(args.boards):
                board = QueueClient(url, role="supervisor", token=token)
                board.on_event(frames.append)
                await board.start()
                await board.wait_connected(10)
                boards.append(board)
        result = await rate_phase(
            url, args.kiosks, args.procs, args.rate, args.seconds, args.warmup, server.pid
        )
        result["board_frames_received"] = sum(1 for f in frames if f["type"] == "board")
        await asyncio.gather(*(b.stop() for b in boards))
    return result


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"without_boards": [], "with_boards": []}
    for i, with_boards in enumerate((False, True, True, False)):  # ABBA: no order bias
        result = await phase(args, tmp / f"phase-{i}", with_boards)
        runs["with_boards" if with_boards else "without_boards"].append(result)

    def p99s(key: str) -> list[float]:
        return [r["latency_from_due_time"]["p99_ms"] for r in runs[key]]

    without, with_ = statistics.mean(p99s("without_boards")), statistics.mean(p99s("with_boards"))
    return {
        "site": {"counters": N_COUNTERS, "services": N_SERVICES, "devices": N_DEVICES},
        "snapshot": snapshot_cost(board_config()),
        "offered_per_s": args.rate,
        "boards": args.boards,
        "issue_p99_ms_without_boards": p99s("without_boards"),
        "issue_p99_ms_with_boards": p99s("with_boards"),
        "board_frames_per_run": [r["board_frames_received"] for r in runs["with_boards"]],
        "ratio_p99_with_to_without": round(with_ / without, 3),
        "goal": f"<= {GOAL_RATIO}",
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=2000.0, help="offered issues per second")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured window per run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--boards", type=int, default=5)
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--procs", type=int, default=2, help="load processes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xephang-board-") as tmp:
        figures = asyncio.run(run(args, Path(tmp)))
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
