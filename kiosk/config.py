"""Kiosk configuration: one TOML file with a `[printer]` table and an optional `[kiosk]` table."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from printer.config import PrinterConfig
from printer.errors import ConfigError
from queue_protocol.urls import server_urls


@dataclass(frozen=True)
class KioskSettings:
    """Timings and wording of one kiosk (`[kiosk]`); every field has a sensible default."""

    idle_seconds: float = 30.0  # an untouched screen goes back home
    ticket_seconds: float = 15.0  # the number (or a notice) stays on screen this long
    printer_poll_seconds: float = 5.0  # ask the printer how it is this often
    # tell the server even when nothing changed: its silence marks the kiosk offline
    status_report_seconds: float = 30.0
    issue_retry_seconds: float = 15.0  # keep retrying one tap this long across reconnects
    timezone: str = "Asia/Ho_Chi_Minh"
    slip_header: tuple[str, ...] = ()  # lines above the number, e.g. the province
    slip_english: bool = True
    # printer out (paper, cover…): go on giving numbers on screen with the tracking QR
    # (issue 12), instead of pausing the kiosk
    paperless_fallback: bool = True
    staff_pin: str = ""  # the maintenance page's PIN (empty: no maintenance page)
    # the queue server's addresses: one, or the active server and its standby (issue 19);
    # `--server` overrides them
    servers: tuple[str, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> KioskSettings:
        where = f"{source}: [kiosk]"
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"{where} unknown key '{key}' (known: {', '.join(known)})")
            default = known[key].default
            if isinstance(default, float):
                if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                    raise ConfigError(
                        f"{where} '{key}' must be a number of seconds > 0, got {value!r}"
                    )
                value = float(value)
            elif isinstance(default, tuple):
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"{where} '{key}' must be a list of strings")
                value = tuple(value)
            elif not isinstance(value, type(default)):
                raise ConfigError(
                    f"{where} '{key}' must be {type(default).__name__}, got {value!r}"
                )
            values[key] = value
        settings = cls(**values)
        for address in settings.servers:
            try:
                server_urls(address)
            except ValueError:
                raise ConfigError(
                    f"{where} 'servers': {address!r} is not a server address (http://host:port)"
                ) from None
        try:
            settings.tz  # noqa: B018 - validate now, not at the first ticket
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"{where} 'timezone': unknown time zone {settings.timezone!r}"
            ) from None
        return settings


def load_kiosk_file(path: Path) -> tuple[PrinterConfig, KioskSettings]:
    """Read the kiosk TOML file; `ConfigError` names the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"printer", "kiosk"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown table(s) {', '.join(sorted(unknown))} (known: printer, kiosk)"
        )
    if not isinstance(data.get("printer"), dict):
        raise ConfigError(f"{path}: a [printer] table is required")
    printer = PrinterConfig.from_dict(data["printer"], source=str(path))
    return printer, KioskSettings.from_dict(data.get("kiosk", {}), source=str(path))
