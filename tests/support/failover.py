"""Two server instances on one PostgreSQL database (issue 19): child processes to kill
for real, and a TCP relay standing for the load balancer in front of them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from assets import SAMPLE_CONFIG
from tests.support import ROOT
from tests.support.servers import free_port
from tests.support.waiting import answers, until_up


class Instance:
    """`python -m queue_server --db postgresql://…` as a child process; its log in `log`."""

    def __init__(self, dsn: str, folder: Path, name: str) -> None:
        self.dsn, self.port, self.name = dsn, free_port(), name  # `dsn` may be changed
        self.log = folder / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True, config: Path = SAMPLE_CONFIG) -> None:
        """Start it; with `wait`, until it serves (it is the active one)."""
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "queue_server", "--config", str(config)]
                + ["--db", self.dsn, "--port", str(self.port), "--ignore-hours"],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        if wait:
            until_up(self.serving, f"{self.name} to serve", [self.proc], timeout=30)

    def serving(self) -> bool:
        return answers(f"{self.base}/healthz")

    def health(self) -> dict:
        with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as answer:
            return json.loads(answer.read())

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


class FirstAnswering:
    """A TCP relay: each connection goes to the first of `ports` that accepts it (a load
    balancer with a TCP check; a standby listens too, and refuses every request with
    `unavailable`, so the clients try again and reach the active one)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for port in self.ports:
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                continue
        else:
            writer.close()
            return
        pumps = [
            asyncio.create_task(_pump(reader, up_writer)),
            asyncio.create_task(_pump(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for task in pumps:
            task.cancel()
            self._tasks.discard(task)
        for w in (writer, up_writer):
            w.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.CancelledError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


class PartitionableLink:
    """A TCP relay between one instance and PostgreSQL. `partition()` is a network
    partition as each side ends up seeing it: the database's side of every connection
    is closed (PostgreSQL has noticed the peer gone, and freed its locks), while the
    instance's side stays open and silent — nothing it sends is answered, new
    connections are accepted and never answered."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.up = True
        self._server: asyncio.Server | None = None
        self._upstream: set[asyncio.StreamWriter] = set()
        self._held: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._held.add(writer)
        if not self.up:
            return  # accepted, never answered
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._upstream.add(up_writer)
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        self._tasks.update(pumps)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while self.up and (data := await reader.read(65536)):
                if not self.up:
                    return
                writer.write(data)
                await writer.drain()

    def partition(self) -> None:
        self.up = False
        for task in self._tasks:
            task.cancel()
        for writer in self._upstream:
            writer.close()

    async def close(self) -> None:
        self.partition()
        for writer in self._held:
            writer.close()
        if self._server is not None:
            self._server.close()
