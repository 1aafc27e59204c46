"""A virtual ESC/POS network printer for the demo and the tests.

    python -m printer.virtual --port 9100 --out DIR [--paper out] [--mute] …
    python -m printer.virtual --out DIR --set paper=out      # change a running one

It decodes each job into DIR/job-NNNN.png and answers DLE EOT / GS r from its state.
The state lives in DIR/state.json, which the printer re-reads, so it can be changed while
it runs; in-process use `VirtualPrinter.set_state()`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from printer.escpos_decode import DecodedJob, Decoder, StatusQuery
from printer.status import Paper, encode_replies

log = logging.getLogger(__name__)
STATE_FILE = "state.json"
_RECEIVE_BUFFER = 4096  # a real printer's TCP window is small; a hung one stalls senders
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class PrinterState:
    """mute: reads but never answers status; hang: accepts but never reads at all."""

    paper: str = "ok"
    cover_open: bool = False
    offline: bool = False
    mute: bool = False
    hang: bool = False

    def __post_init__(self) -> None:
        Paper(self.paper)  # ValueError for anything but ok / near_end / out / unknown

    @property
    def can_print(self) -> bool:
        return self.paper != "out" and not self.cover_open and not self.offline

    def reply(self, query: StatusQuery) -> bytes:
        if self.mute:
            return b""
        if query.kind == "GS r":
            sensor = {"near_end": 0x03, "out": 0x0F}.get(self.paper, 0)
            return bytes([sensor if query.n in (1, 49) else 0])
        replies = encode_replies(
            offline=self.offline, cover_open=self.cover_open, paper=Paper(self.paper)
        )
        return bytes([replies[query.n]]) if query.n in replies else b""


@dataclass(frozen=True)
class PrintedJob:
    decoded: DecodedJob
    path: Path | None

    @property
    def image(self) -> Image.Image:
        return self.decoded.page


class VirtualPrinter:
    """In-process: `await vp.start()`, `vp.port`, `vp.set_state(paper="out")`, `vp.jobs`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        out_dir: Path | str | None = None,
        width: int = 576,
        state: PrinterState | None = None,
    ) -> None:
        self.host, self.port, self.width = host, port, width
        self.out_dir = Path(out_dir) if out_dir else None
        self.state = state or PrinterState()
        self.jobs: list[PrintedJob] = []
        self.refused: list[DecodedJob] = []
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self._poller: asyncio.Task | None = None
        self._state_mtime = 0.0
        self._job_event = asyncio.Event()

    async def start(self) -> None:
        if self.out_dir:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._write_state_file()
            self._poller = asyncio.create_task(self._poll_state_file())
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
        sock.bind((self.host, self.port))
        self._server = await asyncio.start_server(self._serve, sock=sock)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("virtual printer on %s:%d, %d dots", self.host, self.port, self.width)

    async def stop(self) -> None:
        if self._poller:
            self._poller.cancel()
        for writer in list(self._conns):
            writer.close()
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> VirtualPrinter:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def set_state(self, **changes: Any) -> None:
        self.state = dataclasses.replace(self.state, **changes)
        if self.out_dir:
            self._write_state_file()

    async def wait_for_jobs(self, count: int, timeout: float = 5.0) -> list[PrintedJob]:
        async with asyncio.timeout(timeout):
            while len(self.jobs) < count:
                self._job_event.clear()
                await self._job_event.wait()
        return self.jobs

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._conns.add(writer)
        try:
            if self.state.hang:
                transport = writer.transport
                if isinstance(transport, asyncio.ReadTransport):  # a TCP socket's is
                    transport.pause_reading()
                await writer.wait_closed()  # until stop(): never read, never answer
                return
            decoder = Decoder(self.width)
            while data := await reader.read(65536):
                self._handle(decoder.feed(data), writer)
                await writer.drain()
            self._handle(decoder.close(), writer)
        except ConnectionError:
            log.info("client went away")
        finally:
            self._conns.discard(writer)
            writer.close()

    def _handle(self, events: list[StatusQuery | DecodedJob], writer: asyncio.StreamWriter) -> None:
        for event in events:
            if isinstance(event, StatusQuery):
                writer.write(self.state.reply(event))
            elif self.state.can_print:
                self._keep(event)
            else:
                log.info("job refused: printer state %s", self.state)
                self.refused.append(event)

    def _keep(self, job: DecodedJob) -> None:
        path = None
        if self.out_dir:
            path = self.out_dir / f"job-{len(self.jobs) + 1:04d}.png"
            job.page.save(path, optimize=True)
        self.jobs.append(PrintedJob(job, path))
        self._job_event.set()
        log.info("job %d printed: %dx%d %s", len(self.jobs), *job.page.size, path or "")

    def _write_state_file(self) -> None:
        assert self.out_dir
        path = self.out_dir / STATE_FILE
        path.write_text(json.dumps(dataclasses.asdict(self.state), indent=1) + "\n")
        self._state_mtime = path.stat().st_mtime

    async def _poll_state_file(self) -> None:
        assert self.out_dir
        path = self.out_dir / STATE_FILE
        while True:
            await asyncio.sleep(_POLL_SECONDS)
            with contextlib.suppress(FileNotFoundError):
                mtime = path.stat().st_mtime
                if mtime != self._state_mtime:
                    self._state_mtime = mtime
                    self._load_state_file(path)

    def _load_state_file(self, path: Path) -> None:
        try:
            self.state = PrinterState(**json.loads(path.read_text()))
            log.info("state now %s", self.state)
        except (ValueError, TypeError) as exc:
            log.warning("ignoring %s: %s", path, exc)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m printer.virtual",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--out", type=Path, required=True, help="where job PNGs go")
    parser.add_argument("--width", type=int, default=576, help="paper width in dots")
    parser.add_argument("--paper", choices=["ok", "near_end", "out"], default="ok")
    for flag in ("cover-open", "offline", "mute", "hang"):
        parser.add_argument(f"--{flag}", action="store_true")
    parser.add_argument(
        "--set",
        nargs="+",
        metavar="KEY=VALUE",
        help="change the state of a running printer via DIR/state.json, exit",
    )
    return parser.parse_args(argv)


def _set_running_state(out: Path, pairs: list[str]) -> None:
    path = out / STATE_FILE
    current = json.loads(path.read_text()) if path.exists() else {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        current[key] = value if key == "paper" else value.lower() in ("1", "true", "yes", "on")
    state = PrinterState(**current)
    path.write_text(json.dumps(dataclasses.asdict(state), indent=1) + "\n")
    print(f"{path}: {state}")


async def _run(args: argparse.Namespace) -> None:
    state = PrinterState(
        paper=args.paper,
        cover_open=args.cover_open,
        offline=args.offline,
        mute=args.mute,
        hang=args.hang,
    )
    vp = VirtualPrinter(args.host, args.port, args.out, args.width, state)
    await vp.start()
    print(
        f"virtual printer listening on {args.host}:{vp.port}; jobs → {args.out}; "
        f"state: {args.out / STATE_FILE}",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await vp.stop()


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    if args.set:
        _set_running_state(args.out, args.set)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args))


if __name__ == "__main__":
    main()
