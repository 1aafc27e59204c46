"""Shared parts of the kiosk tests (no tests here): a restartable real server on a fixed port
(on the real clock, or on a settable one for bookings), a real virtual printer, a kiosk model
wired to both, booking through the server's JSON API, and polling waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from kiosk.config import KioskSettings, server_urls
from kiosk.model import KioskModel
from printer.config import PrinterConfig
from printer.device import TicketPrinter
from printer.virtual import VirtualPrinter
from queue_protocol.client import QueueClient
from queue_server.app import SERVER_KEY, QueueServer, create_app
from queue_server.core.siteconfig import load_config
from tests.servers import KIOSK_TOKEN, SAMPLE_CONFIG, free_port

BIRTH, MARRIAGE, LAND = "khai-sinh-khai-tu", "ket-hon", "cap-giay-chung-nhan"
BIRTH_COUNTER = 9  # counter 9 serves only BIRTH
# A Wednesday, 09:00 in Ho Chi Minh City (UTC+7): the sample site is open, bookings are taken.
WEDNESDAY_9AM = 1_779_847_200.0  # 2026-05-27 09:00 +07:00
WEDNESDAY = "2026-05-27"


class Clock:
    """The server's "now", set by the test (`clock.now = …`)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Server:
    """The real queue server in this process, stoppable and restartable on one port and db."""

    def __init__(self, db: Path, clock: Callable[[], float] = time.time) -> None:
        self.db, self.port, self.clock = db, free_port(), clock
        self.runner: web.AppRunner | None = None
        self.server: QueueServer | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = create_app(load_config(SAMPLE_CONFIG), self.db, enforce_hours=False,
                         clock=self.clock)
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self.server = app[SERVER_KEY]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    def tickets(self, service: str | None = None) -> list:
        assert self.server is not None
        return [t for t in self.server.state.tickets.values()
                if service is None or t.service == service]

    def device_printer(self) -> str | None:
        assert self.server is not None
        states = [d["printer"] for d in self.server.devices.values()]
        return states[0] if states else None


@contextlib.asynccontextmanager
async def real_server(db: Path, clock: Callable[[], float] = time.time
                      ) -> AsyncIterator[Server]:
    server = Server(db, clock)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def book(base: str, service: str, day: str, slot: str,
               phone: str = "0912345678") -> dict[str, Any]:
    """Book a place through `POST /api/bookings`, as the web page does; the booking."""
    body = {"service": service, "day": day, "time": slot, "name": "Nguyễn Văn An",
            "phone": phone, "consent": True, "notice_version": "2026-01"}
    async with aiohttp.ClientSession() as http, \
            http.post(f"{base}/api/bookings", json=body) as resp:
        answer = await resp.json()
    assert resp.status == 201, answer
    return answer["booking"]


def printer_config(vp: VirtualPrinter) -> PrinterConfig:
    return PrinterConfig(connection="network", host="127.0.0.1", port=vp.port, width=vp.width,
                         timeout=2.0, status_timeout=0.5)


def kiosk_model(base: str, vp: VirtualPrinter, **settings: object) -> KioskModel:
    http, ws = server_urls(base)
    client = QueueClient(ws, role="kiosk", token=KIOSK_TOKEN, backoff_min=0.05,
                         backoff_max=0.3)
    defaults: dict[str, object] = {"printer_poll_seconds": 0.2, "issue_retry_seconds": 8.0}
    return KioskModel(client, TicketPrinter(printer_config(vp)),
                      KioskSettings(**(defaults | settings)), http)


@contextlib.asynccontextmanager
async def running_kiosk(base: str, vp: VirtualPrinter, **settings: object
                        ) -> AsyncIterator[KioskModel]:
    model = kiosk_model(base, vp, **settings)
    await model.start()
    try:
        await until(lambda: model.in_service, what="kiosk in service")
        yield model
    finally:
        await model.stop()


async def until(predicate: Callable[[], object], timeout: float = 15.0,
                what: str = "condition") -> None:
    """Poll (a loaded 2-core machine may be slow): fail only after a generous timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def virtual_printer(out_dir: Path) -> AsyncIterator[VirtualPrinter]:
    async with VirtualPrinter(out_dir=out_dir, width=576) as vp:
        yield vp
