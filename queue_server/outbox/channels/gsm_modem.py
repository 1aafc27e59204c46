"""SMS through a GSM/USB modem on a serial port: the AT dialogue of 3GPP TS 27.005.

The classic setup of a government building without an internet SMS contract. The
modem is driven in PDU mode (AT+CMGF=0), the only mode that sends UCS-2 (Vietnamese
with its marks) and concatenated messages; `pdu.py` builds the octets.

    AT / ATE0 / AT+CMEE=1 / AT+CMGF=0 / AT+CNMI=2,1,0,0,0     at connect
    AT+CMGS=<octets>  →  "> "  →  <PDU hex> Ctrl-Z  →  +CMGS: <ref> OK | +CMS ERROR: <n>
    +CMTI: "SM",<i>   →  AT+CMGR=<i>  →  +CMGR: <stat>,,<len> <PDU> OK  →  AT+CMGD=<i>

At connect the messages already stored (received while the server was down) are read
with AT+CMGL=4. One command at a time (a lock): the modem answers in order and has
no way to say which command an answer belongs to.

`+CMS ERROR` numbers (TS 27.005 §3.2.5, TS 24.011 causes): the ones that say the
number or the message is wrong are permanent — 1 unassigned number, 8 operator
barring, 10 call barred, 21 transfer rejected, 28 unidentified subscriber, 29
facility rejected, 30 unknown subscriber, 50 facility not subscribed, 69 not
implemented, 81 invalid reference, 95–99 invalid message, 111 protocol error, 127
interworking, 303 not supported, 304 invalid PDU parameter, 305 invalid text
parameter. Every other number is about the network, the SIM or the modem (38
network out of order, 41 temporary failure, 42 congestion, 47 resources, 310–316
SIM, 320–322 memory, 330 SMSC unknown, 331 no network, 332 network timeout, 500
unknown) and is temporary: retried later.

The port closing or failing (the modem unplugged) fails the send in progress as
temporary and starts reconnecting with exponential backoff; sends in the meantime
fail at once as temporary, so the outbox keeps them. A message cut between its parts
is sent whole again on retry (the modem has no idempotency key).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from queue_server.outbox import pdu, sms
from queue_server.outbox.channels.base import (
    Inbound,
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
)

log = logging.getLogger(__name__)

CTRL_Z = b"\x1a"
ESC = b"\x1b"
PROMPT = "> "
PERMANENT_CMS = frozenset(
    {1, 8, 10, 21, 28, 29, 30, 50, 69, 81, 95, 96, 97, 98, 99, 111, 127, 303, 304, 305}
)
INIT = ("AT", "ATE0", "AT+CMEE=1", "AT+CMGF=0", "AT+CNMI=2,1,0,0,0")


@dataclass(frozen=True)
class ModemSettings:
    port: str  # /dev/ttyUSB0, better /dev/serial/by-id/… (stable across replugs)
    baudrate: int = 115200
    pin: str | None = None
    unaccented: bool = False
    command_timeout: float = 10.0
    send_timeout: float = 60.0  # +CMGS waits for the network
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0


class ModemError(Exception):
    """A final ERROR, +CMS ERROR or +CME ERROR answer."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line
        kind, _, number = line.partition(":")
        self.cms = (
            int(number) if kind.strip() == "+CMS ERROR" and number.strip().isdigit() else None
        )


class _Gone(Exception):
    """The port closed or failed while a command waited."""


_GONE = object()


