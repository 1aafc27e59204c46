"""Real queue servers for tests: in this process on a loopback port (stoppable and
restartable on the same port and database), or as a child process to be killed for real;
a bare protocol peer; a network link that can be cut."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import websockets
from aiohttp import web
from websockets.asyncio.client import ClientConnection

from assets import SAMPLE_CONFIG
from queue_server.app import CONTEXT_KEY, create_app
from queue_server.core.accounts import Accounts
from queue_server.core.context import ServerContext
from queue_server.core.siteconfig import load_config
from queue_server.core.store import Store
from queue_server.domain.config import SiteConfig
from tests.support import ROOT
from tests.support.waiting import answers, until_up

# The device tokens of the sample site (assets/config/binh-duong.toml), and the password
# `add_officer` gives.
KIOSK_TOKEN = "kiosk-1-demo-token-change-me"
KIOSK2_TOKEN = "kiosk-2-demo-token-change-me"
DISPLAY_TOKEN = "hall-1-demo-token-change-me"
RATING_TOKEN = "rating-pads-demo-token-change-me"
PASSWORD = "mat-khau-thu-nghiem"


def sample_site(directory: Path) -> SiteConfig:
    """The sample site, its dry-run messages written in `directory` (not the checkout's
    var/, where the demo writes them)."""
    config = load_config(SAMPLE_CONFIG)
    channels = {
        name: table | {"path": str(directory / "messages.jsonl")}
        if table.get("type") == "dryrun"
        else table
        for name, table in config.messaging.channels_table.items()
    }
    return dataclasses.replace(
        config, messaging=dataclasses.replace(config.messaging, channels_table=channels)
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class InProcessServer:
    """The real queue server in this process on `port` (a free one by default), the sample
    site unless `config` says otherwise. `stop()` then `start()` is a restart: the same
    port and database, as the clients see a real one."""

    def __init__(
        self,
        db: Path | str,
        config: SiteConfig | None = None,
        port: int | None = None,
        **options: Any,
    ) -> None:
        self.db, self.config, self.port = db, config, port or free_port()
        self.options = {"enforce_hours": False} | options
        self.runner: web.AppRunner | None = None
        self._server: ServerContext | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server(self) -> ServerContext:
        assert self._server is not None, "the server is not running"
        return self._server

    async def start(self) -> None:
        config = self.config or sample_site(Path(self.db).parent)  # a SQLite file's folder
        app = create_app(config, self.db, **self.options)
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self._server = app[CONTEXT_KEY]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def __aenter__(self) -> InProcessServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def tickets(self, service: str | None = None) -> list:
        """The tickets of the day, of `service` or all."""
        return [
            t for t in self.server.state.tickets.values() if service is None or t.service == service
        ]

    def device_printer(self) -> str | None:
        """The printer state the (first) kiosk reported, if any."""
        states = [d["printer"] for d in self.server.devices.values()]
        return states[0] if states else None


@contextlib.asynccontextmanager
async def running_server(
    db: Path | str, config: SiteConfig | None = None, *, port: int | None = None, **options: Any
) -> AsyncIterator[tuple[str, ServerContext]]:
    """A server in this process; yields its base URL (http://127.0.0.1:PORT) and itself.
    Given the `port` of an earlier one, it is that server restarted."""
    async with InProcessServer(db, config, port, **options) as local:
        yield local.base, local.server


async def add_officer(
    server: ServerContext, name: str, role: str = "officer", full_name: str = ""
) -> None:
    await server.accounts.add_user(name, role, PASSWORD, full_name=full_name, actor="test")


async def database_with_officers(db: Path, count: int, password: str) -> None:
    """A new database (for a `ServerProcess`) with officers `can-bo-0` … `can-bo-{count-1}`."""
    await (await Store.open(db)).close()
    accounts = await Accounts.open(db)
    for n in range(count):
        await accounts.add_user(f"can-bo-{n}", "officer", password)
    await accounts.close()


async def login(base: str, name: str, password: str = PASSWORD) -> str:
    def post() -> dict:
        req = urllib.request.Request(
            f"{base}/api/login",
            method="POST",
            data=json.dumps({"username": name, "password": password}).encode(),
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.load(resp)

    return (await asyncio.to_thread(post))["token"]


class Peer:
    """A bare protocol peer: sends requests, collects events, matches results by id.

    The server sends a connection's frames in order, so a frame that must come after
    others (the answer to a later request, the event of a later change) is a sync point:
    `frames_until` returns everything up to it."""

    def __init__(self, ws: ClientConnection, welcome: dict) -> None:
        self.ws, self.welcome = ws, welcome
        self.events: list[dict] = []
        self._next = 0

    async def request(self, kind: str, **fields) -> dict:
        self._next += 1
        rid = f"t{self._next}"
        await self.ws.send(json.dumps({"type": kind, "id": rid, **fields}))
        return await self.result(rid)

    async def result(self, rid, timeout: float = 10) -> dict:
        """The answer to request `rid`; the other frames stay held, in order."""
        return await self._take(lambda f: f["type"] == "result" and f.get("id") == rid, timeout)

    async def wait_event(self, kind: str, timeout: float = 10, **match) -> dict:
        """The first `kind` event whose fields match; the others stay held, in order."""
        return await self._take(
            lambda f: f["type"] == kind and all(f.get(k) == v for k, v in match.items()), timeout
        )

    async def frames_until(self, last, timeout: float = 10) -> list[dict]:
        """Every frame held and received, up to and including the first for which
        `last(frame)` is true; those after it stay held."""
        frames, self.events = self.events, []
        for i, frame in enumerate(frames):
            if last(frame):
                self.events = frames[i + 1 :]
                return frames[: i + 1]
        deadline = time.monotonic() + timeout
        while True:
            frames.append(
                json.loads(await asyncio.wait_for(self.ws.recv(), deadline - time.monotonic()))
            )
            if last(frames[-1]):
                return frames

    async def _take(self, wanted, timeout: float) -> dict:
        *before, frame = await self.frames_until(wanted, timeout)
        self.events[:0] = before
        return frame

    async def close(self) -> None:
        await self.ws.close()


async def peer(
    base: str, role: str, token: str | None = None, counter: int | None = None, **kw
) -> Peer:
    ws = await websockets.connect(base.replace("http", "ws", 1) + "/ws", compression=None, **kw)
    hello = {"type": "hello", "protocol": 1, "role": role, "token": token}
    if counter is not None:
        hello["counter"] = counter
    await ws.send(json.dumps(hello))
    welcome = json.loads(await ws.recv())
    if welcome["type"] != "welcome":
        await ws.close()
        raise PermissionError(welcome)
    return Peer(ws, welcome)


class ServerProcess:
    """`python -m queue_server` as a child process, to be killed for real; `db` a SQLite
    file or a postgresql:// URL."""

    def __init__(
        self, db: Path | str, port: int | None = None, config: Path = SAMPLE_CONFIG
    ) -> None:
        self.db, self.port, self.config = db, port or free_port(), config
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "queue_server",
                "--config",
                str(self.config),
                "--db",
                str(self.db),
                "--port",
                str(self.port),
                "--ignore-hours",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        until_up(
            lambda: answers(f"{self.base}/healthz"), "the server to start", [self.proc], timeout=20
        )

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class CuttableLink:
    """A TCP relay to `target_port`: `cut()` drops every connection and refuses new ones
    until `restore()` — a network blip between an app and the server. `mute()` keeps
    passing what the app sends but drops what the server answers (a request applied, its
    answer lost on the way)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.up = True
        self.muted = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        self.up = False
        for writer in list(self._writers):
            writer.transport.abort()

    def restore(self) -> None:
        self.up = True

    def mute(self) -> None:
        self.muted = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        for source, sink, back in ((reader, up_writer, False), (up_reader, writer, True)):
            task = asyncio.create_task(self._pipe(source, sink, back))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, back: bool
    ) -> None:
        try:
            while data := await source.read(65536):
                if back and self.muted:  # the server's side, muted
                    continue
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(sink)
            with contextlib.suppress(Exception):
                sink.transport.abort()
