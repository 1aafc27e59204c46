"""The composition root: one aiohttp app serving HTTP and the websocket `/ws` on one port.

It builds the context (`core.context.ServerContext`) and the desks, and owns the two
tables a reader looks for: every websocket request type and the handler that
answers it (`request_table`), and every HTTP route (`routes`). Start-up and shutdown
are `cleanup_ctx` steps, so a start that fails half-way undoes what it had opened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from queue_server.core import heap
from queue_server.core.context import ServerContext
from queue_server.domain.config import SiteConfig
from queue_server.web import proxy
from queue_server.web.api import Api
from queue_server.web.booking import BookingDesk
from queue_server.web.pages import FONT_DIR, STATIC_DIR, Pages
from queue_server.web.reports import ReportDesk
from queue_server.web.tracking import Tracker
from queue_server.ws.endpoint import Endpoint
from queue_server.ws.fanout import FanOut
from queue_server.ws.requests import Call, Command, FloorDesk, Handler, counter_answer, rated_answer


@dataclass(frozen=True)
class Desks:
    """Everything that answers a client, each handed the context and nothing more."""

    floor: FloorDesk
    booking: BookingDesk
    tracker: Tracker
    reports: ReportDesk
    api: Api
    pages: Pages


def request_table(d: Desks) -> dict[str, Handler]:
    """Websocket request type → its handler; which role may send which is
    `queue_protocol.messages.ROLE_REQUESTS`, the fields each takes `REQUEST_FIELDS`."""
    return {
        # kiosk
        "issue": Command(d.floor.issue),
        "void": Command(d.floor.void),
        "checkin": Call(d.booking.checkin),
        "device_status": Call(d.floor.device_status),
        # counter
        "call_next": Command(d.floor.call_next),
        "recall": Command(d.floor.recall),
        "no_show": Command(d.floor.no_show),
        "finish": Command(d.floor.finish),
        "transfer": Command(d.floor.transfer),
        "pause": Command(d.floor.pause, answer=counter_answer),
        "resume": Command(d.floor.resume, answer=counter_answer),
        "sign_out": Call(d.floor.sign_out),
        "my_day": Call(d.reports.my_day),
        # rating pad
        "rate": Command(d.floor.rate, answer=rated_answer),
        # public (a phone following its ticket)
        "track": Call(d.tracker.track),
    }


def routes(d: Desks, ws: Endpoint) -> list[web.AbstractRouteDef]:
    """Every HTTP route of the server."""
    pages, booking = d.pages, d.booking
    both = [  # (Vietnamese path, English path, handler): the same page in either language
        ("/dat-lich", "/en/booking", pages.booking),
        ("/dat-lich/huy/{code}", "/en/booking/cancel/{code}", pages.cancel),
        ("/t/{public_id}", "/en/t/{public_id}", pages.track),
        ("/bao-cao", "/en/report", pages.report),
    ]
    return [
        web.get("/ws", ws.handle),
        web.get("/healthz", d.api.healthz),
        web.get("/metrics", d.api.metrics),
        web.get("/api/services", d.api.services),
        web.get("/api/tickets/{public_id}", d.api.ticket),
        web.post("/api/login", d.api.login),
        web.get("/api/reports", d.reports.figures),
        web.get("/api/reports/tickets.csv", d.reports.tickets_csv),
        web.get("/api/booking/options", booking.get_options),
        web.get("/api/booking/slots", booking.get_slots),
        web.post("/api/bookings", booking.post_booking),
        web.post("/api/bookings/{code}/cancel", booking.post_cancel),
        web.get("/api/bookings/{code}.ics", booking.get_ics),
        web.get("/api/announcements/{number}/{counter}.wav", pages.announcement),
        web.get("/hall", pages.hall),
        *(web.get(path, handler) for vi, en, handler in both for path in (vi, en)),
        web.static("/static/", STATIC_DIR),
        web.static("/fonts/", FONT_DIR),
    ]


CONTEXT_KEY = web.AppKey("context", ServerContext)


def create_app(
    config: SiteConfig,
    db_path: str | Path,
    *,
    enforce_hours: bool = True,
    clock: Callable[[], float] = time.time,
    tune_gc: bool = False,
    trusted_proxies: tuple[proxy.Network, ...] = (),
) -> web.Application:
    """The server's aiohttp app; `trusted_proxies` may tell it the client's address in
    `X-Forwarded-For` (`queue_server.web.proxy`)."""
    ctx = ServerContext(config, db_path, enforce_hours=enforce_hours, clock=clock)
    booking, tracker = BookingDesk(ctx), Tracker(ctx)
    desks = Desks(
        floor=FloorDesk(ctx),
        booking=booking,
        tracker=tracker,
        reports=ReportDesk(ctx),
        api=Api(ctx),
        pages=Pages(ctx, booking, tracker),
    )
    fanout = FanOut(ctx, tune_gc=tune_gc)
    ws = Endpoint(ctx, fanout, request_table(desks))

    async def core(_app: web.Application) -> AsyncIterator[None]:
        await ctx.open()
        yield
        await ctx.close()

    async def edges(_app: web.Application) -> AsyncIterator[None]:
        fanout.start()
        ws.start()
        await tracker.start()
        await booking.start()
        try:
            yield
        finally:
            await tracker.stop()
            fanout.stop()

    async def frozen_heap(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(heap.freeze_survivors(), name="heap") if tune_gc else None
        yield
        if task is not None:
            task.cancel()

    middlewares = [proxy.middleware(trusted_proxies)] if trusted_proxies else []
    app = web.Application(client_max_size=64 * 1024, middlewares=middlewares)
    app[CONTEXT_KEY] = ctx
    app.cleanup_ctx.extend([core, edges, frozen_heap])
    # Open connections are closed before the handlers are awaited (on_shutdown comes
    # first), so a stopping server does not wait for every screen to hang up.
    app.on_shutdown.append(lambda _app: ws.close_all())
    app.add_routes(routes(desks, ws))
    return app
