"""The officer's slips at the counter (phiếu hẹn, phiếu nhận hồ sơ): asyncio only, no Qt.

`SlipDesk` asks the server to receive a dossier (`dossier_receive`: the server gives
the code, counts the return date and links the dossier to the ticket being served) or
to fetch one for a reprint (`dossier_get`), renders the slip for the preview with the
ticket's raster pipeline, has the server audit each print first (`dossier_printed`,
which says whether it is a reprint) and prints it on the counter's printer.

The counter printer is the console machine's `[printer]` table (any ESC/POS printer
the kiosk supports); the wording is its `[slips]` table (`printer.counter_slip`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from PIL import Image

from counter_display.common import REQUEST_TROUBLE, error_text
from printer.config import PrinterConfig
from printer.counter_slip import (
    CounterSlip,
    CounterSlipLayout,
    encode_counter_slip,
    render_counter_slip,
)
from printer.device import PrintError, TicketPrinter
from printer.errors import ConfigError
from queue_protocol.client import QueueClient

log = logging.getLogger(__name__)

PRINTER_TROUBLE = "Máy in tại quầy không in được: {detail}. Hãy kiểm tra giấy và nguồn máy in."


def load_counter_file(path: Path) -> tuple[PrinterConfig, CounterSlipLayout]:
    """The console's TOML file: its counter printer (`[printer]`, as a kiosk's) and the
    slips' wording (`[slips]`, optional); `ConfigError` names the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - {"printer", "slips"}
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {', '.join(sorted(unknown))}")
    if not isinstance(data.get("printer"), dict):
        raise ConfigError(f"{path}: a [printer] table is required")
    printer = PrinterConfig.from_dict(data["printer"], source=str(path))
    return printer, CounterSlipLayout.from_dict(data.get("slips", {}), str(path))


def slip_from(dossier: dict[str, Any], kind: str, centre: str, reprint: bool) -> CounterSlip:
    """The server's `dossier` answer as a slip to print."""
    return CounterSlip(
        kind=kind,
        dossier_code=dossier["code"],
        procedure_code=dossier.get("procedure_code", ""),
        procedure_name=dossier["procedure_name"],
        citizen_name=dossier["citizen_name"],
        documents=tuple(dossier.get("documents", ())),
        received_on=dt.date.fromisoformat(dossier["received_on"]),
        due_on=dt.date.fromisoformat(dossier["due_on"]) if kind == "phieu_hen" else None,
        officer=dossier.get("officer", ""),
        counter=dossier.get("counter"),
        centre_name=centre,
        reprint=reprint,
    )


class SlipDesk:
    """One slip at a time: `slip` and `preview` are what the console shows."""

    def __init__(
        self,
        client: QueueClient,
        printer: PrinterConfig | None,
        layout: CounterSlipLayout,
        centre_name: str,
    ) -> None:
        self.client, self.layout, self.centre = client, layout, centre_name
        self.printer_config = printer
        self._printer = TicketPrinter(printer) if printer is not None else None
        self.procedures: list[dict[str, Any]] = []  # what this counter receives
        self.dossier: dict[str, Any] | None = None
        self.slip: CounterSlip | None = None
        self.preview: Image.Image | None = None
        self.printed: dict[str, int] = {}  # slips of this dossier printed, by kind
        self.error: str | None = None
        self.info: str | None = None

    @property
    def width(self) -> int:
        return self.printer_config.width if self.printer_config else 576

    async def load_procedures(self) -> None:
        """The procedures of the counter's services, with their documents."""
        try:
            result = await self.client.request("dossier_procedures")
        except REQUEST_TROUBLE as exc:
            self.error = error_text(exc)
            return
        self.procedures = list(result["procedures"])

    async def receive(
        self, procedure: str, citizen_name: str, phone: str, documents: list[str] | None = None
    ) -> bool:
        """Register the dossier with the server and preview its phiếu hẹn."""
        fields: dict[str, Any] = {
            "procedure": procedure,
            "citizen_name": citizen_name,
            "phone": phone,
        }
        if documents is not None:
            fields["documents"] = documents
        return await self._load("dossier_receive", fields, "phieu_hen")

    async def open(self, code: str, kind: str = "phieu_hen") -> bool:
        """An earlier dossier, for a reprint."""
        return await self._load("dossier_get", {"code": code}, kind)

    async def _load(self, request: str, fields: dict[str, Any], kind: str) -> bool:
        self.error = self.info = None
        try:
            result = await self.client.request(request, **fields)
        except REQUEST_TROUBLE as exc:
            self.error = error_text(exc)
            return False
        self.dossier, self.printed = result["dossier"], dict(result.get("printed", {}))
        self.show(kind)
        return True

    def show(self, kind: str) -> None:
        """Preview the other kind of slip of the same dossier."""
        assert self.dossier is not None
        self.slip = slip_from(self.dossier, kind, self.centre, reprint=False)
        self.preview = render_counter_slip(self.slip, self.layout, self.width)

    async def print_slip(self) -> bool:
        """Have the print audited, then print: no slip leaves without its audit line, and
        the server (which knows every console's prints) says whether it is a reprint,
        marked "In lại" on paper. A print that then fails stays in the audit as tried."""
        if self.slip is None:
            return False
        if self._printer is None:
            self.error = "Quầy này chưa cấu hình máy in ([printer] trong tệp cấu hình)."
            return False
        self.error = self.info = None
        kind, code = self.slip.kind, self.slip.dossier_code
        try:
            audit = await self.client.request("dossier_printed", code=code, kind=kind)
        except REQUEST_TROUBLE as exc:
            self.error = error_text(exc)
            return False
        slip = replace(self.slip, reprint=bool(audit.get("reprint")))
        self.printed[kind] = self.printed.get(kind, 0) + 1
        try:
            data = await asyncio.to_thread(
                encode_counter_slip, slip, self.layout, self._printer.config
            )
            await self._printer.print_job(data)
        except PrintError as exc:
            log.warning("counter slip %s not printed: %s", code, exc)
            self.error = PRINTER_TROUBLE.format(detail=type(exc).__name__)
            return False
        self.info = ("Đã in lại " if slip.reprint else "Đã in ") + _NAMES[kind]
        return True

    def close(self) -> None:
        if self._printer is not None:
            self._printer.close()


_NAMES = {"phieu_hen": "phiếu hẹn.", "phieu_nhan": "phiếu nhận hồ sơ."}
