"""Why a print job failed, as exception types the kiosk can tell apart."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from printer.status import PrinterStatus


class ConfigError(ValueError):
    """Printer configuration is invalid; the message names the source and the key."""


class PrintError(Exception):
    """A ticket was not printed. `status` is the last status read, if any."""

    def __init__(self, message: str, status: PrinterStatus | None = None) -> None:
        super().__init__(message)
        self.status = status


class PaperOut(PrintError):
    """The roll is empty; nothing was sent."""


class CoverOpen(PrintError):
    """The printer cover is open; nothing was sent."""


class PrinterOffline(PrintError):
    """The printer cannot be reached or reports itself offline."""


class PrinterTimeout(PrintError):
    """The printer stopped answering or taking data within the configured time."""


class StatusUnknown(PrintError):
    """The printer did not answer the status query and the config requires an answer."""
