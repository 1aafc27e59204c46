"""The leaders' report over HTTP: the figures of a period, and every ticket as CSV.

| path | what |
|---|---|
| `GET /api/reports?from=YYYY-MM-DD&to=YYYY-MM-DD` | figures (`domain/report.py`) as JSON |
| `GET /api/reports/tickets.csv?from=…&to=…` | one row per ticket, for a spreadsheet |
| `my_day` (WebSocket, counter role) | the signed-in officer's own figures today |

Both need `Authorization: Bearer TOKEN` of a leader, supervisor or admin (from
`POST /api/login`); both read the committed event log on the look-up connection, and
fold it on a worker thread, so the queue never waits for a report. Without `from` and
`to`: today. At most `MAX_DAYS` days at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from queue_protocol.codec import dumps_text, loads
from queue_protocol.errors import QueueError
from queue_server.core.accounts import Officer
from queue_server.core.context import ServerContext
from queue_server.core.hub import Connection
from queue_server.core.store import Store
from queue_server.core.views import counter_view
from queue_server.domain.config import SiteConfig
from queue_server.domain.events import event_from_dict
from queue_server.domain.hours import business_day
from queue_server.domain.report import Figures, Report, booking_figures
from queue_server.web.responses import error_response

REPORT_ROLES = frozenset({"leader", "supervisor", "admin"})
MAX_DAYS = 92

CSV_COLUMNS = (  # (header: Vietnamese first, English second; TicketRecord field or key)
    ("Ngày / Day", "day"),
    ("Số / Number", "number"),
    ("Dịch vụ / Service", "service"),
    ("Dịch vụ cuối / Last service", "current_service"),
    ("Ưu tiên / Priority", "priority"),
    ("Đặt lịch / Booked", "booked"),
    ("Lấy số lúc / Issued", "issued_at"),
    ("Gọi lần đầu / First called", "first_called_at"),
    ("Kết thúc / Ended", "ended_at"),
    ("Chờ (giây) / Wait (s)", "wait_seconds"),
    ("Phục vụ (giây) / Service (s)", "service_seconds"),
    ("Quầy / Counter", "counter"),
    ("Cán bộ / Officer", "officer"),
    ("Kết quả / Outcome", "outcome"),
    ("Chuyển / Transfers", "transfers"),
    ("Đánh giá / Rating", "rating"),
)


class ReportDesk:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        # Today's report, kept and brought up to date with the events since (`my_day`).
        self._today: Report | None = None
        self._today_last_id = 0
        self._today_lock = asyncio.Lock()

    async def my_day(self, conn: Connection, _fields: dict[str, Any]) -> dict[str, Any]:
        """The `my_day` request of a counter: the signed-in officer's own figures today,
        by the report's definitions."""
        async with self._today_report() as report:
            figures = report.officers.get(conn.actor, Figures()).to_dict(report.satisfied)
            return {"day": report.day, "officer": conn.actor, "figures": figures}

    @contextlib.asynccontextmanager
    async def _today_report(self) -> AsyncIterator[Report]:
        """Today's report, brought up to date with the events since its last use, and
        held (no fold runs meanwhile) while the caller reads it. Kept between requests
        so that a fetch folds only what happened since: folding the whole day at every
        fetch made a peak that grew with the day (issue 18's soak)."""
        async with self._today_lock:
            config = self.ctx.config
            today = business_day(config.site, self.ctx.clock())
            report = self._today
            if report is None or report.config is not config or report.day not in ("", today):
                report = self._today = Report(config)
                self._today_last_id = 0
            async for page in self.ctx.store.events_of_days(
                today, today, after=self._today_last_id
            ):
                await asyncio.to_thread(_fold, report, page)
                self._today_last_id = page[-1][0]
            yield report

    async def figures(self, request: web.Request) -> web.Response:
        try:
            _, first, last = await self._ask(request)
        except QueueError as err:
            return error_response(err)
        if first == last == business_day(self.ctx.config.site, self.ctx.clock()):
            async with self._today_report() as report:
                counts = await self.ctx.store.booking_counts(first, last)
                report.bookings = booking_figures(counts)
                body = self._figures(report, first, last)
        else:
            body = self._figures(await self._report(first, last), first, last)
        return web.json_response(body, dumps=dumps_text)

    def _figures(self, report: Report, first: str, last: str) -> dict[str, Any]:
        now = self.ctx.clock()
        body = {"from": first, "to": last, "generated_at": now, **report.to_dict(now)}
        if last >= business_day(self.ctx.config.site, now):  # the floor right now
            body["counters_now"] = self._counters_now()
        return body

    def _counters_now(self) -> list[dict[str, Any]]:
        """Every counter as the screens see it, with its pause reason's name."""
        reasons = self.ctx.config.pause_reasons
        views = [counter_view(self.ctx.state, n) for n in self.ctx.config.counters]
        for view in views:
            reason = reasons.get(view["pause_reason"] or "")
            view["pause_reason_name"] = reason.name if reason else view["pause_reason"]
        return views

    async def tickets_csv(self, request: web.Request) -> web.Response:
        try:
            who, first, last = await self._ask(request)
        except QueueError as err:
            return error_response(err)
        report = await self._report(first, last)
        await self.ctx.accounts.audit(who.username, "report_export", f"{first}…{last}")
        text = await asyncio.to_thread(_csv, report)
        return web.Response(
            body=("\ufeff" + text).encode(),  # the BOM makes Excel read UTF-8 Vietnamese
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="xep-hang-{first}-{last}.csv"',
            },
        )

    async def _ask(self, request: web.Request) -> tuple[Officer, str, str]:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        who = await self.ctx.accounts.session(token) if token else None
        if who is None:
            raise QueueError("unauthorized")
        if who.role not in REPORT_ROLES:
            raise QueueError("forbidden", "reports are for leaders, supervisors and admins")
        today = business_day(self.ctx.config.site, self.ctx.clock())
        try:
            first = dt.date.fromisoformat(request.query.get("from", today))
            last = dt.date.fromisoformat(request.query.get("to", first.isoformat()))
        except ValueError:
            raise QueueError("bad_request", "from and to: YYYY-MM-DD") from None
        if last < first or (last - first).days >= MAX_DAYS:
            raise QueueError("bad_request", f"from ≤ to, at most {MAX_DAYS} days")
        return who, first.isoformat(), last.isoformat()

    async def _report(self, first: str, last: str) -> Report:
        return await build_report(self.ctx.config, self.ctx.store, first, last)


