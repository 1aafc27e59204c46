"""A centre's day, compressed: does the server stay flat? Prints JSON, never passes or fails.

A real `python -m queue_server` child on the sample site (32 counters) is driven at
`SPEED` (10×) the real rate of a busy centre, for `--minutes` real minutes
(= 10 × as many simulated minutes), by one load process:

- 20 kiosks issue `--tickets-per-day` tickets over an 8-hour day (at 10×);
- 30 officers sign in, call, serve (≈ 6 simulated minutes each) and finish;
- 5 rating pads (counters 1–5) rate what their counter finished;
- 5 hall displays and 300 phones follow the queue; each phone hangs up and
  reconnects every 2–5 simulated minutes, and follows a ticket it was given;
- a booking every 5 simulated minutes, the leaders' report every 10.

Sampled each second: the server's RSS and open file descriptors (/proc), and its
event-loop lag, measured inside the server (`xephang_loop_lag_seconds`, a 100 ms
sleeper's lateness, `core/eventloop.py`); issue latency as the kiosks see it.

Goals (issue 18): RSS and file descriptors flat — the slope over the second half at
most 1 % of the starting value per simulated hour; no ERROR line or traceback in
the server's log; event-loop lag p99 ≤ 20 ms.

RSS grows in pymalloc's 1 MiB steps: a run resolves the 1 % goal only if one step in
its second half is less than that (`one_arena_step_pct_per_sim_hour`, ≈ 0.6 % at the
default 30 minutes, ≈ 3 % at 6); the JSON says so in `verdicts`.

Run: .venv/bin/python -m bench.bench_soak [--minutes 30] [--tickets-per-day 3000]
     [--phones 300] [--heapwatch FILE [--heapwatch-seconds 10] [--tracemalloc]]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from assets import SAMPLE_CONFIG
from bench.bench_memory import rss_bytes
from bench.bench_server import child, free_port, ms_percentiles
from queue_protocol.client import ClientError, NotConnected, QueueClient, RequestTimeout
from queue_server.core.accounts import Accounts
from queue_server.core.siteconfig import load_config
from queue_server.core.store import Store

SPEED = 10.0  # simulated seconds per real second
DAY_HOURS = 8.0
KIOSK_TOKENS = ("kiosk-1-demo-token-change-me", "kiosk-2-demo-token-change-me")
HALL_TOKEN = "hall-1-demo-token-change-me"
RATING_TOKEN = "rating-pads-demo-token-change-me"
PASSWORD = "soak-mat-khau-0123"
WARM_UP = 40.0  # real seconds before the starting figures are taken
GOALS = {"slope_pct_per_sim_hour": 1.0, "loop_lag_p99_ms": 20.0, "error_lines": 0}
ARENA = 1 << 20  # pymalloc's arena: RSS grows by these steps
CALL_ERRORS = (ClientError, NotConnected, RequestTimeout)


def sim(seconds: float) -> float:
    """Real seconds for `seconds` of the simulated day."""
    return seconds / SPEED


def forwarded(n: int) -> dict[str, str]:
    """Each simulated client from an address of its own (the server trusts 127.0.0.1)."""
    return {"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


async def make_accounts(db: Path, officers: int) -> None:
    store = await Store.open(db)  # migrates the new database
    await store.close()
    accounts = await Accounts.open(db)
    try:
        for i in range(1, officers + 1):
            await accounts.add_user(f"can-bo-{i}", "officer", PASSWORD, full_name=f"Cán bộ {i}")
        await accounts.add_user("lanh-dao", "leader", PASSWORD, full_name="Lãnh đạo")
    finally:
        await accounts.close()


class Day:
    """The simulated clients of one run and what they saw."""

    def __init__(self, base: str, args: argparse.Namespace) -> None:
        self.base, self.url, self.args = base, base.replace("http", "ws", 1) + "/ws", args
        config = load_config(SAMPLE_CONFIG)
        self.counters = sorted(config.counters)[: args.counters]
        self.services = sorted(config.services)
        self.issue_latencies: list[tuple[float, float]] = []  # (when, seconds)
        self.public_ids: list[str] = []
        self.finished: dict[int, asyncio.Queue[str]] = {}
        self.counts: dict[str, int] = dict.fromkeys(
            ("issued", "called", "finished", "rated", "phone_sessions", "booked", "reports"), 0
        )
        self.refusals: dict[str, int] = {}
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    def refused(self, what: str) -> None:
        self.refusals[what] = self.refusals.get(what, 0) + 1

    async def login(self, name: str, n: int) -> str:
        for _ in range(3):  # a refused sign-in is counted and tried again
            async with self.http.post(
                f"{self.base}/api/login",
                json={"username": name, "password": PASSWORD},
                headers=forwarded(n),
            ) as resp:
                if resp.status == 200:
                    return (await resp.json())["token"]
                self.refused(f"login {resp.status}")
        raise RuntimeError(f"{name} could not sign in")

    async def kiosk(self, i: int, rate: float) -> None:
        async with QueueClient(self.url, role="kiosk", token=KIOSK_TOKENS[i % 2]) as client:
            await client.wait_connected(30)
            while True:
                await asyncio.sleep(random.expovariate(rate))
                sent = time.monotonic()
                try:
                    answer = await client.issue(random.choice(self.services))
                except CALL_ERRORS as err:
                    self.refused(f"issue {getattr(err, 'code', type(err).__name__)}")
                    continue
                self.issue_latencies.append((sent, time.monotonic() - sent))
                self.counts["issued"] += 1
                public_id = (answer.get("ticket") or {}).get("public_id")
                if public_id:
                    self.public_ids.append(public_id)

    async def officer(self, number: int) -> None:
        token = await self.login(f"can-bo-{number}", number)
        async with QueueClient(self.url, role="counter", token=token, counter=number) as client:
            await client.wait_connected(30)
            while True:
                try:
                    ticket = (await client.call_next()).get("ticket")
                except CALL_ERRORS as err:
                    self.refused(f"call_next {getattr(err, 'code', type(err).__name__)}")
                    ticket = None
                if not ticket:
                    await asyncio.sleep(sim(30))
                    continue
                self.counts["called"] += 1
                await asyncio.sleep(sim(random.uniform(180, 540)))
                try:
                    await client.finish()
                except CALL_ERRORS as err:
                    self.refused(f"finish {getattr(err, 'code', type(err).__name__)}")
                    continue
                self.counts["finished"] += 1
                if number in self.finished:
                    number_text = ticket.get("number") if isinstance(ticket, dict) else ticket
                    self.finished[number].put_nowait(str(number_text))

    async def rating_pad(self, number: int) -> None:
        finished = self.finished[number] = asyncio.Queue()
        async with QueueClient(self.url, role="rating", token=RATING_TOKEN, counter=number) as pad:
            await pad.wait_connected(30)
            while True:
                ticket = await finished.get()
                await asyncio.sleep(sim(20))  # the citizen taps a face
                try:
                    await pad.rate(ticket, random.choice(["rat-hai-long", "hai-long"]))
                    self.counts["rated"] += 1
                except CALL_ERRORS as err:
                    self.refused(f"rate {getattr(err, 'code', type(err).__name__)}")

    async def hall(self) -> None:
        async with QueueClient(self.url, role="display", token=HALL_TOKEN) as client:
            await client.wait_connected(30)
            await asyncio.Event().wait()  # follows until the end

    async def phone(self, n: int) -> None:
        await asyncio.sleep(random.uniform(0, sim(300)))  # not all at the opening
        rid = 0
        while True:
            async with self.http.ws_connect(self.url, headers=forwarded(1000 + n)) as ws:
                await ws.send_json({"type": "hello", "protocol": 1, "role": "public"})
                await ws.receive()  # the welcome
                self.counts["phone_sessions"] += 1
                if self.public_ids:
                    rid += 1
                    ticket = random.choice(self.public_ids)
                    await ws.send_json({"type": "track", "id": rid, "ticket": ticket})
                stay = time.monotonic() + sim(random.uniform(120, 300))
                while (left := stay - time.monotonic()) > 0:
                    try:
                        await ws.receive(timeout=left)
                    except TimeoutError:
                        break

    async def booker(self) -> None:
        n = 0
        while True:
            await asyncio.sleep(sim(300))
            n += 1
            if await self.book(n):
                self.counts["booked"] += 1

    async def book(self, n: int) -> bool:
        """One booking on the first free slot of the coming week; False if none or refused."""
        service = random.choice(self.services)
        today = dt.date.today()
        for ahead in range(1, 8):
            day = (today + dt.timedelta(days=ahead)).isoformat()
            url = f"{self.base}/api/booking/slots?service={service}&day={day}"
            async with self.http.get(url, headers=forwarded(50_000 + n)) as resp:
                if resp.status != 200:
                    continue
                free = [s for s in (await resp.json()).get("slots", []) if s.get("remaining")]
            if not free:
                continue
            body = {
                "service": service,
                "day": day,
                "time": free[0]["time"],
                "name": f"Nguyễn Văn {n}",
                "phone": f"09{n:08d}",
                "cccd": f"{n:012d}",
                "consent": True,
                "notice_version": load_config(SAMPLE_CONFIG).booking.notice_version,
            }
            async with self.http.post(
                f"{self.base}/api/bookings", json=body, headers=forwarded(50_000 + n)
            ) as resp:
                if resp.status == 201:
                    return True
                self.refused(f"booking {resp.status}")
                return False
        return False

    async def leader(self) -> None:
        token = await self.login("lanh-dao", 999)
        while True:
            await asyncio.sleep(sim(600))
            headers = {"Authorization": f"Bearer {token}", **forwarded(999)}
            async with self.http.get(f"{self.base}/api/reports", headers=headers) as resp:
                await resp.read()
                if resp.status == 200:
                    self.counts["reports"] += 1
                else:
                    self.refused(f"report {resp.status}")


async def loop_lag_buckets(http: aiohttp.ClientSession, base: str) -> dict[float, float]:
    """The server's loop-lag histogram: upper bound (s) → observations at or under it."""
    async with http.get(f"{base}/metrics") as resp:
        text = await resp.text()
    buckets = {}
    for line in text.splitlines():
        if line.startswith("xephang_loop_lag_seconds_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float(bound)] = float(line.rsplit(" ", 1)[1])
    return buckets


def p99_bound(before: dict[float, float], after: dict[float, float]) -> float | None:
    """The smallest bucket bound under which 99 % of the observations between two readings lie."""
    delta = {bound: after[bound] - before.get(bound, 0.0) for bound in sorted(after)}
    total = delta.get(float("inf"), 0.0)
    if not total:
        return None
    return next(bound for bound, count in delta.items() if count >= 0.99 * total)


def first_traceback(log: list[str]) -> list[str]:
    """The first traceback of the server's log, whole (up to 40 lines), to read the cause."""
    start = next((i for i, line in enumerate(log) if line.startswith("Traceback")), None)
    if start is None:
        return []
    end = start + 1
    while end < len(log) and end - start < 40 and (log[end].startswith(" ") or end == start + 1):
        end += 1
    return log[start : end + 1]


def slope_per_sim_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (real seconds, value), per simulated hour."""
    xs = [t for t, _ in samples]
    ys = [v for _, v in samples]
    slope = statistics.linear_regression(xs, ys).slope  # per real second
    return slope * 3600 / SPEED


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    db, port = tmp / "soak.db", free_port()
    await make_accounts(db, args.counters)
    base = f"http://127.0.0.1:{port}"
    server_args = ["queue_server", "--db", str(db), "--port", str(port), "--ignore-hours"]
    server_args += ["--trusted-proxy", "127.0.0.1"]
    samples: list[dict[str, float]] = []
    with child(server_args, port, tmp / "server.log") as proc:
        day = Day(base, args)
        rate = args.tickets_per_day / (DAY_HOURS * 3600) * SPEED / args.kiosks  # per kiosk
        tasks = [asyncio.create_task(day.officer(n)) for n in day.counters]
        tasks += [asyncio.create_task(day.rating_pad(n)) for n in day.counters[:5]]
        tasks += [asyncio.create_task(day.kiosk(i, rate)) for i in range(args.kiosks)]
        tasks += [asyncio.create_task(day.hall()) for _ in range(5)]
        tasks += [asyncio.create_task(day.phone(n)) for n in range(args.phones)]
        tasks += [asyncio.create_task(day.booker()), asyncio.create_task(day.leader())]
        lag_start = await loop_lag_buckets(day.http, base)
        start = time.monotonic()
        end = start + args.minutes * 60
        while (now := time.monotonic()) < end:
            samples.append(
                {
                    "t": now - start,
                    "rss": rss_bytes(proc.pid),
                    "fds": len(list(Path(f"/proc/{proc.pid}/fd").iterdir())),
                }
            )
            crashed = [t for t in tasks if t.done() and t.exception()]
            if crashed:
                raise RuntimeError("a simulated client failed") from crashed[0].exception()
            await asyncio.sleep(1.0 - (time.monotonic() - now) % 1.0)
        lag_end = await loop_lag_buckets(day.http, base)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await day.http.close()
    log = (tmp / "server.log").read_text(encoding="utf-8", errors="replace").splitlines()
    errors = [line for line in log if " ERROR " in line or "Traceback" in line]
    second_half = [s for s in samples if s["t"] >= samples[-1]["t"] / 2]
    # The start is taken once the day is under way: officers signed in (each sign-in's
    # scrypt takes 16 MB on a worker thread) and every phone connected once.
    settled = next(s for s in samples if s["t"] >= WARM_UP)
    figures: dict[str, Any] = {"sim_hours": round(args.minutes * 60 * SPEED / 3600, 2)}
    for key, unit in (("rss", 1 << 20), ("fds", 1)):
        first = settled[key]
        slope = slope_per_sim_hour([(s["t"], s[key]) for s in second_half])
        figures[key] = {
            "at_launch": round(samples[0][key] / unit, 1),
            "start": round(first / unit, 1),
            "max": round(max(s[key] for s in samples) / unit, 1),
            "end": round(samples[-1][key] / unit, 1),
            "second_half_slope_per_sim_hour": round(slope / unit, 3),
            "slope_pct_of_start_per_sim_hour": round(100 * slope / first, 3),
        }
    figures["rss_mib_every_30s"] = [round(s["rss"] / (1 << 20), 1) for s in samples[::30]]
    lag = p99_bound(lag_start, lag_end)
    late = [s for t, s in day.issue_latencies if t - start >= 0]
    figures |= {
        "loop_lag_p99_ms_at_most": None if lag is None else lag * 1000,
        "issue_latency": {"requests": len(late), **ms_percentiles(late)},
        "counts": day.counts,
        "refusals": day.refusals,
        "server_error_lines": len(errors),
        "first_error_lines": errors[:5],
        "first_traceback": first_traceback(log),
        "goals": GOALS,
    }
    figures["goals_met"] = {
        "rss_flat": abs(figures["rss"]["slope_pct_of_start_per_sim_hour"])
        <= GOALS["slope_pct_per_sim_hour"],
        "fds_flat": abs(figures["fds"]["slope_pct_of_start_per_sim_hour"])
        <= GOALS["slope_pct_per_sim_hour"],
        "no_error_lines": not errors,
        "loop_lag": lag is not None and lag * 1000 <= GOALS["loop_lag_p99_ms"],
    }
    # RSS moves in steps of pymalloc's 1 MiB arenas: one more step in the second half
    # is this much of the start per simulated hour; a run shorter than that resolves
    # cannot tell a slope under the goal from one step.
    half_sim_hours = (second_half[-1]["t"] - second_half[0]["t"]) * SPEED / 3600
    step = 100 * ARENA / settled["rss"] / half_sim_hours if half_sim_hours else None
    figures["one_arena_step_pct_per_sim_hour"] = None if step is None else round(step, 2)
    figures["verdicts"] = verdicts(figures, step)
    figures["all_goals_met"] = all(figures["goals_met"].values())
    return figures


def verdicts(figures: dict[str, Any], step: float | None) -> dict[str, str]:
    """Each goal in words: met or not, by what figure."""
    goal = GOALS["slope_pct_per_sim_hour"]
    met = figures["goals_met"]
    rss = figures["rss"]["slope_pct_of_start_per_sim_hour"]
    fds = figures["fds"]["slope_pct_of_start_per_sim_hour"]
    lag = figures["loop_lag_p99_ms_at_most"]
    said = {
        "rss_flat": f"RSS second-half slope {rss} % of the start per simulated hour (≤ {goal})",
        "fds_flat": f"open files second-half slope {fds} % per simulated hour (≤ {goal})",
        "no_error_lines": f"{figures['server_error_lines']} ERROR or traceback lines (0)",
        "loop_lag": f"event-loop lag p99 ≤ {lag} ms (≤ {GOALS['loop_lag_p99_ms']})",
    }
    out = {key: ("MET: " if met[key] else "NOT MET: ") + text for key, text in said.items()}
    if step is not None and step > goal:
        out["rss_flat"] += (
            f"; one 1 MiB arena step is {step:.2f} % here: too short a run to resolve"
            f" {goal} % (use --minutes 30 or more)"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="real minutes (× 10 simulated)")
    parser.add_argument("--tickets-per-day", type=int, default=3000)
    parser.add_argument("--phones", type=int, default=300)
    parser.add_argument("--kiosks", type=int, default=20)
    parser.add_argument("--counters", type=int, default=30)
    parser.add_argument(
        "--heapwatch", type=Path, help="the server writes what its memory is made of here"
    )
    parser.add_argument("--heapwatch-seconds", type=float, default=10.0)
    parser.add_argument("--tracemalloc", action="store_true", help="with --heapwatch: by line")
    args = parser.parse_args()
    if args.heapwatch:  # the server child inherits the environment (core/heapwatch.py)
        os.environ["XEPHANG_HEAPWATCH"] = str(args.heapwatch.resolve())
        os.environ["XEPHANG_HEAPWATCH_SECONDS"] = str(args.heapwatch_seconds)
        os.environ["XEPHANG_HEAPWATCH_TRACE"] = "1" if args.tracemalloc else "0"
        os.environ["XEPHANG_HEAPWATCH_AFTER"] = str(WARM_UP)  # growth after the warm-up
    with tempfile.TemporaryDirectory() as tmp:
        try:
            figures = asyncio.run(run(args, Path(tmp)))
        except Exception:
            print((Path(tmp) / "server.log").read_text()[-5000:], file=sys.stderr)
            raise
        print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
