"""The one asyncio client of the queue server, for every app (protocol v1, see docs/protocol.md).

The kiosk, the displays, the officer console, the tests and the load generator all
talk to the server through `QueueClient`:

    async with QueueClient("ws://127.0.0.1:8765/ws", role="kiosk", token=TOKEN) as c:
        result = await c.issue("khai-sinh-khai-tu")

A background task owns the connection: it connects, says hello, keeps the
welcome snapshot, matches `result` frames to pending requests by id and hands
every other frame to the event callbacks and iterators. When the connection
drops, pending requests fail with `NotConnected` and the task reconnects with
exponential backoff; each new welcome goes to the `on_welcome` callbacks so an
app rebuilds its whole view from the server (the server is the truth). Only an
authentication refusal stops the reconnecting: retrying a wrong token cannot help.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Literal

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.uri import parse_uri

from queue_protocol.codec import dumps, loads
from queue_protocol.messages import CLOSE_REFUSED, PROTOCOL_VERSION

logger = logging.getLogger(__name__)

AUTH_ERRORS = frozenset({"unauthorized", "forbidden"})
CONNECT_TIMEOUT = 10.0  # opening handshake and hello → welcome; a busy server may be slow
# Displays and rating pads ping this often; the server marks a device silent for longer
# than `[alerts] device_offline_seconds` (90 s in the sample) offline.
ALIVE_SECONDS = 30.0
PINGING_ROLES = frozenset({"display", "rating"})

State = Literal["connecting", "connected", "disconnected", "refused", "stopped"]
Callback = Callable[[Any], None]


class ClientError(Exception):
    """The server refused a request (or the hello): its stable code and Vietnamese message."""

    def __init__(self, code: str, message: str = "", message_en: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.message_en = message_en or message


class NotConnected(ConnectionError):
    """There is no connection now: the request was not answered and may be retried.

    For `issue`, `request_id` holds the id to retry with (the server deduplicates it).
    """

    code = "not_connected"
    message = "Mất kết nối tới máy chủ."

    def __init__(self, detail: str = "not connected") -> None:
        super().__init__(detail)
        self.request_id: str | None = None


class RequestTimeout(TimeoutError):
    """The server did not answer in time; the request may or may not have been applied."""

    code = "timeout"
    message = "Máy chủ không trả lời kịp."

    def __init__(self, detail: str = "no answer in time") -> None:
        super().__init__(detail)
        self.request_id: str | None = None


def new_request_id() -> str:
    """A fresh id for one tap on a kiosk; reuse it when retrying that tap."""
    return str(uuid.uuid4())


class EventStream:
    """One consumer's bounded queue of events; iterate it with `async for`.

    When the consumer falls behind by `maxsize` events the oldest are dropped
    (counted in `dropped`) so a stuck consumer cannot grow memory without bound;
    the next welcome brings the truth back anyway.
    """

    _END = object()

    def __init__(self, owner: QueueClient, maxsize: int, include_welcome: bool) -> None:
        self._owner = owner
        self._items: deque[Any] = deque()
        self._maxsize = maxsize
        self._ready = asyncio.Event()
        self.include_welcome = include_welcome
        self.dropped = 0

    def _put(self, item: Any) -> None:
        if len(self._items) >= self._maxsize and item is not self._END:
            self._items.popleft()
            self.dropped += 1
            if self.dropped == 1:
                logger.warning("event consumer too slow: dropping its oldest events")
        self._items.append(item)
        self._ready.set()

    def close(self) -> None:
        """Stop receiving; a waiting `async for` ends after the queued events."""
        self._owner._streams.discard(self)
        self._put(self._END)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> dict[str, Any]:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        item = self._items.popleft()
        if item is self._END:
            self._items.appendleft(item)  # stay ended for any later reader
            raise StopAsyncIteration
        return item

    async def get(self, timeout: float | None = None) -> dict[str, Any]:
        """The next event; TimeoutError after `timeout` s, StopAsyncIteration once closed."""
        async with asyncio.timeout(timeout):
            return await self.__anext__()


class QueueClient:
    """A reconnecting connection to the queue server for one role (kiosk, counter, display…)."""

    def __init__(
        self,
        url: str | Sequence[str],
        *,
        role: str,
        token: str | None = None,
        counter: int | None = None,
        request_timeout: float = 5.0,
        reconnect: bool = True,
        backoff_min: float = 0.2,
        backoff_max: float = 5.0,
        alive_seconds: float = ALIVE_SECONDS,
    ) -> None:
        # One address, or several (issue 19: an active server and its standby): after a
        # connection that failed, the next one is tried.
        self.urls = [url] if isinstance(url, str) else list(url)
        if not self.urls:
            raise ValueError("no server address")
        for each in self.urls:
            parse_uri(each)  # a typo in the address fails here, not in the background task
        self.url = self.urls[0]
        self.role = role
        self.token = token
        self.counter = counter
        self.request_timeout = request_timeout
        self.reconnect = reconnect
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.alive_seconds = alive_seconds
        self.state: State = "disconnected"
        self.welcome: dict[str, Any] | None = None
        self.last_error: Exception | None = None
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._ids = itertools.count(1)  # never reset, so ids stay unique across reconnects
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._event_cbs: list[Callback] = []
        self._welcome_cbs: list[Callback] = []
        self._state_cbs: list[Callback] = []
        self._streams: set[EventStream] = set()
        self._state_waiters: list[asyncio.Future[None]] = []

    # -- life cycle ---------------------------------------------------------

    async def start(self) -> None:
        """Start the background connection task (returns at once; see `wait_connected`)."""
        if self._task is not None:
            raise RuntimeError("QueueClient already started")
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name=f"QueueClient {self.role} {self.url}")

    async def stop(self) -> None:
        """Close the connection, stop reconnecting, fail pending requests, end event streams."""
        self._stopping = True
        task, self._task = self._task, None
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await ws.close()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._fail_pending("client stopped")
        self._set_state("stopped")
        for stream in list(self._streams):
            stream.close()

    async def __aenter__(self) -> QueueClient:
        await self.start()
        try:
            await self.wait_connected(CONNECT_TIMEOUT)
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_connected(self, timeout: float | None = None) -> dict[str, Any]:
        """Wait for a welcome and return it.

        Raises `ClientError` if the server refused us, `NotConnected` if the client
        stopped, `TimeoutError` after `timeout` seconds.
        """
        async with asyncio.timeout(timeout):
            while True:
                if self.state == "connected" and self.welcome is not None:
                    return self.welcome
                if self.state == "refused":
                    assert isinstance(self.last_error, ClientError)
                    raise self.last_error
                if self.state == "stopped":
                    raise NotConnected("client stopped")
                waiter = asyncio.get_running_loop().create_future()
                self._state_waiters.append(waiter)
                await waiter

    # -- callbacks and streams ----------------------------------------------

    def on_event(self, cb: Callable[[dict[str, Any]], None]) -> None:
        """Call `cb(event)` for every pushed event (any frame but `result`)."""
        self._event_cbs.append(cb)

    def on_welcome(self, cb: Callable[[dict[str, Any]], None]) -> None:
        """Call `cb(welcome)` after every (re)connection: rebuild the whole view from it."""
        self._welcome_cbs.append(cb)

    def on_state(self, cb: Callable[[str], None]) -> None:
        """Call `cb(state)` whenever `state` changes."""
        self._state_cbs.append(cb)

    def events(self, maxsize: int = 1000, include_welcome: bool = False) -> EventStream:
        """A new async iterator of events with its own queue (`include_welcome`: welcomes too)."""
        stream = EventStream(self, maxsize, include_welcome)
        if self.state == "stopped":
            stream.close()
        else:
            self._streams.add(stream)
        return stream

    # -- requests -----------------------------------------------------------

    async def request(self, type: str, **fields: Any) -> dict[str, Any]:
        """Send one request and return its `result` when ok.

        Raises `ClientError` when the server refuses it, `NotConnected` when there is
        no connection (now or before the answer), `RequestTimeout` after `request_timeout`.
        """
        ws = self._ws
        if self.state != "connected" or ws is None:
            raise NotConnected()
        rid = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        frame = dumps({"type": type, "id": rid, **fields})
        try:
            async with asyncio.timeout(self.request_timeout):
                await ws.send(frame, text=True)
                result = await future
        except ConnectionClosed:
            # The socket is gone although the reader has not seen it yet: say so now, or a
            # caller that retries on NotConnected finds us "connected" again without ever
            # yielding, and spins.
            if self._ws is ws and self.state == "connected":
                self._set_state("disconnected")
            raise NotConnected("connection closed") from None
        except TimeoutError:
            raise RequestTimeout(f"no answer to {type} in {self.request_timeout} s") from None
        finally:
            self._pending.pop(rid, None)
        if not result.get("ok"):
            error = result.get("error") or {}
            raise ClientError(
                error.get("code", "internal"), error.get("message", ""), error.get("message_en", "")
            )
        return result

    async def issue(
        self, service: str, priority: str | None = None, request_id: str | None = None
    ) -> dict[str, Any]:
        """Issue a ticket. On `NotConnected`/`RequestTimeout` retry with `exc.request_id`:
        the server returns the first ticket again instead of a second one."""
        request_id = request_id or new_request_id()
        fields: dict[str, Any] = {"service": service, "request_id": request_id}
        if priority is not None:
            fields["priority"] = priority
        try:
            return await self.request("issue", **fields)
        except (NotConnected, RequestTimeout) as exc:
            exc.request_id = request_id
            raise

    async def call_next(self) -> dict[str, Any]:
        """Call the next ticket to this counter."""
        return await self.request("call_next")

    async def recall(self) -> dict[str, Any]:
        """Call the current ticket again."""
        return await self.request("recall")

    async def no_show(self) -> dict[str, Any]:
        """The called citizen did not come."""
        return await self.request("no_show")

    async def finish(self, outcome: str | None = None) -> dict[str, Any]:
        """The service of the current ticket is done (with an outcome id, or the default)."""
        return await self.request("finish", **({} if outcome is None else {"outcome": outcome}))

    async def transfer(self, service: str, reason: str) -> dict[str, Any]:
        """Send the current ticket to wait in another service."""
        return await self.request("transfer", service=service, reason=reason)

    async def pause(self, reason: str) -> dict[str, Any]:
        """Pause this counter (a pause reason id)."""
        return await self.request("pause", reason=reason)

    async def resume(self) -> dict[str, Any]:
        """Open this counter again after a pause."""
        return await self.request("resume")

    async def sign_out(self) -> dict[str, Any]:
        """The officer leaves; the counter closes."""
        return await self.request("sign_out")

    async def rate(self, number: str, rating: str) -> dict[str, Any]:
        """The citizen's satisfaction with a ticket finished at this pad's counter."""
        return await self.request("rate", number=number, rating=rating)

    async def void(self, ticket_id: int, reason: str) -> dict[str, Any]:
        """Take a ticket this kiosk could not print out of the queue."""
        return await self.request("void", ticket_id=ticket_id, reason=reason)

    async def device_status(self, printer: str, message: str = "") -> dict[str, Any]:
        """Report this kiosk's printer state to the staff."""
        return await self.request("device_status", printer=printer, message=message)

    # -- the connection task ------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        told = False  # this outage is in the log: the next failures (other servers) go to debug
        while not self._stopping:
            self._set_state("connecting")
            try:
                welcomed = await self._session()
            except ClientError as exc:
                self.last_error = exc
                if exc.code in AUTH_ERRORS:
                    logger.warning("%s refused by %s: %s", self.role, self.url, exc)
                    self._set_state("refused")
                    return
                (logger.debug if told else logger.warning)(
                    "hello refused by %s: %s; retrying", self.url, exc
                )
                welcomed, told = False, True
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
                # The server is down, restarting or unreachable: expected, no traceback.
                self.last_error = exc
                (logger.debug if told else logger.warning)(
                    "cannot reach %s: %s", self.url, exc or type(exc).__name__
                )
                welcomed, told = False, True
            except Exception as exc:
                self.last_error = exc
                logger.exception("unexpected error in the connection to %s", self.url)
                welcomed = False
            self._ws = None
            self._fail_pending("connection lost")
            if self._stopping:
                return
            self._set_state("disconnected")
            if not self.reconnect:
                return
            if not welcomed and len(self.urls) > 1:  # the other server may be the one up
                self.url = self.urls[(self.urls.index(self.url) + 1) % len(self.urls)]
                if self.url != self.urls[0]:
                    continue  # the whole list is tried before waiting
            if welcomed:
                told = False
            attempt = 0 if welcomed else attempt + 1
            delay = min(self.backoff_max, self.backoff_min * 2**attempt)
            # Jitter spreads the reconnects of hundreds of displays after a restart.
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))

    async def _session(self) -> bool:
        """One connection: hello, welcome, then read frames until it closes.

        Returns True if it got as far as a welcome; raises on failure before that.
        """
        async with connect(
            self.url,
            compression=None,
            proxy=None,
            open_timeout=CONNECT_TIMEOUT,
            max_size=2**22,  # the welcome of a big site may exceed the 64 KiB request limit
        ) as ws:
            self._ws = ws
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT):
                    await ws.send(dumps(self._hello()), text=True)
                    first = loads(await ws.recv(decode=False))
            except ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code == CLOSE_REFUSED:
                    raise ClientError("unauthorized", exc.rcvd.reason) from None
                raise
            self._accept_welcome(first)
            alive = (
                asyncio.create_task(self._keep_alive(), name=f"{self.role} alive")
                if self.role in PINGING_ROLES
                else None
            )
            try:
                while True:
                    self._dispatch(loads(await ws.recv(decode=False)))
            except ConnectionClosed:
                pass
            finally:
                if alive is not None:
                    alive.cancel()
            code = ws.close_code
            if code == CLOSE_REFUSED and not self._stopping:
                raise ClientError("unauthorized", ws.close_reason or "")
            if not self._stopping:
                logger.info("connection to %s closed (code %s)", self.url, code)
            return True

    async def _keep_alive(self) -> None:
        """A display or rating pad says it is alive: a silent one is marked offline."""
        while True:
            await asyncio.sleep(self.alive_seconds)
            try:
                await self.request("ping")
            except (ClientError, NotConnected, TimeoutError) as exc:
                logger.debug("ping not answered: %s", exc)

    def _hello(self) -> dict[str, Any]:
        hello: dict[str, Any] = {"type": "hello", "protocol": PROTOCOL_VERSION, "role": self.role}
        if self.token is not None:
            hello["token"] = self.token
        if self.counter is not None:
            hello["counter"] = self.counter
        return hello

    def _accept_welcome(self, frame: dict[str, Any]) -> None:
        if frame.get("type") != "welcome":
            error = frame.get("error") or {}
            raise ClientError(
                error.get("code", "bad_request"),
                error.get("message", f"expected welcome, got {frame.get('type')}"),
            )
        self.welcome = frame
        self.last_error = None
        self._set_state("connected")
        logger.info("%s connected to %s", self.role, self.url)
        self._call(self._welcome_cbs, frame)
        for stream in list(self._streams):
            if stream.include_welcome:
                stream._put(frame)

    def _dispatch(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "result":
            rid = frame.get("id")
            future = self._pending.get(rid) if isinstance(rid, int) else None
            if future is not None and not future.done():
                future.set_result(frame)
            elif future is None:
                logger.debug("result for an unknown or expired request: %r", frame.get("id"))
            return
        self._call(self._event_cbs, frame)
        for stream in list(self._streams):
            stream._put(frame)

    def _fail_pending(self, why: str) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(NotConnected(why))

    def _set_state(self, state: State) -> None:
        if state == self.state:
            return
        self.state = state
        self._call(self._state_cbs, state)
        waiters, self._state_waiters = self._state_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    @staticmethod
    def _call(callbacks: list[Callback], arg: Any) -> None:
        for cb in callbacks:
            try:
                cb(arg)
            except Exception:
                # An app's bug must not kill the connection that feeds every other view.
                logger.exception("callback %r failed", cb)


async def login(http_base_url: str | Sequence[str], username: str, password: str) -> str:
    """Log an officer in with `POST /api/login` and return the session token.

    `http_base_url` may list several servers (issue 19: the active one and its standby):
    each is asked in turn until one answers; a server that cannot be reached or answers
    `unavailable` (a standby) passes the turn to the next. Raises `ClientError` when the
    server refuses (401 `unauthorized`), `NotConnected` when none can be reached, the
    last `unavailable` when every one that answered refused for now.
    """
    bases = [http_base_url] if isinstance(http_base_url, str) else list(http_base_url)
    if not bases:
        raise ValueError("no server address")
    trouble: ClientError | NotConnected | None = None
    for base in bases:
        try:
            return await _login_at(base, username, password)
        except NotConnected as exc:
            trouble = trouble if isinstance(trouble, ClientError) else exc
        except ClientError as exc:
            if exc.code != "unavailable":
                raise
            trouble = exc
    assert trouble is not None
    raise trouble


async def _login_at(http_base_url: str, username: str, password: str) -> str:
    """`login` at one server."""
    url = http_base_url.rstrip("/") + "/api/login"
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url,
                json={"username": username, "password": password},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as resp,
        ):
            try:
                body = await resp.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                body = {}
    except (aiohttp.ClientConnectionError, TimeoutError) as exc:
        raise NotConnected(f"cannot reach {url}: {exc}") from None
    body = body if isinstance(body, dict) else {}
    if resp.status == 200 and isinstance(body.get("token"), str):
        return body["token"]
    error = body.get("error", body)
    error = error if isinstance(error, dict) else {}
    default = {401: "unauthorized", 503: "unavailable"}.get(resp.status, "internal")
    raise ClientError(error.get("code", default), error.get("message", f"HTTP {resp.status}"))
