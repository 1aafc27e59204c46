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

import argparse
import asyncio
import contextlib
import datetime as dt
import json
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


def sample_records(today: dt.date) -> list[dict[str, str]]:
    """A few dossiers in every state, for the demo (phone 0912 345 678: digits 5678)."""

    def day(offset: int) -> str:
        return (today + dt.timedelta(days=offset)).strftime("%d/%m/%Y")

    rows = [
        ("HS-DEMO-0001", "DA_TIEP_NHAN", "", "", -1, 4),
        ("HS-DEMO-0002", "DANG_XU_LY", "Phòng Tư pháp", "", -3, 2),
        ("HS-DEMO-0003", "YEU_CAU_BO_SUNG", "", "Bản sao giấy khai sinh", -5, 3),
        ("HS-DEMO-0004", "CHO_TRA_KET_QUA", "", "", -7, 0),
        ("HS-DEMO-0005", "DA_TRA_KET_QUA", "", "", -10, -2),
    ]
    return [
        {
            "MaHoSo": code,
            "MaThuTuc": "1.001193",
            "TenThuTuc": "Đăng ký khai sinh",
            "ChuHoSo": "Nguyễn Thị Hoa",
            "SoDienThoai": "0912345678",
            "TrangThai": state,
            "NgayTiepNhan": day(received),
            "NgayHenTra": day(due),
            "DonViXuLy": unit,
            "GhiChu": note,
        }
        for code, state, unit, note, received, due in rows
    ]


async def _serve(port: int, hang_times: int, fail_times: int) -> None:
    system = ProvinceDossierSystem(hang_times=hang_times, fail_times=fail_times)
    for record in sample_records(dt.date.today()):
        system.add(**record)
    await system.start(port=port)
    print(json.dumps({"dossiers": system.config()}, ensure_ascii=False), flush=True)
    await asyncio.Event().wait()  # serve until interrupted


def main() -> None:
    """`python -m queue_server.dossiers.standin --port 8030`: prints the `[dossiers]`
    table (as JSON) that points a server at it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8030)
    parser.add_argument("--hang-times", type=int, default=0, help="requests held (timeouts)")
    parser.add_argument("--fail-times", type=int, default=0, help="requests answered 503")
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.hang_times, args.fail_times))


if __name__ == "__main__":
    main()