class GsmModemChannel:
    def __init__(
        self,
        name: str,
        settings: ModemSettings,
        concurrency: int = 1,
        rate_per_second: float = 0.2,
    ) -> None:
        self.name = name
        self.settings = settings
        self.concurrency = concurrency
        self.rate_per_second = rate_per_second
        self.connected = asyncio.Event()
        self.last_error: str | None = None
        self._lock = asyncio.Lock()
        self._lines: asyncio.Queue[object] = asyncio.Queue()
        self._writer: asyncio.StreamWriter | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._reading: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_inbound: Callable[[Inbound], Awaitable[None]] | None = None
        self._parts: dict[tuple[str, int], dict[int, str]] = {}
        self._reference = int(time.time()) & 0xFF

    # ----- life ---------------------------------------------------------------

    async def start(self, on_inbound: Callable[[Inbound], Awaitable[None]] | None) -> None:
        self._on_inbound = on_inbound
        self._supervisor = asyncio.create_task(self._keep_connected(), name=f"modem {self.name}")

    async def close(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._drop()

    async def _keep_connected(self) -> None:
        import serial  # only where a modem is configured (issue 18: idle memory)

        delay = self.settings.reconnect_min
        while True:
            try:
                reading = await self._connect()
                delay = self.settings.reconnect_min
                await reading
                self.last_error = "modem disconnected"
            except (OSError, serial.SerialException, ModemError, TimeoutError, _Gone) as exc:
                self.last_error = f"modem: {exc}"
            self._drop()
            log.warning("%s: %s; reconnecting in %.0f s", self.name, self.last_error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.reconnect_max)

    async def _connect(self) -> asyncio.Task[None]:
        import serial_asyncio_fast

        reader, self._writer = await serial_asyncio_fast.open_serial_connection(
            url=self.settings.port, baudrate=self.settings.baudrate
        )
        self._lines = asyncio.Queue()
        reading = asyncio.create_task(self._read(reader), name=f"modem {self.name} reader")
        self._reading = reading
        async with self._lock:
            for command in INIT:
                await self._command(command)
            if self.settings.pin is not None:
                state = await self._command("AT+CPIN?")
                if any("SIM PIN" in line for line in state):
                    await self._command(f'AT+CPIN="{self.settings.pin}"')
        self.connected.set()
        self.last_error = None
        log.info("%s: modem ready on %s", self.name, self.settings.port)
        self._spawn(self._read_stored_all())
        return reading

    def _drop(self) -> None:
        self.connected.clear()
        if self._reading is not None:
            self._reading.cancel()
            self._reading = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ----- the line discipline --------------------------------------------------

    async def _read(self, reader: asyncio.StreamReader) -> None:
        """Split what the modem says into lines; `+CMTI` is handled, the rest queued."""
        import serial

        buffer = b""
        try:
            while True:
                chunk = await reader.read(512)
                if not chunk:
                    return
                buffer += chunk
                while True:
                    if buffer.lstrip(b"\r\n").startswith(PROMPT.encode()):
                        buffer = buffer.lstrip(b"\r\n")[len(PROMPT) :]
                        self._lines.put_nowait(PROMPT)
                        continue
                    line, sep, rest = buffer.partition(b"\r\n")
                    if not sep:
                        break
                    buffer = rest
                    self._heard(line.decode("ascii", "replace").strip())
        except (OSError, serial.SerialException) as exc:
            log.warning("%s: port failed: %s", self.name, exc)
        finally:
            self._lines.put_nowait(_GONE)

    def _heard(self, line: str) -> None:
        if not line:
            return
        if line.startswith("+CMTI:"):
            index = line.rpartition(",")[2].strip()
            if index.isdigit():
                self._spawn(self._read_stored(int(index)))
            return
        self._lines.put_nowait(line)

    async def _next(self, timeout: float) -> str:
        try:
            item = await asyncio.wait_for(self._lines.get(), timeout)
        except TimeoutError:
            raise TimeoutError("no answer from the modem") from None
        if item is _GONE:
            self._lines.put_nowait(_GONE)  # whoever waits next learns it too
            raise _Gone("port closed")
        assert isinstance(item, str)
        return item

    def _write(self, data: bytes) -> None:
        if self._writer is None:
            raise _Gone("port closed")
        self._writer.write(data)

    def _forget_stale(self) -> None:
        """Drop answers left over from a command that timed out, before the next one."""
        while not self._lines.empty():
            item = self._lines.get_nowait()
            if item is _GONE:
                self._lines.put_nowait(_GONE)
                return

    async def _final(self, sent: str, timeout: float) -> list[str]:
        """The lines up to OK; ModemError for an error answer. The lock must be held."""
        lines: list[str] = []
        while True:
            line = await self._next(timeout)
            if line in (sent, PROMPT):  # the echo before ATE0 took effect
                continue
            if line == "OK":
                return lines
            if line == "ERROR" or line.startswith(("+CMS ERROR", "+CME ERROR")):
                raise ModemError(line)
            lines.append(line)

    async def _command(self, command: str, timeout: float | None = None) -> list[str]:
        self._forget_stale()
        self._write(command.encode("ascii") + b"\r")
        return await self._final(command, timeout or self.settings.command_timeout)

    # ----- sending ----------------------------------------------------------------

    async def send(self, message: Outgoing) -> SendResult:
        if not self.connected.is_set():
            raise TemporaryFailure(self.last_error or "modem not connected")
        text = sms.sms_text(message.text, self.settings.unaccented)
        self._reference = (self._reference + 1) & 0xFF
        try:
            parts = pdu.encode_submit(message.to, text, self._reference)
        except ValueError as exc:
            raise PermanentFailure(str(exc)) from exc
        references = []
        async with self._lock:
            try:
                for part in parts:
                    references.append(await self._submit(part))
            except _Gone as exc:
                raise TemporaryFailure("modem disconnected mid-message") from exc
            except TimeoutError as exc:
                with contextlib.suppress(_Gone):
                    self._write(ESC)  # leave the "> " state the modem may be in
                raise TemporaryFailure("modem did not answer") from exc
            except ModemError as exc:
                if exc.cms in PERMANENT_CMS:
                    raise PermanentFailure(exc.line) from exc
                raise TemporaryFailure(exc.line) from exc
        return SendResult(provider_id=",".join(references), segments=len(parts))

    async def _submit(self, part: pdu.Submit) -> str:
        command = f"AT+CMGS={part.tpdu_length}"
        self._forget_stale()
        self._write(command.encode("ascii") + b"\r")
        while (line := await self._next(self.settings.command_timeout)) != PROMPT:
            if line == "ERROR" or line.startswith(("+CMS ERROR", "+CME ERROR")):
                raise ModemError(line)
        self._write(part.hex.encode("ascii") + CTRL_Z)
        answer = await self._final(part.hex, self.settings.send_timeout)
        return next((a.split(":", 1)[1].strip() for a in answer if a.startswith("+CMGS:")), "")

    # ----- receiving --------------------------------------------------------------

    async def _read_stored(self, index: int) -> None:
        try:
            async with self._lock:
                lines = await self._command(f"AT+CMGR={index}")
                await self._command(f"AT+CMGD={index}")
        except (ModemError, TimeoutError, _Gone) as exc:
            log.warning("%s: reading stored message %d failed: %s", self.name, index, exc)
            return
        await self._received([line for line in lines if not line.startswith("+CMGR:")])

    async def _read_stored_all(self) -> None:
        try:
            async with self._lock:
                lines = await self._command("AT+CMGL=4")
                indexes = [
                    line.split(":", 1)[1].split(",", 1)[0].strip()
                    for line in lines
                    if line.startswith("+CMGL:")
                ]
                for index in indexes:
                    await self._command(f"AT+CMGD={index}")
        except (ModemError, TimeoutError, _Gone) as exc:
            log.warning("%s: listing stored messages failed: %s", self.name, exc)
            return
        await self._received([line for line in lines if not line.startswith("+CMGL:")])

    async def _received(self, pdus: list[str]) -> None:
        for hex_pdu in pdus:
            try:
                decoded = pdu.decode(hex_pdu)
            except ValueError as exc:
                log.warning("%s: unreadable incoming message dropped: %s", self.name, exc)
                continue
            text = self._assemble(decoded)
            if text is not None and self._on_inbound is not None:
                sender = international(decoded.number)
                await self._on_inbound(Inbound(self.name, sender, text, time.time()))

    def _assemble(self, decoded: pdu.Decoded) -> str | None:
        """The whole text once every part of a concatenated message is in."""
        if decoded.concat is None:
            return decoded.text
        reference, total, sequence = decoded.concat
        parts = self._parts.setdefault((decoded.number, reference), {})
        parts[sequence] = decoded.text
        if len(parts) < total:
            return None
        del self._parts[(decoded.number, reference)]
        return "".join(parts[i] for i in sorted(parts))


def international(number: str) -> str:
    """A sender's number as 84…: national 0… numbers get the country code."""
    digits = number.lstrip("+")
    return "84" + digits[1:] if digits.startswith("0") else digits
