"""Ticket printing figures as JSON: render and encode time, bytes, time on a 9600-baud line.

    .venv/bin/python bench/bench_printer.py [--runs N]

Figures only; nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from printer.config import IMAGE_MODES, PrinterConfig
from printer.encode import encode_ticket
from printer.render import WIDTHS, render_ticket, ticket_blocks
from printer.samples import sample_slip
from printer.ticket import SlipLayout

BAUD = 9600
BITS_PER_BYTE = 10  # 8N1: start + 8 data + stop


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def measure(width: int, mode: str, runs: int) -> dict[str, object]:
    slip, layout = sample_slip(), SlipLayout()
    hybrid = mode == "hybrid"
    config = PrinterConfig(
        width=width, image_mode="bitImageRaster" if hybrid else mode, hybrid=hybrid
    )
    render = (
        (lambda: ticket_blocks(slip, layout, width))
        if hybrid
        else (lambda: render_ticket(slip, layout, width))
    )
    size = len(encode_ticket(slip, layout, config))
    return {
        "width": width,
        "mode": mode,
        "render_ms": median_ms(render, runs),
        "encode_ms": median_ms(lambda: encode_ticket(slip, layout, config), runs),
        "bytes": size,
        "serial_9600_s": round(size * BITS_PER_BYTE / BAUD, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    results = [measure(w, m, args.runs) for w in WIDTHS for m in (*IMAGE_MODES, "hybrid")]
    print(
        json.dumps(
            {"python": platform.python_version(), "runs": args.runs, "results": results}, indent=1
        )
    )


if __name__ == "__main__":
    main()
