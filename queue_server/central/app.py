"""The province server's aiohttp app: the sites' batches in, the leaders' report and
floor out.

| path | who | what |
|---|---|---|
| `POST /api/replication/batch` | a site (`Bearer` token) | store a batch → `{"acked": id}` |
| `GET /api/replication/state?site=ID` | a site | `{"acked": id}`: where to go on from |
| `POST /api/login` | a leader | `{"token": …}` (failures limited per address and name) |
| `POST /api/logout` | a leader | the session ended |
| `GET /api/province/report?from=&to=&by=` | a leader | the figures (`central/report.py`) |
| `GET /api/province/report.csv` · `.xlsx` | a leader | the same rows for a spreadsheet |
| `GET /api/province/floor` | a leader | the floor now (`central/floor.py`) |
| `GET /api/province/floor/stream?token=` | a leader | the floor live (Server-Sent Events) |
| `GET /tinh` · `/en/province` | a leader | the page: floor live, report, exports |
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from aiohttp import web

from queue_protocol.codec import loads
from queue_protocol.errors import QueueError
from queue_server.central import accounts, report
from queue_server.central.floor import FloorFeed, floor_now
from queue_server.central.ingest import Ingest
from queue_server.central.schema import create_pool, migrate
from queue_server.core.ratelimit import LoginGuard
from queue_server.domain.replication import parse_batch
from queue_server.web.responses import error_response, json_answer, json_body

PAGE = Path(__file__).with_name("province.html")
PROVINCE_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # "today" when a leader gives no dates


async def _json(request: web.Request) -> dict:
    """A batch's JSON object (orjson: a catch-up brings megabytes of it)."""
    try:
        body = loads(await request.read())
    except ValueError:
        raise QueueError("bad_request", "send a JSON object") from None
    if not isinstance(body, dict):
        raise QueueError("bad_request", "send a JSON object")
    return body


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


