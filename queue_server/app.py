"""The network edge: one aiohttp app serving HTTP and the WebSocket `/ws` on one port."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from queue_protocol.codec import dumps
from queue_protocol.errors import QueueError
from queue_protocol.messages import (
    MAX_FRAME_BYTES,
    Hello,
    Request,
    encode,
    parse_hello,
    parse_request,
    result_error,
    result_ok,
)
from queue_server import citizens
from queue_server.core import heap
from queue_server.core import views as messages
from queue_server.core.accounts import COUNTER_ROLES, Accounts
from queue_server.core.engine import Engine
from queue_server.core.hub import Connection, Hub, text_frame
from queue_server.core.metrics import Metrics
from queue_server.core.store import Store
from queue_server.domain import commands as c
from queue_server.domain import events as e
from queue_server.domain.config import SiteConfig
from queue_server.web import proxy
from queue_server.web.ratelimit import RateLimit
from queue_server.web.reports import ReportDesk

log = logging.getLogger(__name__)

HELLO_TIMEOUT = 10.0
# How often the officers' connections are checked against their sessions: an account
# disabled, or a session expired, ends the connection within this many seconds.
SESSION_CHECK_SECONDS = 30.0
# Waiting figures go out at most this often: at peak a batch commits every few ms,
# and every kiosk and phone does not need each intermediate count.
QUEUE_UPDATE_SECONDS = 0.25
# On screens, the rest of a batch with calls in it (ticket_done, counter states) follows
# the calls this much later, so that no screen's call waits behind the bookkeeping of
# a thousand others. Staff apps get everything at once, in order.
SCREENS_LATER = 0.02
SCREENS = frozenset({"display", "public"})
CLOSE_REFUSED = 4001
# Failed logins from one address before it must wait (sliding window).
LOGIN_FAILURES, LOGIN_FAILURE_SECONDS = 10, 900.0
# Requests of one connection queued for the writer at once; past this it waits for one.
MAX_IN_FLIGHT = 64
# Counter requests answered with the ticket they concern (the rest with the counter).
_TICKET_COMMANDS = frozenset({"call_next", "recall", "no_show", "finish", "transfer"})
SERVER_KEY = web.AppKey("server", "QueueServer")


class QueueServer:
    """Owns the store, the writer, the accounts and the hub for one site."""

    def __init__(self, config: SiteConfig, db_path: str | Path, *, enforce_hours: bool = True,
                 clock: Callable[[], float] = time.time, tune_gc: bool = False) -> None:
        self.config = config
        self.tune_gc = tune_gc  # a process of its own: freeze the heap (see heap.py)
        self._heap_task: asyncio.Task | None = None
        self._sessions_task: asyncio.Task | None = None
        self._closing: set[asyncio.Task] = set()
        self.db_path = db_path
        self.enforce_hours = enforce_hours
        self.clock = clock
        self.hub = Hub()
        self.metrics = Metrics()
        self.calls: deque[dict] = deque(maxlen=20)
        self.devices: dict[str, dict] = {}
        self.tokens = {d.token: d for d in config.devices.values()}
        self._dirty_services: set[str] = set()
        self.login_failures = RateLimit(LOGIN_FAILURES, LOGIN_FAILURE_SECONDS)
        self._queue_flush: asyncio.TimerHandle | None = None
        self._screens_later: list[dict[str, bytes]] = []  # see SCREENS_LATER
        self._screens_timer: asyncio.TimerHandle | None = None
        # request type → handler(connection, fields) → result body: the citizens' web side
        self.handlers: dict[str, Callable[[Connection, dict], Awaitable[dict]]] = {}

    async def start(self, _app: web.Application | None = None) -> None:
        self.store = await Store.open(self.db_path)
        self.accounts = await Accounts.open(self.db_path)
        self.engine = Engine(self.config, self.store, enforce_hours=self.enforce_hours,
                             clock=self.clock)
        self.engine.batch_observers.append(self.metrics.batch_size.observe)
        self.metrics.transactions.set_function(lambda: self.store.transactions)
        self.engine.subscribe(self._publish)
        self.engine.reload_observers.append(self._resync_everyone)
        await self.engine.start()
        self.calls.extend(messages.latest_calls(self.engine.state, self.calls.maxlen or 20))
        if self.tune_gc:
            self._heap_task = asyncio.create_task(heap.freeze_survivors(), name="heap")
        self._sessions_task = asyncio.create_task(self._watch_sessions(), name="sessions")

    async def stop(self, _app: web.Application | None = None) -> None:
        for timer in (self._queue_flush, self._screens_timer):
            if timer is not None:
                timer.cancel()
        for task in (self._heap_task, self._sessions_task):
            if task is not None:
                task.cancel()
        await asyncio.gather(*(conn.close(1001, b"server stopping")
                               for conn in list(self.hub.connections)))
        await self.engine.stop()
        await self.accounts.close()
        await self.store.close()

    @property
    def state(self):
        return self.engine.state

    # ----- events out ------------------------------------------------------

    def _publish(self, events: list[e.Event], state) -> Callable[[], None]:
        """Build the batch's messages now; send them when the writer says it is durable."""
        out, services = messages.event_messages(state, events, self.hub.reaches)
        calls = [msg for _, msg in out if msg["type"] == "ticket_called"]
        # At most two writes per connection: first the calls, which every screen gets
        # before anyone gets the rest (the hall is waiting for them), then the rest of
        # the batch; each is the role's frames joined.
        parts: tuple[defaultdict[str, list[bytes]], ...] = (defaultdict(list), defaultdict(list))
        for roles, msg in out:
            if self.hub.reaches(roles):
                frame = text_frame(dumps(msg))
                for role in roles:
                    parts[msg["type"] != "ticket_called"][role].append(frame)
        passes = [{role: b"".join(frames) for role, frames in part.items()} for part in parts]

        issued = sum(1 for ev in events if type(ev) is e.TicketIssued)
        called = sum(1 for ev in events if type(ev) is e.TicketCalled)
        new_day = any(type(ev) is e.DayStarted for ev in events)

        def send() -> None:
            if issued:
                self.metrics.issued.inc(issued)
            if called:
                self.metrics.called.inc(called)
            if new_day:
                self.calls.clear()
                if self.tune_gc:
                    heap.thaw()  # yesterday's tickets are gone: collect once, at night
            self.calls.extendleft(calls)
            urgent, rest = passes
            self._broadcast(urgent)
            self._broadcast({role: frames for role, frames in rest.items()
                             if role not in SCREENS})
            later = {role: frames for role, frames in rest.items() if role in SCREENS}
            if later and (urgent or self._screens_later):  # keeps the order of what waits
                self._screens_later.append(later)
                if self._screens_timer is None:
                    self._screens_timer = asyncio.get_running_loop().call_later(
                        SCREENS_LATER, self._flush_screens)
            else:
                self._broadcast(later)
            self._dirty_services |= services
            if self._dirty_services and self._queue_flush is None:
                self._queue_flush = asyncio.get_running_loop().call_later(
                    QUEUE_UPDATE_SECONDS, self._flush_queue)

        return send

    def _broadcast(self, by_role: dict[str, bytes]) -> None:
        """Each role's joined frames to every connection of that role."""
        for role, joined in by_role.items():
            self.hub.broadcast_frames(joined, (role,))

    def _flush_screens(self) -> None:
        self._screens_timer = None
        waiting, self._screens_later = self._screens_later, []
        for by_role in waiting:
            self._broadcast(by_role)

    def _flush_queue(self) -> None:
        self._queue_flush = None
        services, self._dirty_services = self._dirty_services, set()
        msg = messages.queue_message(self.state, services, self.clock())
        self.hub.broadcast(encode(msg), messages.EVERYONE)
        self._send_upcoming(services)

    def _send_upcoming(self, services: set[str]) -> None:
        """Each signed-in counter whose services changed gets its new preview."""
        lists: dict[int, str] = {}
        for conn in self.hub.counters():
            number = conn.counter or 0
            if not services.intersection(self.config.counters[number].all_services):
                continue
            if number not in lists:
                lists[number] = encode({"type": "next", "counter": number,
                                        "tickets": messages.upcoming(self.state, number)})
            self.hub.send(conn, lists[number])

    # ----- WebSocket -------------------------------------------------------

    async def handle_ws(self, request: web.Request) -> web.WebSocketResponse:
        # Frames up to 1 MiB are read and refused politely; only larger ones close.
        ws = web.WebSocketResponse(heartbeat=20, max_msg_size=16 * MAX_FRAME_BYTES,
                                   compress=False)
        await ws.prepare(request)
        conn = await self._greet(ws, request.transport)
        if conn is None:
            return ws
        self.metrics.connections.labels(conn.role).inc()
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    pending = self._receive(conn, msg.data)
                    if pending is not None:  # its answer, even a refusal, went out already
                        with contextlib.suppress(Exception):
                            await pending
        finally:
            self.hub.remove(conn)
            self.metrics.connections.labels(conn.role).dec()
        return ws

    async def _greet(self, ws: web.WebSocketResponse,
                     transport: asyncio.Transport | None) -> Connection | None:
        """Read the hello, authenticate, register and send the welcome; None if refused."""
        try:
            msg = await ws.receive(timeout=HELLO_TIMEOUT)
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return None
            hello = parse_hello(msg.data)
            conn = await self._authenticate(ws, hello)
        except TimeoutError:
            conn, refusal = None, QueueError("unauthorized", "no hello in time")
        except QueueError as err:
            conn, refusal = None, err
        if conn is None:
            await ws.send_str(encode({"type": "error", "error": refusal.to_dict()}))
            await ws.close(code=CLOSE_REFUSED, message=refusal.code.encode())
            return None
        # No await between registering and queueing the welcome: no event is missed.
        conn.transport = transport
        self.hub.add(conn)
        self.hub.send(conn, dumps(messages.welcome(
            self.state, conn.role, self.clock(), counter=conn.counter, calls=self.calls,
            devices=self.devices)))
        return conn

    async def _authenticate(self, ws: web.WebSocketResponse, hello: Hello) -> Connection:
        if hello.role == "public":
            return Connection(ws, "public", "public")
        if hello.token is None:
            raise QueueError("unauthorized", "a token is needed")
        if hello.role in ("kiosk", "display", "rating"):
            device = self.tokens.get(hello.token)
            if device is None or device.role != hello.role:
                raise QueueError("unauthorized", "unknown device token")
            if hello.counter is not None and hello.counter not in self.config.counters:
                raise QueueError("unknown_counter", str(hello.counter))
            return Connection(ws, hello.role, device.id, hello.counter)
        officer = await self.accounts.session(hello.token)
        if officer is None:
            raise QueueError("unauthorized", "the session is not valid; sign in again")
        if officer.role not in COUNTER_ROLES:
            raise QueueError("forbidden", f"a {officer.role} does not serve at a counter")
        if hello.counter not in self.config.counters:
            raise QueueError("unknown_counter", str(hello.counter))
        previous = self.state.counters[hello.counter].officer
        await self.engine.submit(c.OpenCounter(actor=officer.username, counter=hello.counter,
                                               officer_name=officer.full_name))
        await self.accounts.audit(officer.username, "counter_sign_in",
                                  f"counter {hello.counter}" + (
                                      f", taking over from {previous}"
                                      if previous and previous != officer.username else ""))
        return Connection(ws, "counter", officer.username, hello.counter, token=hello.token)

    def _resync_everyone(self) -> None:
        """After a failed commit the state was rebuilt from the disk; a welcome sent
        meanwhile may hold what was lost. Every client reconnects (1012: come back) and
        gets a snapshot of the truth; a kiosk's retry keeps its request id."""
        log.warning("state reloaded: asking %d clients to reconnect", len(self.hub.connections))
        for conn in list(self.hub.connections):
            task = asyncio.create_task(conn.close(1012, b"state reloaded"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _watch_sessions(self) -> None:
        """End officers' connections whose session is no longer valid (the account was
        disabled, or the session expired while connected)."""
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            for conn in [x for x in self.hub.connections if x.token is not None]:
                try:
                    valid = await self.accounts.session(conn.token or "")
                except Exception:  # the database is busy or gone: try again later
                    log.warning("session check failed", exc_info=True)
                    break
                if valid is None and conn in self.hub.connections:
                    log.info("session of %s at counter %s ended", conn.actor, conn.counter)
                    err = QueueError("unauthorized", "the session has ended; sign in again")
                    conn.send(encode({"type": "error", "error": err.to_dict()}))
                    await conn.close(CLOSE_REFUSED, b"unauthorized")

    def _receive(self, conn: Connection, frame: str | bytes) -> Awaitable | None:
        """Act on one request frame; what the connection must await before reading on.

        A request that is one command for the writer is queued and answered from a
        callback once durable: the connection reads its next request meanwhile (up to
        `MAX_IN_FLIGHT` of them). Anything else is answered by a coroutine, in turn.
        """
        started = time.perf_counter()
        rid = None
        try:
            req = parse_request(frame, conn.role)
            rid = req.id
            command = self._writer_command(conn, req)
            if command is None:
                return self._answer(conn, req, started)
            future = self.engine.enqueue(command)
        except QueueError as err:  # a ProtocolError carries the id when it was readable
            rid = getattr(err, "request_id", rid) if rid is None else rid
            self.hub.send(conn, dumps(result_error(rid, err)))
            return None
        except Exception:
            log.exception("request failed: %.200r", frame)
            self.hub.send(conn, dumps(result_error(rid, QueueError("internal"))))
            return None
        conn.in_flight += 1
        future.add_done_callback(partial(self._answer_command, conn, req, started))
        return future if conn.in_flight >= MAX_IN_FLIGHT else None

    def _answer_command(self, conn: Connection, req: Request, started: float,
                        done: asyncio.Future) -> None:
        conn.in_flight -= 1
        error = QueueError("unavailable") if done.cancelled() else done.exception()
        if error is None:
            self.metrics.command_timer(req.type).observe(time.perf_counter() - started)
            result = result_ok(req.id, ticket=done.result().ticket)
        elif isinstance(error, QueueError):
            result = result_error(req.id, error)
        else:
            log.error("command %s failed: %r", req.type, error)
            result = result_error(req.id, QueueError("internal"))
        self.hub.send(conn, dumps(result))

    def _writer_command(self, conn: Connection, req: Request) -> c.Command | None:
        """The writer command a request is, when its answer is just that command's ticket."""
        f, actor = req.fields, conn.actor
        if req.type == "issue":
            return c.IssueTicket(actor=actor, service=f["service"], priority=f.get("priority"),
                                 request_id=f["request_id"],
                                 public_id=self.engine.new_public_id())
        if req.type == "void":
            ticket = self.state.tickets.get(f["ticket_id"])
            if ticket is not None and ticket.issued_by != actor:
                raise QueueError("forbidden", "only the kiosk that issued a ticket voids it")
            return c.VoidTicket(actor=actor, ticket_id=f["ticket_id"], reason=f["reason"])
        if req.type in _TICKET_COMMANDS:
            return self._counter_command(conn, req)
        return None

    async def _answer(self, conn: Connection, req: Request, started: float) -> None:
        try:
            body = await self._execute(conn, req)
            self.metrics.command_timer(req.type).observe(time.perf_counter() - started)
            result = result_ok(req.id, **body)
        except QueueError as err:
            result = result_error(req.id, err)
        except Exception:
            log.exception("request %s failed", req.type)
            result = result_error(req.id, QueueError("internal"))
        self.hub.send(conn, dumps(result))

    async def _execute(self, conn: Connection, req: Request) -> dict[str, Any]:
        f, actor = req.fields, conn.actor
        if req.type in self.handlers:
            return await self.handlers[req.type](conn, f)
        if req.type == "device_status":
            self._device_status(conn, f["printer"], f.get("message") or "")
            return {}
        if req.type == "rate":
            await self.engine.submit(c.RateTicket(actor=actor, counter=conn.counter or 0,
                                                  number=f["number"], rating=f["rating"]))
            return {"rated": f["number"]}
        await self.engine.submit(self._counter_command(conn, req))
        if req.type == "sign_out":
            await self.accounts.audit(actor, "counter_sign_out", f"counter {conn.counter}")
        return {"counter": messages.counter_view(self.state, conn.counter or 0, private=True)}

    def _counter_command(self, conn: Connection, req: Request) -> c.Command:
        number, actor, f = conn.counter or 0, conn.actor, req.fields
        officer = self.state.counters[number].officer
        if officer is not None and officer != actor:
            raise QueueError("forbidden", f"counter {number} is now served by {officer}")
        if req.type == "pause" and f["reason"] not in self.config.pause_reasons:
            raise QueueError("bad_request", f"unknown pause reason {f['reason']!r}")
        return {
            "call_next": lambda: c.CallNext(actor=actor, counter=number),
            "recall": lambda: c.Recall(actor=actor, counter=number),
            "no_show": lambda: c.NoShow(actor=actor, counter=number),
            "finish": lambda: c.Finish(actor=actor, counter=number, outcome=f.get("outcome")),
            "transfer": lambda: c.Transfer(actor=actor, counter=number,
                                           to_service=f["service"], reason=f["reason"]),
            "pause": lambda: c.PauseCounter(actor=actor, counter=number, reason=f["reason"]),
            "resume": lambda: c.ResumeCounter(actor=actor, counter=number),
            "sign_out": lambda: c.CloseCounter(actor=actor, counter=number),
        }[req.type]()

    def _device_status(self, conn: Connection, printer: str, message: str) -> None:
        status = {"device": conn.actor, "printer": printer, "message": message,
                  "at": self.clock()}
        if self.devices.get(conn.actor, {}).get("printer") != printer:
            log.info("device %s printer %s %s", conn.actor, printer, message)
        self.devices[conn.actor] = status
        self.hub.broadcast(encode({"type": "devices", **status}),
                           messages.STAFF_AND_SCREENS)

    # ----- HTTP ------------------------------------------------------------

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "day": self.state.day})

    async def services(self, _request: web.Request) -> web.Response:
        return _json({"services": messages.service_catalogue(self.state, self.clock())})

    async def ticket(self, request: web.Request) -> web.Response:
        public_id = request.match_info["public_id"]
        ticket = self.state.ticket_by_public_id(public_id)
        if ticket is not None:
            return _json(messages.ticket_public(self.state, ticket))
        row = await self.store.ticket_by_public_id(public_id) if len(public_id) < 64 else None
        if row is None:
            return _json({"error": QueueError("unknown_ticket").to_dict()}, status=404)
        service = self.config.services.get(row["service"])
        return _json({"number": row["number"], "service": row["service"],
                      "service_name": service.name if service else row["service"],
                      "status": row["status"], "counter": row["counter"], "ahead": 0,
                      "estimated_wait": None, "issued_at": row["issued_at"],
                      "called_at": row["called_at"], "priority": row["priority"]})

    async def login(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            username, password = body["username"], body["password"]
            if not isinstance(username, str) or not isinstance(password, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            err = QueueError("bad_request", "send JSON {username, password}")
            return _json({"error": err.to_dict()}, status=400)
        origin, now = request.remote or "?", time.monotonic()
        if self.login_failures.full(origin, now):  # guessing passwords: wait a while
            return _json({"error": QueueError("too_many_requests").to_dict()}, status=429)
        try:
            token, role, expires = await self.accounts.login(username, password,
                                                             origin=origin)
        except QueueError as err:
            self.login_failures.allow(origin, now)  # counts the failure
            return _json({"error": err.to_dict()}, status=401)
        return _json({"token": token, "role": role, "expires_at": expires})

    async def metrics_text(self, _request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.render(),
                            headers={"Content-Type": "text/plain; version=0.0.4"})


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=encode)


def create_app(config: SiteConfig, db_path: str | Path, *, enforce_hours: bool = True,
               clock: Callable[[], float] = time.time, tune_gc: bool = False,
               trusted_proxies: tuple[proxy.Network, ...] = ()) -> web.Application:
    """The server's aiohttp app; `trusted_proxies` may tell it the client's address in
    `X-Forwarded-For` (`queue_server.web.proxy`)."""
    server = QueueServer(config, db_path, enforce_hours=enforce_hours, clock=clock,
                         tune_gc=tune_gc)
    middlewares = [proxy.middleware(trusted_proxies)] if trusted_proxies else []
    app = web.Application(client_max_size=64 * 1024, middlewares=middlewares)
    app[SERVER_KEY] = server
    app.on_startup.append(server.start)
    app.on_shutdown.append(server.stop)
    app.router.add_get("/ws", server.handle_ws)
    app.router.add_get("/healthz", server.healthz)
    app.router.add_get("/api/services", server.services)
    app.router.add_get("/api/tickets/{public_id}", server.ticket)
    app.router.add_post("/api/login", server.login)
    app.router.add_get("/metrics", server.metrics_text)
    reports = ReportDesk(server)
    server.handlers["my_day"] = reports.my_day
    app.router.add_get("/api/reports", reports.figures)
    app.router.add_get("/api/reports/tickets.csv", reports.tickets_csv)
    citizens.setup(app, server)
    return app
