"""The serial and device-file connections, against a pseudo-terminal and a plain file."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from printer.config import PrinterConfig
from printer.device import TicketPrinter
from printer.errors import PaperOut
from printer.escpos_decode import DecodedJob, Decoder, StatusQuery, decode
from printer.render import render_ticket
from printer.samples import sample_slip
from printer.status import Paper
from printer.ticket import SlipLayout
from printer.virtual import PrinterState
from tests.support.waiting import until


class PtyPrinter:
    """The printer end of a pseudo-terminal: decodes what arrives, answers status queries."""

    def __init__(self, state: PrinterState) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        self._slave = slave
        self.state = state
        self.jobs: list[DecodedJob] = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        decoder = Decoder(576)
        while not self._stop:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            for event in decoder.feed(data):
                if isinstance(event, StatusQuery):
                    os.write(self.master, self.state.reply(event))
                else:
                    self.jobs.append(event)

    def close(self) -> None:
        self._stop = True
        os.close(self._slave)
        os.close(self.master)


@pytest.fixture
def pty_printer():
    printer = PtyPrinter(PrinterState())
    yield printer
    printer.close()


def serial_config(path: str) -> PrinterConfig:
    return PrinterConfig.from_dict(
        {
            "connection": "serial",
            "serial_device": path,
            "baudrate": 115200,
            "timeout": 3,
            "status_timeout": 0.5,
        }
    )


async def test_serial_status_and_print(pty_printer: PtyPrinter) -> None:
    printer = TicketPrinter(serial_config(pty_printer.path))
    assert (await printer.status()).ready
    await printer.print_ticket(sample_slip(), SlipLayout())
    await until(lambda: pty_printer.jobs, what="the job through the serial line")
    (job,) = pty_printer.jobs
    render = render_ticket(sample_slip(), SlipLayout(), 576)
    assert job.page.crop((0, 0, 576, render.height)).tobytes() == render.tobytes()


async def test_serial_paper_out_and_silence(pty_printer: PtyPrinter) -> None:
    printer = TicketPrinter(serial_config(pty_printer.path))
    pty_printer.state = PrinterState(paper="out")
    with pytest.raises(PaperOut):
        await printer.print_ticket(sample_slip(), SlipLayout())
    pty_printer.state = PrinterState(mute=True)
    status = await printer.status()
    assert status.paper is Paper.UNKNOWN and not status.known


def test_serial_deadline_allows_for_the_baud_rate() -> None:
    config = PrinterConfig(connection="serial", serial_device="/dev/ttyS0", baudrate=9600)
    assert config.transfer_seconds(76_000) == pytest.approx(79.2, abs=0.1)
    assert PrinterConfig(connection="network", host="x").transfer_seconds(76_000) == 0


async def test_device_file_gets_the_job_and_status_is_unknown(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    target.touch()
    printer = TicketPrinter(
        PrinterConfig(connection="file", device_path=str(target), width=384, image_mode="graphics")
    )
    assert not (await printer.status()).known
    await printer.print_ticket(sample_slip(), SlipLayout())
    (job,), _ = decode(target.read_bytes(), 384)
    render = render_ticket(sample_slip(), SlipLayout(), 384)
    assert job.page.crop((0, 0, 384, render.height)).tobytes() == render.tobytes()
