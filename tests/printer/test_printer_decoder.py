"""The pure ESC/POS decoder, the virtual printer's command line, and escpos hygiene."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from printer.config import PrinterConfig
from printer.device import TicketPrinter
from printer.escpos_decode import Decoder, StatusQuery, decode
from printer.samples import sample_slip
from printer.ticket import SlipLayout


def ink_box(img: Image.Image) -> tuple[int, int, int, int] | None:
    return ImageChops.invert(img.convert("L")).getbbox()


def test_text_sizes_alignment_and_feed() -> None:
    data = (
        b"\x1b@\x1ba\x01\x1d!\x11AB\n"
        + b"\x1d!\x00\x1ba\x00xy\n"
        + b"\x1b!\x30Z\n"
        + b"\x1bd\x02\x1dVB\x10"
    )
    (job,), queries = decode(data, 384)
    assert queries == []
    assert [(t.text, t.width_mult, t.height_mult, t.align) for t in job.texts] == [
        ("AB", 2, 2, "center"),
        ("xy", 1, 1, "left"),
        ("Z", 2, 2, "left"),
    ]
    first = job.page.crop((0, 0, 384, 48))
    box = ink_box(first)
    assert box is not None and abs((box[0] + box[2]) / 2 - 192) <= 6  # centred
    assert box[3] - box[1] > 24  # double height: taller than one Font A cell
    assert job.cut == "partial"
    assert job.page.height == 48 + 30 + 48 + 2 * 30 + 16


def test_column_band_of_eight_dot_mode_is_stretched() -> None:
    data = b"\x1b*\x00\x02\x00\xff\x00\n"  # 8-dot single density: 2 columns, first all black
    (job,), _ = decode(data, 64)
    assert ink_box(job.page) == (0, 0, 2, 24)


def test_status_queries_are_reported_in_order() -> None:
    _, queries = decode(b"\x10\x04\x01\x1dr\x01\x10\x04\x04", 576)
    assert queries == [StatusQuery("DLE EOT", 1), StatusQuery("GS r", 1), StatusQuery("DLE EOT", 4)]


def test_feeding_byte_by_byte_equals_one_shot() -> None:
    from printer.encode import encode_ticket

    data = encode_ticket(
        sample_slip(), SlipLayout(), PrinterConfig(width=384, hybrid=True, image_mode="graphics")
    )
    decoder = Decoder(384)
    events = []
    for i in range(0, len(data), 7):
        events += decoder.feed(data[i : i + 7])
    events += decoder.close()
    (job,), _ = decode(data, 384)
    (streamed,) = events
    assert streamed.page.tobytes() == job.page.tobytes()
    assert [t.text for t in streamed.texts] == ["A015"]


def test_close_ends_a_job_only_if_something_was_printed() -> None:
    assert decode(b"\x1b@\n\n\x1bJ\x20", 384)[0] == []
    (job,), _ = decode(b"hello", 384)
    assert job.cut is None and job.texts[0].text == "hello"


def test_stored_graphics_print_only_when_told() -> None:
    store = b"\x1d(L\x0c\x000p0\x01\x011\x08\x00\x02\x00\xff\xff"
    assert decode(store, 64)[0] == []
    (job,), _ = decode(store + b"\x1d(L\x02\x0002", 64)
    assert ink_box(job.page) == (0, 0, 8, 2)


def test_unknown_commands_are_skipped_not_fatal() -> None:
    decoder = Decoder(384)
    decoder.feed(b"\x1b\x01ok\n")
    assert decoder.unknown == [0]
    (job,) = decoder.close()
    assert job.texts[0].text == "ok"


def test_importing_escpos_through_printer_leaves_logging_and_stdout_alone() -> None:
    code = (
        "import logging\n"
        "from printer import _escpos\n"
        "from printer.config import PrinterConfig\n"
        "from printer.encode import encode_ticket\n"
        "from printer.device import TicketPrinter\n"
        "from printer.samples import sample_slip\n"
        "from printer.ticket import SlipLayout\n"
        "import asyncio\n"
        "_escpos.module()\n"
        "encode_ticket(sample_slip(), SlipLayout(), PrinterConfig())\n"
        "asyncio.run(TicketPrinter(PrinterConfig(require_status=False))"
        ".print_ticket(sample_slip(), SlipLayout()))\n"
        "assert logging.getLogger().handlers == [], logging.getLogger().handlers\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


async def test_command_line_virtual_printer(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "printer.virtual",
        "--port",
        "0",
        "--out",
        str(tmp_path),
        "--width",
        "384",
        "--paper",
        "near_end",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 15)
        port = int(re.search(rb":(\d+);", line).group(1))
        printer = TicketPrinter(
            PrinterConfig(connection="network", host="127.0.0.1", port=port, width=384, timeout=5)
        )
        assert (await printer.status()).paper.value == "near_end"
        await printer.print_ticket(sample_slip(), SlipLayout())
        async with asyncio.timeout(15):  # it logs the job once the picture is saved
            while b"job 1 printed" not in (logged := await proc.stderr.readline()):
                assert logged, "the printer exited"
        with Image.open(tmp_path / "job-0001.png") as png:
            assert png.width == 384
    finally:
        proc.terminate()
        await proc.wait()


@pytest.mark.parametrize("size", [1, 2, 8])
def test_gs_exclamation_magnification(size: int) -> None:
    n = (size - 1) << 4 | (size - 1)
    (job,), _ = decode(b"\x1d!" + bytes([n]) + b"H\n", 576)
    assert (job.texts[0].width_mult, job.texts[0].height_mult) == (size, size)
    box = ink_box(job.page)
    assert box is not None and box[2] - box[0] > 5 * size
