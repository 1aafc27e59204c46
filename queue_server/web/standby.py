"""What a standby instance answers over HTTP while it waits for the lock (issue 19).

A server on PostgreSQL listens on its port from the start, also while another instance
is the active one (`app.serve`), so that a load balancer's HTTP check and the clients'
address lists learn at once that this one does not serve:

- `GET /healthz`: 503 `{"ok": false, "role": "standby"}` (`"starting"` once it holds the
  lock and loads the day): an HTTP check keeps the traffic on the active instance;
- `GET /metrics`: the figures, `xephang_active 0` (a scrape still succeeds);
- `/api/…`: 503 `unavailable`, as every refusal (JSON, `Retry-After`);
- any other page: a 503 page, Vietnamese first, then English.

`/ws` is refused by `ws/standby.py`. Once active, the same listening socket is handed to
the full app: no moment without a listener on the port.
"""

from __future__ import annotations

from aiohttp import web

from queue_protocol.errors import QueueError
from queue_server.core.context import ServerContext
from queue_server.web.pages import _esc, _template
from queue_server.web.responses import error_response

RETRY_AFTER = "5"  # seconds: about the takeover's grace
# The page's own style: a standby serves no static file.
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


class StandbyDesk:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    def _role(self) -> str:
        return "standby" if self.ctx.role == "standby" else "starting"

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "role": self._role()},
            status=503,
            headers={"Cache-Control": "no-store", "Retry-After": RETRY_AFTER},
        )

    async def metrics(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=self.ctx.metrics.render(), headers={"Content-Type": "text/plain; version=0.0.4"}
        )

    async def refuse(self, request: web.Request) -> web.Response:
        """Any other address: `unavailable`, as JSON for the API, else as a page."""
        if request.path.startswith("/api/"):
            answer = error_response(QueueError("unavailable", f"this instance is {self._role()}"))
            answer.headers["Retry-After"] = RETRY_AFTER
            return answer
        site = self.ctx.config.site
        unavailable = QueueError("unavailable")
        page = _template("standby.html").substitute(
            site=_esc(site.name),
            site_en=_esc(site.name_en),
            message=_esc(unavailable.message),
            message_en=_esc(unavailable.message_en),
        )
        return web.Response(
            text=page,
            status=503,
            content_type="text/html",
            charset="utf-8",
            headers={
                "Cache-Control": "no-store",
                "Retry-After": RETRY_AFTER,
                "Content-Security-Policy": _CSP,
            },
        )
