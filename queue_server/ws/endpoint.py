"""`/ws`, protocol v1: hello and welcome, then requests answered in order, by id.

The first frame must be a `hello`; a refused one gets an `error` and the close code
`CLOSE_REFUSED`. A welcomed connection joins the hub (events reach it from then on)
and its requests are dispatched through the request table (`queue_server.app`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Mapping
from functools import partial

from aiohttp import WSMsgType, web

from queue_protocol.codec import dumps
from queue_protocol.errors import QueueError
from queue_protocol.messages import (
    CLOSE_GOING_AWAY,
    CLOSE_REFUSED,
    CLOSE_RELOADED,
    MAX_FRAME_BYTES,
    Hello,
    Request,
    encode,
    parse_hello,
    parse_request,
    result_error,
    result_ok,
)
from queue_server.core import heap, views
from queue_server.core.accounts import BOARD_ROLES, COUNTER_ROLES
from queue_server.core.board import board_view
from queue_server.core.context import ServerContext
from queue_server.core.hub import Connection
from queue_server.core.logsummary import summarised
from queue_server.domain import commands as c
from queue_server.ws.fanout import FanOut
from queue_server.ws.requests import Call, Command, Handler
from queue_server.ws.supervisor import NOTICE_AUDIENCE

log = summarised(logging.getLogger(__name__))

HELLO_TIMEOUT = 10.0
# Frames above MAX_FRAME_BYTES up to this are read and refused (`bad_request`), the
# connection staying open; a larger one is not read at all: closed with 1009.
LARGEST_FRAME = 16 * MAX_FRAME_BYTES
# How often the officers' connections are checked against their sessions: an account
# disabled, or a session expired, ends the connection within this many seconds.
SESSION_CHECK_SECONDS = 30.0
# Requests of one connection queued for the writer at once; past this it waits for one.
MAX_IN_FLIGHT = 64
DEVICE_ROLES = frozenset({"kiosk", "display", "rating"})


def foreign_origin(headers: Mapping[str, str], allowed: tuple[str, ...]) -> bool:
    """Whether a browser opened this websocket from another site's page.

    No `Origin`: not a browser (the Qt apps, the kiosks), nothing to check. Otherwise
    the origin must be the server's own — its host and port as the browser addressed
    them (`Host`, which a reverse proxy passes on), whatever the scheme, as Tornado's
    `check_origin` does — or one of the site's `allowed_origins`. `null` (a sandboxed
    or file:// page) is foreign.
    """
    origin = headers.get("Origin")
    if origin is None:
        return False
    origin = origin.strip().lower()
    if origin in allowed:
        return False
    _scheme, sep, netloc = origin.partition("://")
    host = headers.get("Host", "").strip().lower()
    return not (sep and host and netloc == host)


def _disarm_heartbeat(ws: web.WebSocketResponse) -> None:
    """Cancel the heartbeat of a connection that has ended.

    aiohttp 3.14 re-arms the heartbeat timer when the client's close frame arrives
    after `close()` had cancelled it, and the timer's handle keeps the response, its
    request and protocol alive for another `heartbeat` seconds — long enough to be
    frozen with the heap (`core/heap.py`): ≈ 10 KB per closed connection (issue 18).
    """
    ws._cancel_heartbeat()  # the only way to reach the timer


class Endpoint:
    """The websocket side of one server: greets, dispatches, and ends connections."""

    def __init__(self, ctx: ServerContext, fanout: FanOut, requests: Mapping[str, Handler]) -> None:
        self.ctx = ctx
        self.fanout = fanout
        self.requests = requests
        self._tasks: set[asyncio.Task] = set()

    def start(self) -> None:
        self.ctx.engine.reload_observers.append(self.resync_everyone)
        self._spawn(self._watch_sessions(), "sessions")

    async def close_all(self) -> None:
        """Every connection closed (1001) before the core goes: no handler outlives it."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(
            *(
                conn.close(CLOSE_GOING_AWAY, b"server stopping")
                for conn in list(self.ctx.hub.connections)
            )
        )

    def _spawn(self, coro, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20, max_msg_size=LARGEST_FRAME, compress=False)
        await ws.prepare(request)
        foreign = foreign_origin(request.headers, self.ctx.config.site.allowed_origins)
        conn = await self._greet(ws, request.transport, foreign)
        if conn is None:
            _disarm_heartbeat(ws)
            heap.connection_closed()  # its objects may be frozen garbage now
            return ws
        gauge = self.ctx.metrics.connections.labels(conn.role)
        gauge.inc()
        try:
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    pending = self._receive(conn, msg.data)
                    if pending is not None:  # its answer, even a refusal, went out already
                        with contextlib.suppress(Exception):
                            await pending
        finally:
            self.ctx.hub.remove(conn)
            gauge.dec()
            _disarm_heartbeat(ws)
            heap.connection_closed()
        return ws

    # ----- hello -------------------------------------------------------------

    async def _greet(
        self, ws: web.WebSocketResponse, transport: asyncio.BaseTransport | None, foreign: bool
    ) -> Connection | None:
        """Read the hello, authenticate, register and send the welcome; None if refused."""
        refusal: QueueError | None = None
        try:
            msg = await ws.receive(timeout=HELLO_TIMEOUT)
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return None
            hello = parse_hello(msg.data)
            if foreign and hello.role != "public":  # another site's page using our tokens
                raise QueueError("forbidden", "this role may not connect from that web origin")
            conn = await self._authenticate(ws, hello)
        except TimeoutError:
            refusal = QueueError("unauthorized", "no hello in time")
        except QueueError as err:
            refusal = err
        if refusal is not None:
            await ws.send_str(encode({"type": "error", "error": refusal.to_dict()}))
            await ws.close(code=CLOSE_REFUSED, message=refusal.code.encode())
            return None
        # No await between registering and queueing the welcome: no event is missed.
        conn.transport = transport  # type: ignore[assignment]  # a socket transport
        self.ctx.hub.add(conn)
        welcome = views.welcome(
            self.ctx.state,
            conn.role,
            self.ctx.clock(),
            counter=conn.counter,
            calls=self.fanout.calls,
            devices=self.ctx.devices,
        )
        notice = self.ctx.hall_notice
        if conn.role in NOTICE_AUDIENCE and notice and notice["until"] > self.ctx.clock():
            welcome["notice"] = notice  # a supervisor's notice still running
        if conn.role == "supervisor":  # the whole floor as it is now
            welcome["board"] = board_view(
                self.ctx.state, self.ctx.device_book.health(), self.ctx.clock()
            )
        self.ctx.hub.send(conn, dumps(welcome))
        return conn

    async def _authenticate(self, ws: web.WebSocketResponse, hello: Hello) -> Connection:
        ctx = self.ctx
        if hello.role == "public":
            return Connection(ws, "public", "public")
        if hello.token is None:
            raise QueueError("unauthorized", "a token is needed")
        if hello.role in DEVICE_ROLES:
            device = ctx.device_keys.find(hello.token)
            if device is None or device.role != hello.role:
                raise QueueError("unauthorized", "unknown device token")
            if hello.counter is not None and hello.counter not in ctx.config.counters:
                raise QueueError("unknown_counter", str(hello.counter))
            ctx.device_book.seen(device.id, ctx.clock())
            return Connection(ws, hello.role, device.id, hello.counter)
        officer = await ctx.accounts.session(hello.token)
        if officer is None:
            raise QueueError("unauthorized", "the session is not valid; sign in again")
        if hello.role == "supervisor":
            if officer.role not in BOARD_ROLES:
                raise QueueError("forbidden", f"a {officer.role} does not watch the floor")
            return Connection(ws, "supervisor", officer.username, token=hello.token)
        if officer.role not in COUNTER_ROLES:
            raise QueueError("forbidden", f"a {officer.role} does not serve at a counter")
        if hello.counter is None or hello.counter not in ctx.config.counters:
            raise QueueError("unknown_counter", str(hello.counter))
        previous = ctx.state.counters[hello.counter].officer
        await ctx.engine.submit(
            c.OpenCounter(
                actor=officer.username, counter=hello.counter, officer_name=officer.full_name
            )
        )
        taking_over = (
            f", taking over from {previous}" if previous not in (None, officer.username) else ""
        )
        await ctx.accounts.audit(
            officer.username, "counter_sign_in", f"counter {hello.counter}{taking_over}"
        )
        return Connection(ws, "counter", officer.username, hello.counter, token=hello.token)

    # ----- ending connections --------------------------------------------------

    def resync_everyone(self) -> None:
        """After a failed commit the state was rebuilt from the disk; a welcome sent
        meanwhile may hold what was lost. Every client reconnects (1012: come back) and
        gets a snapshot of the truth; a kiosk's retry keeps its request id."""
        log.warning("state reloaded: asking %d clients to reconnect", len(self.ctx.hub.connections))
        for conn in list(self.ctx.hub.connections):
            self._spawn(conn.close(CLOSE_RELOADED, b"state reloaded"), "resync")

    async def _watch_sessions(self) -> None:
        """End officers' connections whose session is no longer valid (the account was
        disabled, or the session expired while connected)."""
        hub = self.ctx.hub
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            for conn in [x for x in hub.connections if x.token is not None]:
                try:
                    valid = await self.ctx.accounts.session(conn.token or "")
                except Exception:  # the database is busy or gone: try again later
                    log.warning("session check failed", exc_info=True)
                    break
                if valid is None and conn in hub.connections:
                    log.info("session of %s at counter %s ended", conn.actor, conn.counter)
                    err = QueueError("unauthorized", "the session has ended; sign in again")
                    conn.send(encode({"type": "error", "error": err.to_dict()}))
                    await conn.close(CLOSE_REFUSED, b"unauthorized")

    # ----- requests ----------------------------------------------------------

    def _receive(self, conn: Connection, frame: str | bytes) -> Awaitable | None:
        """Act on one request frame; what the connection must await before reading on.

        A `Command` is queued for the writer and answered from a callback once durable:
        the connection reads its next request meanwhile (up to `MAX_IN_FLIGHT` of them).
        A `Call` is answered by a coroutine, in turn.
        """
        started = time.perf_counter()
        rid = None
        try:
            req = parse_request(frame, conn.role)
            rid = req.id
            handler = self.requests[req.type]
            if isinstance(handler, Call):
                return self._answer_call(conn, req, handler, started)
            future = self.ctx.engine.enqueue(handler.build(conn, req.fields))
        except QueueError as err:  # a ProtocolError carries the id when it was readable
            rid = getattr(err, "request_id", rid) if rid is None else rid
            self.ctx.hub.send(conn, dumps(result_error(rid, err)))
            return None
        except Exception:
            log.exception("request failed: %.200r", frame)
            self.ctx.hub.send(conn, dumps(result_error(rid, QueueError("internal"))))
            return None
        conn.in_flight += 1
        future.add_done_callback(partial(self._answer_command, conn, req, handler, started))
        return future if conn.in_flight >= MAX_IN_FLIGHT else None

    def _answer_command(
        self, conn: Connection, req: Request, handler: Command, started: float, done: asyncio.Future
    ) -> None:
        conn.in_flight -= 1
        error = QueueError("unavailable") if done.cancelled() else done.exception()
        if error is None:
            self.ctx.metrics.command_timer(req.type).observe(time.perf_counter() - started)
            result = result_ok(req.id, **handler.answer(self.ctx, conn, req.fields, done.result()))
        elif isinstance(error, QueueError):
            result = result_error(req.id, error)
        else:
            log.error("command %s failed: %r", req.type, error)
            result = result_error(req.id, QueueError("internal"))
        self.ctx.hub.send(conn, dumps(result))

    async def _answer_call(
        self, conn: Connection, req: Request, handler: Call, started: float
    ) -> None:
        try:
            body = await handler.run(conn, req.fields)
            self.ctx.metrics.command_timer(req.type).observe(time.perf_counter() - started)
            result = result_ok(req.id, **body)
        except QueueError as err:
            result = result_error(req.id, err)
        except Exception:
            log.exception("request %s failed", req.type)
            result = result_error(req.id, QueueError("internal"))
        self.ctx.hub.send(conn, dumps(result))
