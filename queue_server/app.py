"""The composition root: one aiohttp app serving HTTP and the websocket `/ws` on one port.

It builds the context (`core.context.ServerContext`) and the desks, and owns the two
tables a reader looks for: every websocket request type and the handler that
answers it (`request_table`), and every HTTP route (`routes`). Start-up and shutdown
are `cleanup_ctx` steps, so a start that fails half-way undoes what it had opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from queue_server.core import eventloop, heap, heapwatch, logsummary
from queue_server.core.context import ServerContext
from queue_server.core.storekind import pgstore_wanted
from queue_server.domain.config import SiteConfig, public_url_warning
from queue_server.domain.dossier_config import DossierConfig
from queue_server.dossiers.desk import DossierDesk
from queue_server.outbox.service import Messaging
from queue_server.web import lookup, proxy
from queue_server.web.admin import AdminDesk
from queue_server.web.api import Api
from queue_server.web.booking import BookingDesk
from queue_server.web.dossier_lookup import DossierLookupDesk
from queue_server.web.dossier_lookup import routes as dossier_routes
from queue_server.web.messages import MessageDesk, subscribed_answer
from queue_server.web.pages import FONT_DIR, STATIC_DIR, Pages
from queue_server.web.reports import ReportDesk
from queue_server.web.standby import StandbyDesk
from queue_server.web.tracking import Tracker
from queue_server.ws import standby as ws_standby
from queue_server.ws.board import BoardFeed
from queue_server.ws.dossiers import DossierCounterDesk
from queue_server.ws.endpoint import Endpoint
from queue_server.ws.fanout import FanOut
from queue_server.ws.kiosk_printers import printer_feed
from queue_server.ws.lookup import LookupDesk
from queue_server.ws.requests import Call, Command, FloorDesk, Handler, counter_answer, rated_answer
from queue_server.ws.supervisor import SupervisorDesk


@dataclass(frozen=True)
class Desks:
    """Everything that answers a client, each handed the context and nothing more."""

    floor: FloorDesk
    supervisor: SupervisorDesk
    booking: BookingDesk
    messages: MessageDesk
    tracker: Tracker
    reports: ReportDesk
    api: Api
    pages: Pages
    search: LookupDesk
    lookup: lookup.Lookup
    dossiers: DossierCounterDesk
    admin: AdminDesk


def request_table(d: Desks) -> dict[str, Handler]:
    """Websocket request type → its handler; which role may send which is
    `queue_protocol.messages.ROLE_REQUESTS`, the fields each takes `REQUEST_FIELDS`."""
    return {
        # kiosk
        "issue": Command(d.floor.issue),
        "void": Command(d.floor.void),
        "checkin": Call(d.booking.checkin),
        "checkin_card": Call(d.booking.checkin_card),
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
        "call_number": Command(d.floor.call_number),
        "requeue": Command(d.floor.requeue, answer=counter_answer),
        "hold": Command(d.floor.hold, answer=counter_answer),
        "resume_held": Command(d.floor.resume_held),
        "lookup": Call(d.floor.lookup),
        # counter: dossiers received, slips printed (issue 16)
        "dossier_receive": Call(d.dossiers.receive),
        "dossier_get": Call(d.dossiers.get),
        "dossier_procedures": Call(d.dossiers.procedures),
        "dossier_printed": Call(d.dossiers.printed),
        # kiosk: a citizen looks a dossier up (typed, or the slip scanned)
        "dossier_lookup": Call(d.dossiers.lookup),
        # rating pad
        "rate": Command(d.floor.rate, answer=rated_answer),
        # kiosk, display, rating pad: alive
        "ping": Call(d.floor.ping),
        # supervisor (the board, /giam-sat)
        "ack_alert": Call(d.supervisor.ack_alert),
        "hall_notice": Call(d.supervisor.hall_notice),
        "close_service": Call(d.supervisor.close_service),
        "open_service": Call(d.supervisor.open_service),
        "suggest_service": Call(d.supervisor.suggest_service),
        "end_session": Call(d.supervisor.end_session),
        "alert_limits": Call(d.supervisor.alert_limits),
        # public (a phone following its ticket)
        "track": Call(d.tracker.track),
        # kiosk and public: tell me by message when my turn nears
        "notify_me": Command(d.messages.notify_me, answer=subscribed_answer),
        # kiosk and public: the one search of services and procedures (issues 12, 16)
        "search": Call(d.search.search),
    }


def routes(d: Desks, ws: Endpoint) -> list[web.AbstractRouteDef]:
    """Every HTTP route of the server."""
    pages, booking = d.pages, d.booking
    both = [  # (Vietnamese path, English path, handler): the same page in either language
        ("/dat-lich", "/en/booking", pages.booking),
        ("/dat-lich/huy/{code}", "/en/booking/cancel/{code}", pages.cancel),
        ("/t/{public_id}", "/en/t/{public_id}", pages.track),
        ("/bao-cao", "/en/report", pages.report),
        ("/giam-sat", "/en/floor", pages.floor),
        ("/danh-gia/{token}", "/en/rating/{token}", pages.rating),
        ("/tin-nhan", "/en/messages", pages.messages),
        *lookup.routes(d.lookup),  # /tra-cuu, a procedure's guide
        ("/quan-tri", "/en/admin", pages.admin),
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
        web.get("/api/messaging/options", d.messages.get_options),
        web.post("/api/tickets/{public_id}/notify", d.messages.post_notify),
        web.get("/api/ratings/{token}", d.messages.get_rating),
        web.post("/api/ratings/{token}", d.messages.post_rating),
        web.get("/api/outbox", d.messages.get_outbox),
        web.post("/api/outbox/{id}/resend", d.messages.post_resend),
        web.post("/api/services/{service}/cancel-day", d.messages.post_cancel_day),
        web.post("/api/sms/inbound", d.messages.post_inbound),
        web.get("/api/search", d.lookup.api_search),
        web.get("/api/procedures/{code}", d.lookup.api_procedure),
        *admin_routes(d.admin),
        web.get("/api/announcements/{number}/{counter}.wav", pages.announcement),
        web.get("/hall", pages.hall),
        *(web.get(path, handler) for vi, en, handler in both for path in (vi, en)),
        web.static("/static/", STATIC_DIR),
        web.static("/fonts/", FONT_DIR),
    ]


def admin_routes(admin: AdminDesk) -> list[web.AbstractRouteDef]:
    """The administrator's API (`/quan-tri`): admin role, cookie session, CSRF header."""
    return [
        web.post("/api/admin/session", admin.post_session),
        web.delete("/api/admin/session", admin.delete_session),
        web.get("/api/admin/me", admin.get_me),
        web.get("/api/admin/config", admin.get_config),
        web.post("/api/admin/config", admin.post_config),
        web.get("/api/admin/config.toml", admin.get_export),
        web.post("/api/admin/config.toml", admin.post_import),
        web.get("/api/admin/versions", admin.get_versions),
        web.get("/api/admin/versions/{version}", admin.get_version),
        web.post("/api/admin/versions/{version}/restore", admin.post_restore),
        web.get("/api/admin/holidays/{year}", admin.get_holidays),
        web.get("/api/admin/users", admin.get_users),
        web.post("/api/admin/users", admin.post_user),
        web.post("/api/admin/sessions/{id}/end", admin.post_end_session),
        web.get("/api/admin/devices", admin.get_devices),
        web.post("/api/admin/devices", admin.post_device),
        web.post("/api/admin/devices/{id}/revoke", admin.post_revoke),
    ]


