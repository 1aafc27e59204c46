"""The plain HTTP API: health, services, one ticket, officers' sign-in, metrics."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from queue_protocol.errors import QueueError
from queue_protocol.messages import encode
from queue_server.core import shipper_status, views
from queue_server.core.context import ServerContext
from queue_server.core.ratelimit import LoginGuard
from queue_server.web.responses import error_response

# Failed logins before one must wait (sliding window): per username from one address,
# so one officer's typos do not lock out the others behind the centre's one NAT address;
# and per address, a ceiling for someone trying many usernames.


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=encode)


class Api:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.login_guard = LoginGuard()

    async def healthz(self, _request: web.Request) -> web.Response:
        """200 while this instance is the active one; 503 once it lost its lock (it is
        stopping: a load balancer's HTTP check turns to the other at once)."""
        role = self.ctx.role
        active = role == "active"
        return web.json_response(
            {"ok": active, "day": self.ctx.state.day, "role": role}, status=200 if active else 503
        )

    async def services(self, _request: web.Request) -> web.Response:
        return json_response(
            {"services": views.service_catalogue(self.ctx.state, self.ctx.clock())}
        )

    async def ticket(self, request: web.Request) -> web.Response:
        """A ticket of today from the state; an older one from the tickets table."""
        public_id = request.match_info["public_id"]
        ticket = self.ctx.state.ticket_by_public_id(public_id)
        if ticket is not None:
            return json_response(views.ticket_public(self.ctx.state, ticket))
        row = await self.ctx.store.ticket_by_public_id(public_id) if len(public_id) < 64 else None
        if row is None:
            return error_response(QueueError("unknown_ticket"))
        service = self.ctx.config.services.get(row["service"])
        return json_response(
            {
                "number": row["number"],
                "service": row["service"],
                "service_name": service.name if service else row["service"],
                "status": row["status"],
                "counter": row["counter"],
                "ahead": 0,
                "estimated_wait": None,
                "issued_at": row["issued_at"],
                "called_at": row["called_at"],
                "priority": row["priority"],
            }
        )

    async def login(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            username, password = body["username"], body["password"]
            if not isinstance(username, str) or not isinstance(password, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return error_response(QueueError("bad_request", "send JSON {username, password}"))
        origin, now = request.remote or "?", time.monotonic()
        if self.login_guard.blocked(origin, username, now):  # guessing passwords: wait a while
            return error_response(QueueError("too_many_requests"))
        try:
            token, role, expires = await self.ctx.accounts.login(username, password, origin=origin)
        except QueueError as err:
            self.login_guard.failed(origin, username, now)
            return error_response(err)  # "unauthorized": 401
        return json_response({"token": token, "role": role, "expires_at": expires})

    async def metrics(self, _request: web.Request) -> web.Response:
        # issue 17: the province link (NaN when no shipper has run for this site)
        status = shipper_status.read_status(self.ctx.db_path)
        head = await self.ctx.store.newest_event_id()
        self.ctx.metrics.show_shipper(shipper_status.lag_figures(status, head, time.time()))
        return web.Response(
            body=self.ctx.metrics.render(), headers={"Content-Type": "text/plain; version=0.0.4"}
        )
