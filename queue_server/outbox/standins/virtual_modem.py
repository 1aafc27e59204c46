"""A GSM modem on a pseudo-terminal, speaking the AT dialogue of 3GPP TS 27.005.

The channel opens the pty's slave side as it would /dev/ttyUSB0; this plays the modem
on the master side:

- echo of each command line until ATE0; answers framed "\\r\\nOK\\r\\n" (ATV1);
- AT, ATE0/1, AT+CMEE, AT+CMGF=0|1, AT+CNMI, AT+CPIN?, AT+CMGS, AT+CMGR, AT+CMGD,
  AT+CMGL; anything else "ERROR";
- AT+CMGS=<n> → "> " → PDU hex + Ctrl-Z (ESC cancels) → "+CMGS: <ref>" OK, or
  "+CMS ERROR: 304" for a PDU whose length is not <n> or that does not decode, or the
  error injected for a number (`refuse`) or for the next sends (`fail_next`);
- `inject(sender, text)` stores an SMS-DELIVER PDU on the "SIM" and announces it with
  `+CMTI: "SM",<index>`; AT+CMGR reads it, AT+CMGD deletes it;
- `unplug()` closes the master side (the channel reads EIO, as from a pulled USB
  modem); `replug()` opens a new pty behind the same `path` (a symlink, like
  /dev/serial/by-id/…); `unplug_on_pdu` pulls it while a message is being sent;
- `silent_on_pdu` swallows a PDU without an answer (a network that never acknowledges).

`sent` holds every part the "network" accepted, decoded; `messages()` the texts.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import tempfile
import tty
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from queue_server.outbox import pdu

CTRL_Z = 0x1A
ESC = 0x1B


@dataclass
class SentPart:
    reference: int  # TP-MR the modem answered with
    hex: str
    decoded: pdu.Decoded


@dataclass
class VirtualModem:
    path: Path  # the stable name the channel opens (a symlink to the pty's slave)
    echo: bool = True
    sent: list[SentPart] = field(default_factory=list)
    stored: dict[int, str] = field(default_factory=dict)  # SIM index → DELIVER PDU
    commands: list[str] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)  # number (84…) → +CMS ERROR
    fail_next: list[int] = field(default_factory=list)  # +CMS ERROR for the next sends
    unplug_on_pdu: bool = False
    silent_on_pdu: bool = False
    on_sent: Callable[[SentPart], None] | None = None  # the demo prints each part
    pdu_mode: bool = False
    plugged: asyncio.Event = field(default_factory=asyncio.Event)
    _master: int | None = None
    _slave: int | None = None
    _buffer: bytearray = field(default_factory=bytearray)
    _awaiting: int | None = None  # octets announced by AT+CMGS, while at "> "
    _reference: int = 0

    # ----- the device -------------------------------------------------------------

    def plug(self) -> None:
        """Open a new pty and point `path` at it (the modem appears)."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no line discipline between the channel and the modem
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        spare = self.path.with_name(self.path.name + ".new")
        spare.unlink(missing_ok=True)
        spare.symlink_to(os.ttyname(slave))
        os.replace(spare, self.path)
        self.echo, self.pdu_mode, self._awaiting = True, False, None
        self._buffer.clear()
        asyncio.get_running_loop().add_reader(master, self._readable)
        self.plugged.set()

    def unplug(self) -> None:
        """Pull the modem: the channel's reads fail, the path goes away."""
        if self._master is None:
            return
        asyncio.get_running_loop().remove_reader(self._master)
        os.close(self._master)
        if self._slave is not None:
            os.close(self._slave)
        self._master = self._slave = None
        self.path.unlink(missing_ok=True)
        self.plugged.clear()

    replug = plug

    def close(self) -> None:
        self.unplug()

    def _say(self, *lines: str) -> None:
        if self._master is None:
            return
        os.write(self._master, b"".join(f"\r\n{line}\r\n".encode("ascii") for line in lines))

    # ----- what the test or the demo does ---------------------------------------------

    def inject(self, sender: str, text: str, when: dt.datetime | None = None) -> list[int]:
        """A text from `sender` arrives: each part stored on the SIM, announced with +CMTI."""
        moment = when or dt.datetime.now(dt.timezone(dt.timedelta(hours=7)))
        self._reference = (self._reference + 1) % 256
        indexes = []
        for part in pdu.encode_deliver(sender, text, moment, self._reference):
            index = next(i for i in range(1, 256) if i not in self.stored)
            self.stored[index] = part
            self._say(f'+CMTI: "SM",{index}')
            indexes.append(index)
        return indexes

    def messages(self) -> list[tuple[str, str]]:
        """(number, text) of each message sent, its parts joined."""
        out: list[tuple[str, str]] = []
        groups: dict[tuple[str, int], list[pdu.Decoded]] = {}
        for part in self.sent:
            d = part.decoded
            if d.concat is None:
                out.append((d.number, d.text))
                continue
            group = groups.setdefault((d.number, d.concat[0]), [])
            group.append(d)
            if len(group) == d.concat[1]:
                group.sort(key=lambda g: g.concat[2] if g.concat else 0)
                out.append((d.number, "".join(g.text for g in group)))
        return out

    # ----- the AT dialogue --------------------------------------------------------

    def _readable(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except OSError:
            return
        for byte in data:
            if self._master is None:
                return
            self._take(byte)

    def _take(self, byte: int) -> None:
        if self._awaiting is not None:
            if byte == CTRL_Z:
                self._submitted(self._buffer.decode("ascii", "replace").strip())
                self._buffer.clear()
            elif byte == ESC:
                self._awaiting = None
                self._buffer.clear()
                self._say("OK")
            else:
                self._buffer.append(byte)
            return
        if byte < 0x20 and byte not in (0x0D, 0x0A):
            return  # a stray ESC or Ctrl-Z outside the "> " prompt: ignored, as modems do
        if self.echo and self._master is not None:
            os.write(self._master, bytes((byte,)))
        if byte == ord("\r"):
            line = self._buffer.decode("ascii", "replace").strip()
            self._buffer.clear()
            if line:
                self.commands.append(line)
                self._command(line)
        elif byte != ord("\n"):
            self._buffer.append(byte)

    def _command(self, line: str) -> None:
        upper = line.upper()
        if upper in ("AT", "AT+CMEE=1", "AT+CMEE=0") or upper.startswith("AT+CNMI="):
            self._say("OK")
        elif upper in ("ATE0", "ATE1"):
            self.echo = upper == "ATE1"
            self._say("OK")
        elif upper in ("AT+CMGF=0", "AT+CMGF=1"):
            self.pdu_mode = upper == "AT+CMGF=0"
            self._say("OK")
        elif upper == "AT+CPIN?":
            self._say("+CPIN: READY", "OK")
        elif upper.startswith("AT+CMGS="):
            self._cmgs(line[8:])
        elif upper.startswith("AT+CMGR="):
            self._cmgr(line[8:])
        elif upper.startswith("AT+CMGD="):
            self.stored.pop(_int(line[8:].split(",")[0]), None)
            self._say("OK")
        elif upper.startswith("AT+CMGL="):
            listing = []
            for index, stored in sorted(self.stored.items()):
                listing += [f"+CMGL: {index},0,,{len(stored) // 2 - 1}", stored]
            self._say(*listing, "OK")
        else:
            self._say("ERROR")

    def _cmgs(self, argument: str) -> None:
        if not self.pdu_mode:
            self._say("+CMS ERROR: 305")  # this modem plays PDU mode only
            return
        length = _int(argument)
        if length <= 0:
            self._say("+CMS ERROR: 304")
            return
        self._awaiting = length
        if self._master is not None:
            os.write(self._master, b"\r\n> ")

    def _submitted(self, hex_pdu: str) -> None:
        length, self._awaiting = self._awaiting, None
        if self.unplug_on_pdu:
            self.unplug()
            return
        if self.silent_on_pdu:
            return
        try:
            decoded = pdu.decode(hex_pdu)
            raw = bytes.fromhex(hex_pdu)
        except ValueError:
            self._say("+CMS ERROR: 304")
            return
        if len(raw) - 1 - raw[0] != length:
            self._say("+CMS ERROR: 304")
            return
        if decoded.number in self.refuse:
            self._say(f"+CMS ERROR: {self.refuse[decoded.number]}")
            return
        if self.fail_next:
            self._say(f"+CMS ERROR: {self.fail_next.pop(0)}")
            return
        self._reference = (self._reference + 1) % 256
        part = SentPart(self._reference, hex_pdu, decoded)
        self.sent.append(part)
        if self.on_sent is not None:
            self.on_sent(part)
        self._say(f"+CMGS: {self._reference}", "OK")

    def _cmgr(self, argument: str) -> None:
        stored = self.stored.get(_int(argument))
        if stored is None:
            self._say("+CMS ERROR: 321")  # invalid memory index
            return
        self._say(f"+CMGR: 0,,{len(stored) // 2 - 1}", stored, "OK")


def _int(text: str) -> int:
    text = text.strip()
    return int(text) if text.isdigit() else -1


def _print_part(part: SentPart) -> None:
    line = {"to": part.decoded.number, "part": part.decoded.concat, "text": part.decoded.text}
    print(json.dumps(line, ensure_ascii=False), flush=True)


async def _serve(link: Path) -> None:
    modem = VirtualModem(link, on_sent=_print_part)
    modem.plug()
    print(json.dumps({"port": str(link)}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        try:  # "<sender> <text>" on stdin injects a text
            line = await loop.run_in_executor(None, input)
        except EOFError:  # no console: go on being a modem
            await asyncio.Event().wait()
        sender, _, text = line.strip().partition(" ")
        if sender and text:
            modem.inject(sender, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--link", type=Path, default=Path(tempfile.gettempdir()) / "xephang-modem")
    asyncio.run(_serve(parser.parse_args().link))


if __name__ == "__main__":
    main()