class Central:
    def __init__(self, dsn: str, clock: Callable[[], float]) -> None:
        self.dsn, self.clock = dsn, clock
        self.pool: asyncpg.Pool
        self.ingest: Ingest
        self.floor: FloorFeed
        self.guard = LoginGuard()  # password guessing

    async def open(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        self.pool = await create_pool(self.dsn)
        self.ingest = Ingest(self.pool, self.clock)
        self.floor = FloorFeed(self.pool, self.dsn, self.clock)
        self.floor.start()
        await self.ingest.fold_all()

    async def close(self) -> None:
        await self.floor.stop()
        await self.ingest.close()
        await self.pool.close()

    # -- sites ---------------------------------------------------------------------

    async def batch(self, request: web.Request) -> web.Response:
        try:
            batch = parse_batch(await _json(request))
            await accounts.check_site(self.pool, batch.site, _bearer(request))
            acked = await self.ingest.accept(batch)
        except QueueError as err:
            return await self._refusal(err, request)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):  # the database is away
            return self._busy(QueueError("unavailable", "the province database is away"))
        return json_answer({"acked": acked})

    async def _refusal(self, err: QueueError, request: web.Request) -> web.Response:
        if err.code == "unavailable":
            return self._busy(err)
        if err.code == "out_of_order":  # tell the site where to go on from
            answer = error_response(err)
            acked = int((err.detail or "acked=0").partition("=")[2])
            return json_answer({"error": err.to_dict(), "acked": acked}, status=answer.status)
        return error_response(err)

    def _busy(self, err: QueueError) -> web.Response:
        answer = error_response(err)
        answer.headers["Retry-After"] = "1"
        return answer

    async def state(self, request: web.Request) -> web.Response:
        site = request.query.get("site", "")
        try:
            await accounts.check_site(self.pool, site, _bearer(request))
        except QueueError as err:
            return error_response(err)
        acked = await self.pool.fetchval("SELECT acked FROM sites WHERE id = $1", site)
        return json_answer({"acked": acked})

    # -- leaders -------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.Response:
        address, now = request.remote or "?", time.monotonic()
        try:
            body = await json_body(request)
            username = str(body.get("username", ""))
            if self.guard.blocked(address, username, now):  # guessing passwords: wait
                await accounts.audit(self.pool, username, "sign_in_limited", address)
                raise QueueError("too_many_requests")
            try:
                token = await accounts.login(
                    self.pool, username, str(body.get("password", "")), address
                )
            except QueueError:
                self.guard.failed(address, username, now)
                raise
        except QueueError as err:
            return error_response(err)
        return json_answer({"token": token})

    async def logout(self, request: web.Request) -> web.Response:
        try:
            await accounts.logout(self.pool, _bearer(request), request.remote or "?")
        except QueueError as err:
            return error_response(err)
        return json_answer({"ok": True})

    async def _leader(self, request: web.Request) -> accounts.Leader:
        token = _bearer(request) or request.query.get("token", "")
        if not token:
            raise QueueError("unauthorized")
        return await accounts.session(self.pool, token)

    async def _report(self, request: web.Request, leader: accounts.Leader | None = None) -> dict:
        leader = leader or await self._leader(request)
        today = dt.datetime.fromtimestamp(self.clock(), PROVINCE_ZONE).date()
        first, last = report.period(request.query.get("from"), request.query.get("to"), today)
        return await report.province_report(
            self.pool, leader, first, last, request.query.get("by", "site")
        )

    async def report_json(self, request: web.Request) -> web.Response:
        try:
            return json_answer(await self._report(request))
        except QueueError as err:
            return error_response(err)

    async def report_file(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        try:
            leader = await self._leader(request)
            figures = await self._report(request, leader)
        except QueueError as err:
            return error_response(err)
        await accounts.audit(  # who took which figures away
            self.pool,
            leader.username,
            "export",
            request.remote or "?",
            {"file": kind, "from": figures["from"], "to": figures["to"], "by": figures["by"]},
        )
        name = f"xep-hang-tinh-{figures['from']}-{figures['to']}-{figures['by']}.{kind}"
        if kind == "csv":
            body, mime = report.to_csv(figures), "text/csv; charset=utf-8"
        else:
            body = report.to_xlsx(figures)
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return web.Response(
            body=body,
            headers={
                "Content-Type": mime,
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )

    async def floor_json(self, request: web.Request) -> web.Response:
        try:
            leader = await self._leader(request)
        except QueueError as err:
            return error_response(err)
        return json_answer({"sites": await floor_now(self.pool, leader, self.clock())})

    async def floor_stream(self, request: web.Request) -> web.StreamResponse:
        try:
            leader = await self._leader(request)
        except QueueError as err:
            return error_response(err)
        return await self.floor.stream(request, leader)

    async def page(self, _request: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text(encoding="utf-8"), content_type="text/html")

    async def healthz(self, _request: web.Request) -> web.Response:
        return json_answer({"ok": True})


CENTRAL_KEY = web.AppKey("central", Central)


async def _end_streams(central: Central) -> None:
    central.floor.end_streams()


def create_central_app(dsn: str, clock: Callable[[], float] = time.time) -> web.Application:
    central = Central(dsn, clock)

    async def lifetime(_app: web.Application) -> AsyncIterator[None]:
        await central.open()
        yield
        await central.close()

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app[CENTRAL_KEY] = central
    app.cleanup_ctx.append(lifetime)
    # Before the handlers are awaited (on_shutdown comes first): open streams end now.
    app.on_shutdown.append(lambda _app: _end_streams(central))
    app.add_routes(
        [
            web.post("/api/replication/batch", central.batch),
            web.get("/api/replication/state", central.state),
            web.post("/api/login", central.login),
            web.post("/api/logout", central.logout),
            web.get("/api/province/report", central.report_json),
            web.get("/api/province/report.{kind:csv|xlsx}", central.report_file),
            web.get("/api/province/floor", central.floor_json),
            web.get("/api/province/floor/stream", central.floor_stream),
            web.get("/tinh", central.page),
            web.get("/en/province", central.page),
            web.get("/healthz", central.healthz),
        ]
    )
    return app
