"""Counter slip figures as JSON: phiếu hẹn render and encode time, bytes, ratio to a ticket.

    .venv/bin/python -m bench.bench_slips [--runs N]

The ratio (slip render ÷ ticket render, both measured in this run) says how a slip
compares with the ticket the kiosk prints on the same machine. Figures only; nothing
here passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_printer import BAUD, BITS_PER_BYTE, median_ms
from printer.config import PrinterConfig
from printer.counter_slip import CounterSlipLayout, encode_counter_slip, render_counter_slip
from printer.render import render_ticket
from printer.samples import sample_slip
from printer.slip_samples import sample_counter_slip
from printer.ticket import SlipLayout

LONG_CODE = "000.00.15.H09-261203-0001"  # a province code: the barcode runs down 58 mm paper


def measure(width: int, code: str, runs: int) -> dict[str, object]:
    slip, layout = sample_counter_slip(dossier_code=code), CounterSlipLayout()
    config = PrinterConfig(width=width)
    slip_ms = median_ms(lambda: render_counter_slip(slip, layout, width), runs)
    ticket_ms = median_ms(lambda: render_ticket(sample_slip(), SlipLayout(), width), runs)
    size = len(encode_counter_slip(slip, layout, config))
    return {
        "width": width,
        "code": code,
        "render_ms": slip_ms,
        "encode_ms": median_ms(lambda: encode_counter_slip(slip, layout, config), runs),
        "ticket_render_ms": ticket_ms,
        "slip_over_ticket": round(slip_ms / ticket_ms, 2),
        "height_dots": render_counter_slip(slip, layout, width).height,
        "bytes": size,
        "serial_9600_s": round(size * BITS_PER_BYTE / BAUD, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    results = [
        measure(w, code, args.runs)
        for w in (384, 576)
        for code in (sample_counter_slip().dossier_code, LONG_CODE)
    ]
    print(
        json.dumps(
            {"python": platform.python_version(), "runs": args.runs, "results": results}, indent=1
        )
    )


if __name__ == "__main__":
    main()
