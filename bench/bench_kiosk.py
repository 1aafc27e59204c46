"""Kiosk benchmark: from a citizen's tap to a printed slip. Prints JSON, never fails.

The promise to a citizen at the kiosk is a number on paper in under two seconds. In
one run, against a real `python -m queue_server` child and a real virtual printer
child (`python -m printer.virtual`, ESC/POS over TCP), the kiosk's own model (the code
behind the touchscreen, without Qt) takes `--taps` tickets one after another:

- tap → printer checked (DLE EOT status over TCP) → number issued by the server
  (websocket round trip, durable) → slip rendered, encoded and sent → number on screen;
- first on an idle server, then while other kiosks issue `--load` tickets/s (open loop,
  one load process) — the Monday-morning rush — and the ratio of the two medians.

What the thermal head then takes to push the paper out is the printer's own time
(80 mm printers run 150–250 mm/s: a ~120 mm slip in about 0.5–0.8 s), so the
software's share should stay well under a second.

Run: .venv/bin/python -m bench.bench_kiosk [--taps 40] [--load 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_server import (
    KIOSK_TOKEN,
    SERVICES,
    Workers,
    accepts,
    bench_config,
    child,
    free_port,
    ms_percentiles,
)
from bench.loadgen import kiosk_rate_worker
from kiosk.config import KioskSettings
from kiosk.model import KioskModel, Phase
from printer.config import PrinterConfig
from printer.device import TicketPrinter
from queue_protocol.client import QueueClient


async def taps(model: KioskModel, count: int, gap: float) -> dict[str, Any]:
    """`count` taps one after another; each one's stages in seconds."""
    marks: dict[str, float] = {}

    def note() -> None:
        now = time.perf_counter()
        if model.phase is Phase.ISSUING:
            marks.setdefault("issuing", now)
        elif model.phase is Phase.PRINTING:
            marks.setdefault("printing", now)
        elif model.ticket is not None and model.phase is Phase.IDLE:
            marks.setdefault("shown", now)

    model.on_change(note)
    stages: dict[str, list[float]] = {"check_printer": [], "issue": [], "print": [], "total": []}
    failed = 0
    for i in range(count):
        model.go_home()  # (shows the last ticket's screen no more)
        marks.clear()
        start = time.perf_counter()
        task = model.take_ticket(SERVICES[i % len(SERVICES)])
        if task is None:
            raise RuntimeError("the kiosk is not in service")
        await task
        if "shown" not in marks:
            failed += 1
            continue
        stages["check_printer"].append(marks["issuing"] - start)
        stages["issue"].append(marks["printing"] - marks["issuing"])
        stages["print"].append(marks["shown"] - marks["printing"])
        stages["total"].append(marks["shown"] - start)
        await asyncio.sleep(gap)
    model.off_change(note)
    return {
        "taps": count,
        "failed": failed,
        **{name: ms_percentiles(values) for name, values in stages.items()},
    }


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    port, printer_port = free_port(), free_port()
    config = tmp / "bench.toml"  # bench_server's site: no daily cap to run into
    config.write_text(bench_config(), encoding="utf-8")
    server = [
        "queue_server",
        "--config",
        str(config),
        "--db",
        str(tmp / "kiosk.db"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ignore-hours",
    ]
    printer_args = [
        "printer.virtual",
        "--host",
        "127.0.0.1",
        "--port",
        str(printer_port),
        "--out",
        str(tmp / "prints"),
        "--width",
        "576",
    ]
    with (
        child(server, port, tmp / "server.log"),
        child(printer_args, printer_port, tmp / "printer.log", ready=accepts),
    ):
        base = f"http://127.0.0.1:{port}"
        client = QueueClient(f"ws://127.0.0.1:{port}/ws", role="kiosk", token=KIOSK_TOKEN)
        printer = TicketPrinter(
            PrinterConfig(connection="network", host="127.0.0.1", port=printer_port, width=576)
        )
        model = KioskModel(client, printer, KioskSettings(), base)
        await model.start()
        try:
            deadline = time.monotonic() + 30
            while not model.in_service:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"kiosk not in service: {model.out_of_service_reason}")
                await asyncio.sleep(0.05)
            await taps(model, 3, 0.1)  # warm up: fonts, first connections
            idle = await taps(model, args.taps, args.gap)

            load_seconds = args.taps * (args.gap + 0.3) + 5  # the loaded taps, with room
            workers = Workers(
                kiosk_rate_worker, [(client.url, KIOSK_TOKEN, 50, SERVICES, float(args.load))]
            )
            await workers.gather("ready")
            now = time.monotonic()
            workers.send(("go", now + 1.0, now + 3.0, now + 1.0 + load_seconds))
            await asyncio.sleep(3.0)  # the rush is on
            loaded = await taps(model, args.taps, args.gap)
            (background,) = await workers.gather("done", timeout=load_seconds + 60)
            workers.join()
        finally:
            await model.stop()
    bg = background["latencies"]
    return {
        "idle": idle,
        "under_load": {
            **loaded,
            "background_issue_rate": args.load,
            "background_acked": len(bg),
            "background_issue_ms": ms_percentiles(bg),
        },
        "total_p50_loaded_vs_idle": round(loaded["total"]["p50_ms"] / idle["total"]["p50_ms"], 2),
        "budget_seconds": 2.0,
        "slowest_tap_share_of_budget": round(
            max(idle["total"]["max_ms"], loaded["total"]["max_ms"]) / 2000, 3
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between citizens")
    parser.add_argument("--load", type=int, default=2000, help="other kiosks' tickets/s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = asyncio.run(run(args, Path(tmp)))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
