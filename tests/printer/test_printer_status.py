"""Printer status and job refusal against the virtual printer over real sockets."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from printer.config import PrinterConfig
from printer.device import TicketPrinter
from printer.errors import CoverOpen, PaperOut, PrinterOffline, PrinterTimeout, StatusUnknown
from printer.samples import sample_slip
from printer.status import Paper, PrinterStatus, encode_replies, parse_status
from printer.ticket import SlipLayout
from printer.virtual import PrinterState, VirtualPrinter
from tests.support.waiting import printer_drained, until

TIMEOUT = 1.0


def config_for(vp: VirtualPrinter, **extra: object) -> PrinterConfig:
    return PrinterConfig(
        connection="network",
        host="127.0.0.1",
        port=vp.port,
        timeout=TIMEOUT,
        status_timeout=0.5,
        **extra,
    )


@pytest.mark.parametrize("paper", list(Paper)[:3])
@pytest.mark.parametrize("cover_open", [False, True])
@pytest.mark.parametrize("offline", [False, True])
def test_status_bytes_round_trip(paper: Paper, cover_open: bool, offline: bool) -> None:
    status = parse_status(encode_replies(offline=offline, cover_open=cover_open, paper=paper))
    assert status.paper is paper and status.cover_open is cover_open
    assert status.online is not (offline or cover_open or paper is Paper.OUT)
    assert status.ready is (status.online and not cover_open)


@pytest.mark.parametrize(
    "replies",
    [
        {},
        {1: 0x12, 2: 0x12},
        {1: 0x12, 2: 0x12, 4: 0xFF},
        {1: None, 2: 0x12, 4: 0x12},
        {1: 0, 2: 0, 4: 0},
    ],
)
def test_missing_or_malformed_replies_are_unknown_never_ok(replies: dict) -> None:
    status = parse_status(replies)
    assert not status.known and not status.ready and status.paper is Paper.UNKNOWN


async def test_ready_printer_reports_ok_and_prints(vp: VirtualPrinter) -> None:
    printer = TicketPrinter(config_for(vp))
    status = await printer.status()
    assert status.ready and status.paper is Paper.OK
    await printer.print_ticket(sample_slip(), SlipLayout())
    assert len(await vp.wait_for_jobs(1)) == 1


async def test_paper_out_refuses_the_job_and_prints_nothing(vp: VirtualPrinter) -> None:
    vp.set_state(paper="out")
    printer = TicketPrinter(config_for(vp))
    assert (await printer.status()).paper is Paper.OUT
    with pytest.raises(PaperOut) as info:
        await printer.print_ticket(sample_slip(), SlipLayout())
    assert info.value.status is not None and info.value.status.paper is Paper.OUT
    await printer_drained(vp)
    assert vp.jobs == [] and vp.refused == []  # refused before a byte of the ticket was sent


async def test_paper_near_end_still_prints(vp: VirtualPrinter) -> None:
    vp.set_state(paper="near_end")
    printer = TicketPrinter(config_for(vp))
    assert (await printer.status()).paper is Paper.NEAR_END
    await printer.print_ticket(sample_slip(), SlipLayout())
    assert len(await vp.wait_for_jobs(1)) == 1


@pytest.mark.parametrize(
    ("state", "error"), [({"cover_open": True}, CoverOpen), ({"offline": True}, PrinterOffline)]
)
async def test_cover_open_and_offline_refuse(vp: VirtualPrinter, state: dict, error: type) -> None:
    vp.set_state(**state)
    with pytest.raises(error):
        await TicketPrinter(config_for(vp)).print_ticket(sample_slip(), SlipLayout())
    assert vp.jobs == []


async def test_mute_printer_status_is_unknown(vp: VirtualPrinter) -> None:
    vp.set_state(mute=True)
    printer = TicketPrinter(config_for(vp))
    status = await printer.status()
    assert not status.known and status.paper is Paper.UNKNOWN and status.online is None
    with pytest.raises(StatusUnknown):
        await printer.print_ticket(sample_slip(), SlipLayout())
    assert vp.jobs == []


async def test_mute_printer_prints_when_status_is_not_required(vp: VirtualPrinter) -> None:
    vp.set_state(mute=True)
    await TicketPrinter(config_for(vp, require_status=False)).print_ticket(
        sample_slip(), SlipLayout()
    )
    assert len(await vp.wait_for_jobs(1)) == 1


async def test_hung_printer_times_out_within_the_configured_time(vp: VirtualPrinter) -> None:
    vp.set_state(hang=True)
    printer = TicketPrinter(config_for(vp, require_status=False))
    started = time.monotonic()
    with pytest.raises(PrinterTimeout):
        await printer.print_ticket(sample_slip(), SlipLayout())
    assert time.monotonic() - started < TIMEOUT + 0.5 * 3 + 3
    assert not (await printer.status()).known


async def test_a_hung_printer_does_not_block_the_event_loop(vp: VirtualPrinter) -> None:
    vp.set_state(hang=True)
    printer = TicketPrinter(config_for(vp, require_status=False))
    job = asyncio.create_task(printer.print_ticket(sample_slip(), SlipLayout()))
    ticks = 0
    while not job.done():
        await asyncio.sleep(0.05)
        ticks += 1
    assert ticks >= 10 and isinstance(job.exception(), PrinterTimeout)


async def test_nobody_listening_is_offline() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    printer = TicketPrinter(
        PrinterConfig(connection="network", host="127.0.0.1", port=port, timeout=TIMEOUT)
    )
    assert (await printer.status()).online is False
    with pytest.raises(PrinterOffline):
        await printer.print_ticket(sample_slip(), SlipLayout())


async def test_gs_r_answers_the_paper_sensor(vp: VirtualPrinter) -> None:
    vp.set_state(paper="near_end")
    reader, writer = await asyncio.open_connection("127.0.0.1", vp.port)
    writer.write(b"\x1dr\x01\x10\x04\x04")
    reply = await asyncio.wait_for(reader.readexactly(2), 2)
    writer.close()
    assert (
        reply[0] == 0x03 and parse_status({1: 0x12, 2: 0x12, 4: reply[1]}).paper is Paper.NEAR_END
    )


async def test_state_file_changes_a_running_printer(vp: VirtualPrinter) -> None:
    printer = TicketPrinter(config_for(vp))
    assert (await printer.status()).paper is Paper.OK
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "printer.virtual", "--out", str(vp.out_dir), "--set", "paper=out"],
        check=True,
        capture_output=True,
    )
    assert json.loads((vp.out_dir / "state.json").read_text())["paper"] == "out"
    await until(lambda: vp.state.paper == "out", what="the state file read")
    assert (await printer.status()).paper is Paper.OUT


def test_state_rejects_unknown_paper_value() -> None:
    with pytest.raises(ValueError):
        PrinterState(paper="lots")


async def test_a_cancel_that_meets_the_printers_answer_still_cancels() -> None:
    """A kiosk stopping just as a status poll comes back must stop (Python 3.11's
    `wait_for` returned the answer instead and the poll loop slept on for ever)."""
    printer = TicketPrinter(PrinterConfig(connection="network", host="127.0.0.1", port=9))
    release, answered = threading.Event(), threading.Event()

    def slow_status() -> PrinterStatus:
        release.wait(5)
        return PrinterStatus()

    printer.status_sync = slow_status  # type: ignore[method-assign]
    poll = asyncio.create_task(printer.status())
    # Seen from here, the poll is suspended: it awaits the worker's answer (it set
    # `_running` and went on to wrap and await it without yielding in between).
    await until(lambda: printer._running is not None, what="the poll handed to the worker")
    # Called after the loop's own callback: once this runs, the answer is on its way in.
    printer._running.add_done_callback(lambda _: answered.set())
    release.set()
    assert answered.wait(5)
    poll.cancel()  # before the loop has seen the answer
    with pytest.raises(asyncio.CancelledError):
        await poll
    printer.close()