CONTEXT_KEY = web.AppKey("context", ServerContext)
DOSSIERS_KEY = web.AppKey("dossiers", DossierDesk)


def create_app(
    config: SiteConfig,
    db_path: str | Path,
    *,
    enforce_hours: bool = True,
    clock: Callable[[], float] = time.time,
    tune_gc: bool = False,
    trusted_proxies: tuple[proxy.Network, ...] = (),
    dossiers: DossierConfig | None = None,
) -> web.Application:
    """The server's aiohttp app; `trusted_proxies` may tell it the client's address in
    `X-Forwarded-For` (`queue_server.web.proxy`); `dossiers` is the site's `[dossiers]`
    (the built-in store when None)."""
    if tune_gc:  # a process of its own, no thread started yet (see core/heap.py)
        heap.limit_malloc_arenas()
    warning = public_url_warning(config)
    if warning is not None:  # the links citizens get would not open on their phones
        logging.getLogger(__name__).warning("%s", warning)
    ctx = ServerContext(config, db_path, enforce_hours=enforce_hours, clock=clock)
    booking, tracker = BookingDesk(ctx), Tracker(ctx)
    messaging = Messaging(ctx)
    dossier_desk = DossierDesk(dossiers or DossierConfig(), lambda: ctx.store)
    pages = Pages(ctx, booking, tracker)
    desks = Desks(
        floor=FloorDesk(ctx),
        supervisor=SupervisorDesk(ctx),
        booking=booking,
        messages=MessageDesk(ctx, messaging),
        tracker=tracker,
        reports=ReportDesk(ctx),
        api=Api(ctx),
        pages=pages,
        search=LookupDesk(ctx),
        lookup=lookup.Lookup(ctx, pages),
        dossiers=DossierCounterDesk(ctx, dossier_desk),
        admin=AdminDesk(ctx),
    )
    fanout = FanOut(ctx, tune_gc=tune_gc)
    dossier_pages = DossierLookupDesk(ctx, dossier_desk, desks.pages)
    messaging.dossiers = dossier_desk  # "HS <mã hồ sơ>" texted in
    board = BoardFeed(ctx)
    ws = Endpoint(ctx, fanout, request_table(desks))

    async def core(_app: web.Application) -> AsyncIterator[None]:
        await ctx.open()
        yield
        await ctx.close()

    async def outbox(_app: web.Application) -> AsyncIterator[None]:
        # After the core (rows are written by its writer), before the edges (whose
        # requests may add rows); stopped before the core closes the database.
        await messaging.open()
        yield
        await messaging.close()

    async def edges(_app: web.Application) -> AsyncIterator[None]:
        fanout.start()
        board.start()
        ctx.engine.subscribe(printer_feed(ctx))  # a kiosk silent too long: its consoles
        ws.start()
        await tracker.start()
        await booking.start()
        try:
            yield
        finally:
            await tracker.stop()
            await board.stop()
            fanout.stop()

    async def dossier_source(_app: web.Application) -> AsyncIterator[None]:
        yield
        await dossier_desk.close()  # the province system's HTTP session

    async def loop_lag(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(eventloop.watch_lag(ctx.metrics.loop_lag.observe), name="lag")
        yield
        task.cancel()

    async def frozen_heap(_app: web.Application) -> AsyncIterator[None]:
        task = None
        if tune_gc:  # a process of its own (see core/heap.py)
            heap.pin_mmap_threshold()
            task = asyncio.create_task(heap.freeze_survivors(), name="heap")
        watcher = heapwatch.start_from_env()  # a debugging aid, off by default
        yield
        for running in (task, watcher):
            if running is not None:
                running.cancel()

    logsummary.quiet_http_errors()
    middlewares = [proxy.middleware(trusted_proxies)] if trusted_proxies else []
    app = web.Application(client_max_size=64 * 1024, middlewares=middlewares)
    app[CONTEXT_KEY] = ctx
    app.cleanup_ctx.extend([core, outbox, edges, frozen_heap, loop_lag])
    # Open connections are closed before the handlers are awaited (on_shutdown comes
    # first), so a stopping server does not wait for every screen to hang up.
    app.on_shutdown.append(lambda _app: ws.close_all())
    app.add_routes(routes(desks, ws))
    app.add_routes(dossier_routes(dossier_pages))  # /tra-cuu/ho-so and its API (issue 16)
    app.cleanup_ctx.append(dossier_source)
    app[DOSSIERS_KEY] = dossier_desk
    return app


def standby_app(ctx: ServerContext) -> web.Application:
    """What an instance on PostgreSQL answers while another is active (issue 19): every
    route refuses at once (`web/standby.py`, `ws/standby.py`)."""
    desk = StandbyDesk(ctx)
    app = web.Application(client_max_size=64 * 1024)
    app.add_routes(
        [
            web.get("/ws", ws_standby.refuse),
            web.get("/healthz", desk.healthz),
            web.get("/metrics", desk.metrics),
            web.route("*", "/{anything:.*}", desk.refuse),
        ]
    )
    return app


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's port, bound and listening, to hand from the standby's answers to the
    full app with no moment in between when a connection would be refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=1024)
    sock.setblocking(False)
    return sock


