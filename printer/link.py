"""An open connection to a printer: write bytes, read a status byte with a deadline.

python-escpos opens the device; we add what it lacks: a bounded read, and a small socket
send buffer so a printer that stops reading shows up as a write timeout instead of the job
disappearing into megabytes of kernel buffer.
"""

from __future__ import annotations

import socket
from typing import Any

from printer import _escpos
from printer.config import PrinterConfig
from printer.errors import PrinterOffline, PrinterTimeout

_SEND_BUFFER = 8192


class Link:
    def __init__(self, device: Any, config: PrinterConfig) -> None:
        self.device, self.config = device, config

    def write(self, data: bytes) -> None:
        if self.config.connection == "serial":
            # pyserial's write timeout covers the whole write: allow for 9600 baud
            self.device.device.write_timeout = (
                self.config.timeout + 1.5 * self.config.transfer_seconds(len(data))
            )
        try:
            self.device._raw(data)
        except (TimeoutError, _serial_timeout()):
            raise PrinterTimeout(f"printer took no data for {self.config.timeout:g} s") from None
        except OSError as exc:
            raise PrinterOffline(f"connection lost while sending: {exc}") from None

    def read_byte(self, timeout: float) -> int | None:
        """One reply byte, or None if nothing came within `timeout` seconds."""
        reader = getattr(self, f"_read_{self.config.connection}", None)
        data = reader(timeout) if reader else b""
        return data[-1] if data else None

    def discard_pending(self) -> None:
        """Drop bytes nobody asked for (e.g. automatic status back) before a query."""
        if self.config.connection == "network":
            while self._read_network(0.0):
                pass

    def _read_network(self, timeout: float) -> bytes:
        sock: socket.socket = self.device.device
        sock.settimeout(timeout)  # 0.0: non-blocking
        try:
            return sock.recv(1)
        except (TimeoutError, OSError):
            return b""
        finally:
            sock.settimeout(self.config.timeout)

    def _read_serial(self, timeout: float) -> bytes:
        port = self.device.device
        port.timeout = timeout
        try:
            return port.read(1)
        finally:
            port.timeout = self.config.timeout

    def _read_usb(self, timeout: float) -> bytes:
        usb_core = _escpos.module("usb.core")
        try:
            return bytes(self.device.device.read(self.device.in_ep, 64, int(timeout * 1000)))
        except usb_core.USBError:
            return b""

    def close(self) -> None:
        with _escpos.root_logger_kept():
            self.device.close()


def _serial_timeout() -> type[Exception]:
    try:
        from serial import SerialTimeoutException
    except ImportError:
        return TimeoutError
    return SerialTimeoutException


def open_link(config: PrinterConfig) -> Link:
    """Connect; `PrinterOffline` if nothing is there, `PrinterTimeout` if it does not answer."""
    device = _make_device(config)
    errors = _escpos.module("escpos.exceptions")
    try:
        with _escpos.root_logger_kept():
            device.open()
    except errors.DeviceNotFoundError as exc:
        if isinstance(exc.__context__, TimeoutError):
            raise PrinterTimeout(f"no answer from printer within {config.timeout:g} s") from None
        raise PrinterOffline(f"cannot open printer: {str(exc).strip()}") from None
    if config.connection == "network":
        device.device.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SEND_BUFFER)
    return Link(device, config)


def _make_device(config: PrinterConfig) -> Any:
    m = _escpos.module()
    c = config
    make = {
        "network": lambda: m.Network(c.host, c.port, timeout=c.timeout),
        "serial": lambda: m.Serial(c.serial_device, baudrate=c.baudrate, timeout=c.timeout),
        "usb": lambda: m.Usb(
            c.usb_vendor_id,
            c.usb_product_id,
            timeout=int(c.timeout * 1000),
            in_ep=c.usb_in_ep,
            out_ep=c.usb_out_ep,
        ),
        "file": lambda: m.File(c.device_path),
        "dummy": lambda: m.Dummy(),
    }[c.connection]
    return _escpos.with_profile(make(), c.profile, c.width)
