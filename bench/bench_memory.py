"""Memory of a served process: idle RSS, and RSS across 6,000 reconnects. Prints JSON.

Against a real `python -m queue_server` child on the sample site (`--ignore-hours`):

- idle: RSS (VmRSS) once the server answers, then after `--idle` seconds doing nothing;
  goal ≤ 50 MiB (issue 18, finding 9);
- reconnect: `--cycles` times (default 6,000), open `/ws`, send `x`, read the error,
  close (20 at a time); RSS before, right after, and after 60 s idle; goal: within
  5 MB of the start after the idle minute (finding 1).

Run: .venv/bin/python -m bench.bench_memory [--probes idle,reconnect] [--cycles 6000]
     [--idle 10] [--settle 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.bench_server import child, free_port

GOALS = {"idle_rss_mib": 50.0, "reconnect_growth_mb": 5.0}
MB = 1_000_000
MIB = 1 << 20


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux /proc), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


async def reconnect(port: int, cycles: int, parallel: int = 20) -> int:
    """`cycles` connections, each refused for a bad first frame; how many got the error."""
    answered = 0

    async def one_after_another(session: aiohttp.ClientSession, n: int) -> None:
        nonlocal answered
        for _ in range(n):
            async with session.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
                await ws.send_str("x")
                msg = await ws.receive_json(timeout=10)
                answered += msg.get("type") == "error"

    async with aiohttp.ClientSession() as session:
        shares = [cycles // parallel + (i < cycles % parallel) for i in range(parallel)]
        await asyncio.gather(*(one_after_another(session, n) for n in shares))
    return answered


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    port = free_port()
    server = ["queue_server", "--db", str(tmp / "q.db"), "--port", str(port), "--ignore-hours"]
    out: dict[str, Any] = {}
    with child(server, port, tmp / "server.log") as proc:
        started = rss_bytes(proc.pid)
        time.sleep(args.idle)  # the measurement is of a server left alone
        idle = rss_bytes(proc.pid)
        out["idle"] = {
            "rss_at_start_mib": round(started / MIB, 1),
            "rss_after_idle_mib": round(idle / MIB, 1),
            "idle_seconds": args.idle,
            "vs_goal": round(idle / MIB / GOALS["idle_rss_mib"], 2),
        }
        if "reconnect" in args.probes:
            before = rss_bytes(proc.pid)
            t0 = time.monotonic()
            answered = asyncio.run(reconnect(port, args.cycles))
            elapsed = time.monotonic() - t0
            after = rss_bytes(proc.pid)
            time.sleep(args.settle)  # the probe is "RSS after a minute with nobody"
            settled = rss_bytes(proc.pid)
            out["reconnect"] = {
                "cycles": args.cycles,
                "answered": answered,
                "seconds": round(elapsed, 1),
                "rss_before_mb": round(before / MB, 1),
                "rss_after_mb": round(after / MB, 1),
                "rss_after_idle_mb": round(settled / MB, 1),
                "idle_seconds": args.settle,
                "growth_after_idle_mb": round((settled - before) / MB, 1),
                "vs_goal": round((settled - before) / MB / GOALS["reconnect_growth_mb"], 2),
            }
    errors = [
        line
        for line in (tmp / "server.log").read_text().splitlines()
        if " ERROR " in line or "Traceback" in line
    ]
    out["server_error_lines"] = len(errors)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--probes", default="idle,reconnect")
    parser.add_argument("--cycles", type=int, default=6000)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=60.0)
    args = parser.parse_args()
    args.probes = set(args.probes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps({"goals": GOALS, **run(args, Path(tmp))}, indent=2))


if __name__ == "__main__":
    main()