async def serve(app: web.Application, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly however many more signals come.

    aiohttp's `run_app` raises on every signal, so a second TERM (from a supervisor
    or a shell trap) arriving during the clean-up cut it short and left the process
    waiting on the database threads. Here a signal only sets an event.

    On PostgreSQL the port listens from the start: while the instance stands by (waiting
    for the lock, `core/leader.py`) it answers as a standby (`standby_app`); once it is
    active, the same listening socket serves the full app. A signal while standing by
    stops it at once.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    standby: web.AppRunner | None = None
    try:
        ctx = app.get(CONTEXT_KEY)  # None: the province server (`central`) uses this too
        if ctx is not None and pgstore_wanted(ctx.db_path):
            sock = listening_socket(host, port)
            standby = web.AppRunner(standby_app(ctx), handle_signals=False, access_log=None)
            await standby.setup()
            standing_by = web.SockSite(standby, sock.dup())  # closing it keeps `sock`
            await standing_by.start()
            if not await _set_up_unless_stopped(runner, stop):
                return
            await standing_by.stop()  # new connections wait in the backlog meanwhile
            await web.SockSite(runner, sock).start()
        else:
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
        if standby is not None:
            await standby.cleanup()  # its connections (a keep-alive health check) end
            standby = None
        await stop.wait()
    finally:
        if standby is not None:
            await standby.cleanup()
        await runner.cleanup()
        # Exiting now: later signals change nothing. Ignored in one step: removing the
        # loop's handler first restored the default action for a moment, and a TERM in
        # that moment killed the process (exit -15) after its clean-up.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)


async def _set_up_unless_stopped(runner: web.AppRunner, stop: asyncio.Event) -> bool:
    """`runner.setup()` (a standby waits there for the lock), given up if `stop` is set
    first; whether it was set up."""
    setup = asyncio.ensure_future(runner.setup())
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({setup, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if setup.done():
        setup.result()  # a start that failed (a newer schema, say) raises here
        return True
    setup.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await setup
    return False