async def build_report(config: SiteConfig, store: Store, first: str, last: str) -> Report:
    """The report of the business days `first`…`last`, folded a page at a time on a
    worker thread."""
    report = Report(config)
    async for page in store.events_of_days(first, last):
        await asyncio.to_thread(_fold, report, page)
    report.bookings = booking_figures(await store.booking_counts(first, last))
    return report


def _fold(report: Report, page: list[tuple[int, str]]) -> None:
    report.add(event_from_dict(loads(data)) for _, data in page)


MOMENTS = frozenset({"issued_at", "first_called_at", "ended_at"})
OUTCOMES = {
    "waiting": "đang chờ (waiting)",
    "called": "đang phục vụ (in service)",
    "finished": "đã phục vụ (served)",
    "no_show": "vắng mặt (no-show)",
    "voided": "huỷ do lỗi in (voided)",
    "expired": "hết hạn (expired)",
}


def _csv(report: Report) -> str:
    cfg = report.config
    names: dict[str, dict[Any, str]] = {  # ids → the names people know
        "service": {k: v.name for k, v in cfg.services.items()},
        "priority": {k: v.name for k, v in cfg.priority_groups.items()},
        "rating": {c.id: c.name for c in cfg.rating_scale},
        "outcome": OUTCOMES,
    }
    names["current_service"] = names["service"]
    names["officer"] = {o: report.officer_label(o) for o in report.officer_names}

    def cell(key: str, value: Any) -> Any:
        if value is None:
            return ""
        if key in MOMENTS:  # local time, as on the centre's clocks
            return dt.datetime.fromtimestamp(value, report.tz).strftime("%Y-%m-%d %H:%M:%S")
        if key in names:
            return names[key].get(value, value)
        if isinstance(value, bool):
            return "có" if value else "không"
        return round(value) if isinstance(value, float) else value

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header for header, _ in CSV_COLUMNS)
    for t in report.tickets.values():
        writer.writerow(cell(key, getattr(t, key)) for _, key in CSV_COLUMNS)
    return out.getvalue()
