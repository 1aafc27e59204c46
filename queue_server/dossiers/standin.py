"""A stand-in for the province's one-stop dossier system, on a real socket.

Modelled on what such systems expose (no vendor's exact API): `GET /api/hoso/{code}`
with header `Authorization: Bearer <token>`, answering 200 with

    {"data": {"MaHoSo", "TenThuTuc", "MaThuTuc", "ChuHoSo", "SoDienThoai",
              "TrangThai", "NgayTiepNhan", "NgayHenTra", "DonViXuLy", "GhiChu"}}

(dates `dd/mm/yyyy`, states `DA_TIEP_NHAN`, `DANG_XU_LY`, `YEU_CAU_BO_SUNG`,
`CHO_TRA_KET_QUA`, `DA_TRA_KET_QUA`, `QUA_HAN`), 404 for an unknown code, 401 for a
wrong token. Faults on demand: `hang_times` requests held for `hang_seconds` (a
timeout), `fail_times` answered `fail_status` (503), `garble_times` answered 200 with
a record that does not fit. `requests` counts every call.

`MAPPING` is the `[dossiers.http]` table that reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MAPPING: dict[str, Any] = {
    "auth_header": "Authorization",
    "auth_value": "Bearer standin-token",
    "date_format": "%d/%m/%Y",
    "fields": {
        "code": "data.MaHoSo",
        "procedure_code": "data.MaThuTuc",
        "procedure_name": "data.TenThuTuc",
        "citizen_name": "data.ChuHoSo",
        "phone": "data.SoDienThoai",
        "status": "data.TrangThai",
        "received_on": "data.NgayTiepNhan",
        "due_on": "data.NgayHenTra",
        "unit": "data.DonViXuLy",
        "note": "data.GhiChu",
    },
    "statuses": {
        "DA_TIEP_NHAN": "received",
        "DANG_XU_LY": "in_progress",
        "YEU_CAU_BO_SUNG": "additional_documents",
        "CHO_TRA_KET_QUA": "ready",
        "DA_TRA_KET_QUA": "returned",
        "QUA_HAN": "overdue",
    },
}


@dataclass
class ProvinceDossierSystem:
    token: str = "standin-token"
    records: dict[str, dict[str, str]] = field(default_factory=dict)
    hang_times: int = 0
    hang_seconds: float = 30.0
    fail_times: int = 0
    fail_status: int = 503
    garble_times: int = 0
    requests: int = 0
    url: str = ""
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, **record: str) -> None:
        """One dossier in the system's own field names (`MaHoSo`, `TrangThai`, …)."""
        self.records[record["MaHoSo"]] = record

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_get("/api/hoso/{code}", self._get)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound}/api/hoso/{{code}}"
        return self.url

    def config(self, **overrides: Any) -> dict[str, Any]:
        """The `[dossiers]` table that points a server at this stand-in."""
        return {"source": "http", "http": {**MAPPING, "url": self.url, **overrides}}

    async def close(self) -> None:
        self._closing.set()  # let held requests go, so the server stops at once
        if self._runner is not None:
            await self._runner.cleanup()

    async def _get(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.hang_times > 0:
            self.hang_times -= 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.hang_seconds)
        if self.fail_times > 0:
            self.fail_times -= 1
            return web.Response(status=self.fail_status, text="Service Unavailable")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "unauthorized"}, status=401)
        if self.garble_times > 0:
            self.garble_times -= 1
            return web.json_response({"data": {"MaHoSo": request.match_info["code"]}})
        record = self.records.get(request.match_info["code"])
        if record is None:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response({"data": record})
