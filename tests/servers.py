"""Real queue servers for tests: in-process on a loopback port, or as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
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

import websockets
from aiohttp import web
from websockets.asyncio.client import ClientConnection

from queue_server.app import SERVER_KEY, QueueServer, create_app
from queue_server.core.siteconfig import load_config
from queue_server.domain.config import SiteConfig

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CONFIG = ROOT / "assets" / "config" / "binh-duong.toml"
KIOSK_TOKEN = "kiosk-1-demo-token-change-me"
KIOSK2_TOKEN = "kiosk-2-demo-token-change-me"
DISPLAY_TOKEN = "hall-1-demo-token-change-me"
RATING_TOKEN = "rating-pads-demo-token-change-me"
PASSWORD = "mat-khau-thu-nghiem"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def running_server(db: Path, config: SiteConfig | None = None,
                         **kw) -> AsyncIterator[tuple[str, QueueServer]]:
    """A server in this process; yields its base URL (http://127.0.0.1:PORT) and itself."""
    app = create_app(config or load_config(SAMPLE_CONFIG), db,
                     enforce_hours=kw.pop("enforce_hours", False), **kw)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}", app[SERVER_KEY]
    finally:
        await runner.cleanup()


async def add_officer(server: QueueServer, name: str, role: str = "officer",
                      full_name: str = "") -> None:
    await server.accounts.add_user(name, role, PASSWORD, full_name=full_name, actor="test")


async def login(base: str, name: str, password: str = PASSWORD) -> str:
    def post() -> dict:
        req = urllib.request.Request(f"{base}/api/login", method="POST",
                                     data=json.dumps({"username": name,
                                                      "password": password}).encode())
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.load(resp)
    return (await asyncio.to_thread(post))["token"]


class Peer:
    """A bare protocol peer: sends requests, collects events, matches results by id."""

    def __init__(self, ws: ClientConnection, welcome: dict) -> None:
        self.ws, self.welcome = ws, welcome
        self.events: list[dict] = []
        self._next = 0

    async def request(self, kind: str, **fields) -> dict:
        self._next += 1
        rid = f"t{self._next}"
        await self.ws.send(json.dumps({"type": kind, "id": rid, **fields}))
        return await self.result(rid)

    async def result(self, rid) -> dict:
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            if msg.get("type") == "result" and msg.get("id") == rid:
                return msg
            self.events.append(msg)

    async def wait_event(self, kind: str, timeout: float = 10, **match) -> dict:
        for ev in self.events:
            if ev["type"] == kind and all(ev.get(k) == v for k, v in match.items()):
                self.events.remove(ev)
                return ev
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(),
                                                    deadline - time.monotonic()))
            if msg["type"] == kind and all(msg.get(k) == v for k, v in match.items()):
                return msg
            self.events.append(msg)

    async def close(self) -> None:
        await self.ws.close()


async def peer(base: str, role: str, token: str | None = None, counter: int | None = None,
               **kw) -> Peer:
    ws = await websockets.connect(base.replace("http", "ws", 1) + "/ws", compression=None,
                                  **kw)
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
    """`python -m queue_server` as a child process, to be killed for real."""

    def __init__(self, db: Path, port: int | None = None) -> None:
        self.db, self.port = db, port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "queue_server", "--config", str(SAMPLE_CONFIG), "--db",
             str(self.db), "--port", str(self.port), "--ignore-hours"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

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
