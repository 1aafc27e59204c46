"""Province tests' parts: simulated site logs (the real domain, `bench.daysim`, with
ratings), written into real site databases; the province server in this process; the
shipper in this process or as a child process to be killed."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from bench.daysim import DayPlan, DaySimulator
from queue_protocol.errors import QueueError
from queue_server.central.accounts import add_leader, add_site
from queue_server.central.app import CENTRAL_KEY, Central, create_central_app
from queue_server.core.store import Store
from queue_server.domain import commands as c
from queue_server.domain import events as e
from queue_server.domain.booking import Booking
from queue_server.domain.config import SiteConfig
from queue_server.domain.lifecycle import TicketStatus
from queue_server.domain.state import QueueState
from queue_server.replication.shipper import Shipper
from tests.support import ROOT
from tests.support.postgres import PgCluster
from tests.support.servers import free_port
from tests.support.waiting import until

LEADER_PASSWORD = "lanh-dao-tinh-1234"


class RatedDay(DaySimulator):
    """A simulated day whose events are kept, where most citizens rate their service."""

    def __init__(self, config: SiteConfig, plan: DayPlan, day: dt.date, next_id: int) -> None:
        super().__init__(config, plan, {}, day)
        self.state = QueueState(config, enforce_hours=False, next_ticket_id=next_id)
        self.log: list[e.Event] = []
        self.scale = [choice.id for choice in config.rating_scale]

    def do(self, command: c.Command, now: float) -> list[e.Event]:
        events = super().do(command, now)
        self.log.extend(events)
        return events

    def _arrive(self, now: float) -> None:
        with contextlib.suppress(QueueError):  # the service's cap for the day: turned away
            super()._arrive(now)

    def _finish(self, now: float, number: int) -> None:
        ticket = self.state.current_ticket(number)
        procedures = [] if ticket is None else self.config.procedures.for_service(ticket.service)
        if procedures and self.rng.random() < 0.6:  # a dossier received (issue 16)
            procedure = self.rng.choice(procedures).code
            dossier = f"HS-{self.day:%y%m%d}-{ticket.id}"  # type: ignore[union-attr]
            officer = self.state.counters[number].officer or ""
            link = c.LinkDossier(
                actor=officer, counter=number, procedure=procedure, dossier=dossier
            )
            self.do(link, now)
        if ticket is not None and self.rng.random() < 0.1:  # parked a while: not service
            called = self.state.tickets[ticket.id].called_at or now
            if now - called > 120:
                self.do(c.Hold(actor="", counter=number), called + 30)
                self.do(c.ResumeHeld(actor="", counter=number, number=ticket.number), now - 60)
        super()._finish(now, number)
        done = ticket is not None and self.state.tickets[ticket.id].status is TicketStatus.DONE
        if ticket is not None and done and self.rng.random() < 0.7:
            rating = self.rng.choice(self.scale)
            self.do(
                c.RateTicket(actor="pad", counter=number, number=ticket.number, rating=rating), now
            )


def simulate(
    config: SiteConfig, first: dt.date, days: int, tickets: int, seed: int
) -> tuple[list[tuple[str, e.Event]], list[Booking]]:
    """`days` consecutive days of a site: (business day, event) in log order, and the
    bookings as the site's bookings table holds them."""
    out: list[tuple[str, e.Event]] = []
    bookings: dict[str, Booking] = {}
    next_id = 1
    for n in range(days):
        day = first + dt.timedelta(days=n)
        sim = RatedDay(config, DayPlan(seed=seed * 1000 + n, tickets=tickets), day, next_id)
        sim.run()
        out.extend((day.isoformat(), ev) for ev in sim.log)
        bookings.update(sim.state.bookings.by_code)
        next_id = sim.state.next_ticket_id
    return out, list(bookings.values())


async def write_site(db: Path, events: list[tuple[str, e.Event]], bookings: list[Booking]) -> None:
    """A site database holding this log (and bookings), as its server would have written it."""
    store = await Store.open(db)
    try:
        for i in range(0, len(events), 500):
            await store.commit_batch(events[i : i + 500], [], [])
        await store.commit_batch([], [], [], bookings)
    finally:
        await store.close()


# -- PostgreSQL databases and the province server ------------------------------------


@contextlib.asynccontextmanager
async def fresh_database(cluster: PgCluster) -> AsyncIterator[str]:
    """A new empty database on the session's cluster; its DSN. Dropped afterwards."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = await asyncpg.connect(cluster.dsn())
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    try:
        yield cluster.dsn(name)
    finally:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            admin = await asyncpg.connect(cluster.dsn())
            try:
                await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
            finally:
                await admin.close()


class CentralServer:
    """The province server in this process on a free port; `stop()`/`start()` restart it."""

    def __init__(
        self, dsn: str, port: int | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.dsn, self.port, self.clock = dsn, port or free_port(), clock
        self.runner: web.AppRunner | None = None
        self.central: Central | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = create_central_app(self.dsn, self.clock)
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self.central = app[CENTRAL_KEY]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def add_site(self, site: str, district: str = "Thủ Dầu Một") -> str:
        assert self.central is not None
        return await add_site(self.central.pool, site, f"Trung tâm {site}", "Bình Dương", district)

    async def add_leader(self, name: str, scope: str, value: str) -> None:
        assert self.central is not None
        await add_leader(self.central.pool, name, LEADER_PASSWORD, scope, value)

    async def site_row(self, site: str) -> asyncpg.Record:
        assert self.central is not None
        return await self.central.pool.fetchrow("SELECT * FROM sites WHERE id = $1", site)

    async def stored_ids(self, site: str) -> list[int]:
        assert self.central is not None
        rows = await self.central.pool.fetch(
            "SELECT id FROM events WHERE site_id = $1 ORDER BY id", site
        )
        return [r["id"] for r in rows]

    async def caught_up(self, site: str, head: int) -> None:
        """Until the site's log up to `head` is stored and folded into the rollups."""

        async def done() -> bool:
            try:
                row = await self.site_row(site)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return False  # a pooled connection from before a database restart
            return row["acked"] >= head and row["applied"] >= head

        await until(done, timeout=60, what=f"{site} stored and folded up to {head}")


@contextlib.asynccontextmanager
async def shipping(shipper: Shipper) -> AsyncIterator[Shipper]:
    task = asyncio.create_task(shipper.run())
    try:
        yield shipper
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def site_head(db: Path) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]


class ShipperProcess:
    """`python -m queue_server ship` as a child process, to be killed for real."""

    def __init__(self, db: Path, central: str, site: str, token: str, config: Path) -> None:
        self.token_file = db.with_suffix(".token")
        self.token_file.write_text(token, encoding="utf-8")
        self.argv = [
            sys.executable, "-m", "queue_server", "ship", "--db", str(db), "--config",
            str(config), "--central", central, "--site", site, "--token-file",
            str(self.token_file),
        ]  # fmt: skip
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def shipper_process(*args: object) -> Iterator[ShipperProcess]:
    proc = ShipperProcess(*args)  # type: ignore[arg-type]
    proc.start()
    try:
        yield proc
    finally:
        proc.kill()


def shifted(config: SiteConfig, **site: Any) -> SiteConfig:
    return dataclasses.replace(config, site=dataclasses.replace(config.site, **site))
