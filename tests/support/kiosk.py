"""The kiosk harness: a kiosk model wired to a real server and a real virtual printer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from kiosk.config import KioskSettings
from kiosk.model import KioskModel
from printer.config import PrinterConfig
from printer.device import TicketPrinter
from printer.virtual import VirtualPrinter
from queue_protocol.client import QueueClient
from queue_protocol.urls import server_url_lists
from tests.support.servers import KIOSK_TOKEN
from tests.support.waiting import until

# Of the sample site (assets/config/binh-duong.toml)
BIRTH, MARRIAGE = "khai-sinh-khai-tu", "ket-hon"
BIRTH_COUNTER = 9  # counter 9 serves only BIRTH


def printer_config(vp: VirtualPrinter) -> PrinterConfig:
    return PrinterConfig(
        connection="network",
        host="127.0.0.1",
        port=vp.port,
        width=vp.width,
        timeout=2.0,
        status_timeout=0.5,
    )


def kiosk_model(base: str, vp: VirtualPrinter, **settings: object) -> KioskModel:
    """`base`: one server's address, or several separated by commas (as `--server`)."""
    http, ws = server_url_lists(base)
    client = QueueClient(ws, role="kiosk", token=KIOSK_TOKEN, backoff_min=0.05, backoff_max=0.3)
    defaults: dict[str, object] = {"printer_poll_seconds": 0.2, "issue_retry_seconds": 8.0}
    return KioskModel(
        client, TicketPrinter(printer_config(vp)), KioskSettings(**(defaults | settings)), http
    )


@contextlib.asynccontextmanager
async def running_kiosk(
    base: str, vp: VirtualPrinter, **settings: object
) -> AsyncIterator[KioskModel]:
    """A kiosk model, started and in service."""
    model = kiosk_model(base, vp, **settings)
    await model.start()
    try:
        await until(lambda: model.in_service, what="kiosk in service")
        yield model
    finally:
        await model.stop()
